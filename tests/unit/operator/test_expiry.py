"""Kite access tokens expire at the first 06:00 IST after they were issued."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alpha_panda.domain.values import IST
from alpha_panda_operator.expiry import next_token_expiry


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        (datetime(2026, 3, 10, 9, 30, tzinfo=IST), datetime(2026, 3, 11, 6, 0, tzinfo=IST)),
        (datetime(2026, 3, 10, 5, 59, tzinfo=IST), datetime(2026, 3, 10, 6, 0, tzinfo=IST)),
        (datetime(2026, 3, 10, 6, 0, tzinfo=IST), datetime(2026, 3, 11, 6, 0, tzinfo=IST)),
        (datetime(2026, 3, 10, 23, 0, tzinfo=UTC), datetime(2026, 3, 11, 6, 0, tzinfo=IST)),
        (datetime(2026, 12, 31, 20, 0, tzinfo=IST), datetime(2027, 1, 1, 6, 0, tzinfo=IST)),
    ],
)
def test_token_issued_at_a_time_expires_at_the_next_six_am_ist(issued, expires):
    result = next_token_expiry(issued)
    assert result == expires
    assert result.tzinfo is UTC


def test_naive_issue_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_token_expiry(datetime(2026, 3, 10, 9, 30))
