"""The request pacer on a fake clock: per-class windows, the placement caps, FIFO order."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from alpha_panda.adapters.kite.pacing import (
    DailyOrderCapReachedError,
    KiteRateLimits,
    RateClass,
    RequestPacer,
    rate_class_of,
)


class FakeClock:
    """A monotonic clock that moves only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.day = date(2026, 11, 25)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds

    def pacer(self, limits: KiteRateLimits | None = None) -> RequestPacer:
        return RequestPacer(limits, self.monotonic, self.sleep, lambda: self.day)


async def stamps(
    clock: FakeClock, pacer: RequestPacer, rate_class: RateClass, n: int
) -> list[float]:
    result = []
    for _ in range(n):
        async with pacer.turn(rate_class, placement=rate_class is RateClass.ORDERS):
            pass
        result.append(round(clock.now, 3))
    return result


def test_client_methods_map_to_kites_rate_classes() -> None:
    assert rate_class_of("place_order") is RateClass.ORDERS
    assert rate_class_of("cancel_order") is RateClass.ORDERS
    assert rate_class_of("ltp") is RateClass.QUOTE
    assert rate_class_of("historical_data") is RateClass.HISTORICAL
    assert rate_class_of("orders") is RateClass.OTHER  # reading the book is not an order call


async def test_eleventh_order_of_a_second_waits_for_the_window_and_its_margin() -> None:
    clock = FakeClock()
    times = await stamps(clock, clock.pacer(), RateClass.ORDERS, 21)

    assert times[:10] == [0.0] * 10
    assert times[10:20] == [1.05] * 10
    assert times[20] == 2.1


async def test_quotes_go_one_per_window_and_other_classes_do_not_wait_for_them() -> None:
    clock = FakeClock()
    pacer = clock.pacer()
    assert await stamps(clock, pacer, RateClass.QUOTE, 3) == [0.0, 1.05, 2.1]
    assert await stamps(clock, pacer, RateClass.OTHER, 10) == [2.1] * 10


async def test_placements_past_the_minute_cap_wait_for_the_minute() -> None:
    clock = FakeClock()
    limits = KiteRateLimits(placements_per_minute=15, margin_seconds=0.0)
    times = await stamps(clock, clock.pacer(limits), RateClass.ORDERS, 16)

    assert times[:10] == [0.0] * 10 and times[10:15] == [1.0] * 5
    assert times[15] == 60.0


async def test_placements_past_the_days_cap_are_refused_until_the_next_day() -> None:
    clock = FakeClock()
    pacer = clock.pacer(KiteRateLimits(placements_per_day=3))
    await stamps(clock, pacer, RateClass.ORDERS, 3)

    with pytest.raises(DailyOrderCapReachedError, match="3 Kite order placements"):
        await stamps(clock, pacer, RateClass.ORDERS, 1)
    async with pacer.turn(RateClass.ORDERS):  # a cancel is not a placement
        pass
    clock.day = date(2026, 11, 26)
    assert await stamps(clock, pacer, RateClass.ORDERS, 1) == [0.0]


async def test_concurrent_callers_are_served_in_arrival_order() -> None:
    clock = FakeClock()
    pacer = clock.pacer(KiteRateLimits(per_second={RateClass.QUOTE: 1}))
    served: list[int] = []

    async def caller(number: int) -> None:
        async with pacer.turn(RateClass.QUOTE):
            served.append(number)

    await asyncio.gather(*(caller(number) for number in range(5)))
    assert served == [0, 1, 2, 3, 4]
    assert pacer.waited_seconds == pytest.approx(4 * 1.05)


def test_a_limit_below_one_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="placements_per_minute"):
        KiteRateLimits(placements_per_minute=0)


async def test_a_request_counts_until_a_window_after_its_answer_however_long_it_took() -> None:
    clock = FakeClock()
    pacer = clock.pacer(KiteRateLimits(per_second={RateClass.QUOTE: 2}, margin_seconds=0.0))
    admitted: list[float] = []

    async def slow_request() -> None:
        async with pacer.turn(RateClass.QUOTE):
            admitted.append(clock.now)
            await asyncio.sleep(0)  # the others queue while it is in flight
            clock.now += 3.0  # answered three seconds after it was sent

    await asyncio.gather(slow_request(), slow_request(), slow_request())
    # Two in flight from 0, answered at 3 and 6: the third waits for an answer, and at 6 only
    # the first one's window has passed (counted from admission it would have gone at 1).
    assert admitted == [0.0, 0.0, 6.0]
