"""Reconnect backoff delays."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha_panda.adapters.kite.backoff import backoff_delay


def test_delay_ceiling_doubles_per_attempt_until_the_maximum() -> None:
    ceilings = [backoff_delay(attempt, 0.5, 30.0, 0.999999) for attempt in range(9)]
    assert [round(ceiling, 3) for ceiling in ceilings] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_jitter_spreads_delays_over_the_upper_half_of_the_ceiling() -> None:
    assert backoff_delay(3, 0.5, 30.0, 0.0) == 2.0
    assert backoff_delay(3, 0.5, 30.0, 0.5) == 3.0


@given(st.integers(0, 10_000), st.floats(0, 1, exclude_max=True))
def test_delay_stays_within_half_and_whole_maximum(attempt: int, jitter: float) -> None:
    assert 0.25 <= backoff_delay(attempt, 0.5, 30.0, jitter) <= 30.0


def test_jitter_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        backoff_delay(0, 0.5, 30.0, 1.0)
