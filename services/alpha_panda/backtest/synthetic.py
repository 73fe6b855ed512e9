"""Deterministic synthetic ticks: a random walk on the tick grid inside NSE market hours."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from alpha_panda.backtest.trading_time import SESSION_CLOSE, SESSION_OPEN
from alpha_panda.domain.market import Tick
from alpha_panda.domain.values import IST


def synthetic_ticks(
    start_prices: Mapping[int, Decimal],
    count: int,
    start_day: date,
    interval_ms: int = 100,
    seed: int = 7,
    tick_size: Decimal = Decimal("0.05"),
) -> Iterator[Tick]:
    """Yield `count` ticks cycling over the instruments, `interval_ms` of exchange time apart.

    Each price moves by -3..+3 tick sizes per tick; time runs from 09:15 to 15:30 IST and
    then continues at 09:15 on the next weekday. The same arguments give the same ticks.
    """
    generator = random.Random(seed)
    prices = {token: Decimal(price) for token, price in start_prices.items()}
    tokens = sorted(prices)
    step = timedelta(milliseconds=interval_ms)
    day = start_day
    while day.weekday() >= 5:
        day += timedelta(days=1)
    now = datetime.combine(day, SESSION_OPEN, IST)
    close = datetime.combine(day, SESSION_CLOSE, IST)
    volume = 0
    for index in range(count):
        token = tokens[index % len(tokens)]
        price = max(tick_size, prices[token] + generator.randint(-3, 3) * tick_size)
        prices[token] = price
        quantity = generator.randint(1, 500)
        volume += quantity
        yield Tick(
            instrument_token=token,
            exchange_timestamp=now,
            last_price=price,
            last_quantity=quantity,
            volume=volume,
        )
        now += step
        if now >= close:
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            now = datetime.combine(day, SESSION_OPEN, IST)
            close = datetime.combine(day, SESSION_CLOSE, IST)
