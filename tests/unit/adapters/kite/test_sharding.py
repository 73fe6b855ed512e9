"""Sharding instrument tokens over Kite's connection limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha_panda.adapters.kite.sharding import TooManyInstrumentsError, shard_instruments


def test_no_instruments_need_no_connections() -> None:
    assert shard_instruments([]) == []


def test_up_to_three_thousand_instruments_use_one_connection() -> None:
    assert shard_instruments(range(1, 3001)) == [tuple(range(1, 3001))]


def test_nine_thousand_instruments_fill_three_connections() -> None:
    shards = shard_instruments(range(1, 9001))
    assert [len(shard) for shard in shards] == [3000, 3000, 3000]
    assert [token for shard in shards for token in shard] == list(range(1, 9001))


def test_3001_instruments_split_evenly_over_two_connections() -> None:
    assert [len(shard) for shard in shard_instruments(range(3001))] == [1501, 1500]


def test_duplicates_are_subscribed_once_in_first_seen_order() -> None:
    assert shard_instruments([5, 3, 5, 1, 3]) == [(5, 3, 1)]


def test_more_than_nine_thousand_distinct_instruments_are_refused() -> None:
    with pytest.raises(TooManyInstrumentsError, match="9001 instruments exceed"):
        shard_instruments(range(9001))


@given(st.lists(st.integers(1, 50_000), max_size=9000))
def test_shards_cover_each_token_once_within_limits(tokens: list[int]) -> None:
    shards = shard_instruments(tokens)
    flat = [token for shard in shards for token in shard]
    assert flat == list(dict.fromkeys(tokens))
    assert len(shards) <= 3
    assert all(0 < len(shard) <= 3000 for shard in shards)
    assert max(map(len, shards), default=0) - min(map(len, shards), default=0) <= 1
