"""Allocating instrument tokens over Kite's connection limits, moving as few as can be."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha_panda.adapters.kite.sharding import allocate


def test_no_instruments_need_no_connections() -> None:
    assert allocate([], []).shards == ()


def test_up_to_three_thousand_instruments_use_one_connection() -> None:
    assert allocate([], range(1, 3001)).shards == (tuple(range(1, 3001)),)


def test_nine_thousand_instruments_fill_three_connections_in_order() -> None:
    allocation = allocate([], range(1, 9001))
    assert [len(shard) for shard in allocation.shards] == [3000, 3000, 3000]
    assert [token for shard in allocation.shards for token in shard] == list(range(1, 9001))
    assert allocation.overflow == ()


def test_a_second_connection_opens_only_when_the_first_is_full() -> None:
    assert [len(shard) for shard in allocate([], range(1, 3002)).shards] == [3000, 1]


def test_duplicates_are_subscribed_once_in_first_seen_order() -> None:
    assert allocate([], [5, 3, 5, 1, 3]).shards == ((5, 3, 1),)


def test_instruments_beyond_nine_thousand_overflow_in_the_wanted_order() -> None:
    allocation = allocate([], range(1, 9006))
    assert allocation.overflow == (9001, 9002, 9003, 9004, 9005)
    assert sum(map(len, allocation.shards)) == 9000


def test_kept_instruments_stay_on_their_connection_and_new_ones_fill_the_gaps() -> None:
    current = [tuple(range(1, 3001)), (5001, 5002)]
    wanted = [*range(2, 3001), 5002, 7000, 7001]

    allocation = allocate(current, wanted)

    assert allocation.shards == ((*range(2, 3001), 7000), (5002, 7001))


def test_a_connection_left_without_instruments_is_emptied_not_refilled_elsewhere() -> None:
    allocation = allocate([(1, 2), (3, 4)], [3, 4])
    assert allocation.shards == ((), (3, 4))


def test_new_instruments_reuse_an_emptied_connection_before_opening_another() -> None:
    assert allocate([(1, 2)], [8, 9]).shards == ((8, 9),)


def test_existing_subscriptions_win_over_new_ones_when_full() -> None:
    current = [tuple(range(s, s + 3000)) for s in (1, 3001, 6001)]
    allocation = allocate(current, [42_000, *range(1, 9001)])
    assert allocation.shards == tuple(current)
    assert allocation.overflow == (42_000,)


@pytest.mark.parametrize("token", [0, -1, 2**32, "408065", 1.5, True, None])
def test_a_value_that_is_not_an_instrument_token_is_refused(token: object) -> None:
    with pytest.raises(ValueError, match="is not a Kite instrument token"):
        allocate([], [408065, token])  # type: ignore[list-item]


@given(
    st.lists(st.integers(1, 12_000), max_size=10_000),
    st.lists(st.integers(1, 12_000), max_size=10_000),
)
def test_every_wanted_token_is_carried_once_or_overflows_within_limits(
    first: list[int], second: list[int]
) -> None:
    current = allocate([], first).shards
    allocation = allocate(current, second)
    carried = [token for shard in allocation.shards for token in shard]
    assert sorted([*carried, *allocation.overflow]) == sorted(set(second))
    assert len(carried) == len(set(carried))
    assert len(allocation.shards) <= 3
    assert all(len(shard) <= 3000 for shard in allocation.shards)
    for before, after in zip(current, allocation.shards, strict=False):
        assert set(before) & set(second) <= set(after)  # nothing kept moves
    assert not allocation.overflow or sum(map(len, allocation.shards)) == 9000
