"""Ticks of a simulator-generated trading session, decoded exactly as the market feed does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from alpha_panda.adapters.kite.frames import FrameDecoder
from alpha_panda.backtest.generated_market import (
    MARKET_CLOSE,
    MARKET_OPEN,
    GeneratedMarket,
    InstrumentRegistry,
    StreamMode,
    encode_frame,
    encode_packet,
)
from alpha_panda.domain.market import Tick
from alpha_panda.domain.values import IST


def simulated_symbols(instruments: Iterable[int], day: date) -> dict[int, str]:
    """Return the simulator's trading symbol of each listed token on `day`."""
    registry = InstrumentRegistry.build(day)
    listed = {token: registry.by_token(token) for token in instruments}
    return {token: item.tradingsymbol for token, item in listed.items() if item is not None}


def simulated_session(
    instruments: Iterable[int],
    day: date,
    seed: int = 0,
    step_seconds: float = 0.5,
    until: time = MARKET_CLOSE,
) -> Iterator[Tick]:
    """Yield one IST trading day of the simulator's seeded market for the given tokens.

    Every `step_seconds` from 09:15 IST until `until` (default 15:30), each instrument whose
    quote changed is packed into a full-mode Kite packet and decoded by the market feed's own
    decoder, so the ticks are the ones the live pipeline would consume from the simulator.
    """
    registry = InstrumentRegistry.build(day)
    tokens = list(instruments)
    unknown = [token for token in tokens if registry.by_token(token) is None]
    if unknown:
        raise ValueError(f"instruments not listed by the simulator: {unknown}")
    opening = datetime.combine(day, MARKET_OPEN, IST)
    closing = datetime.combine(day, until, IST)
    market = GeneratedMarket(registry, opening, seed=seed, step_seconds=step_seconds)
    decoder = FrameDecoder()
    step = timedelta(seconds=step_seconds)
    sequences: dict[int, int] = {}
    instant = opening
    while instant < closing:
        for token in tokens:
            quote = market.quote(token, instant)
            if quote is None or sequences.get(token) == quote.sequence:
                continue
            sequences[token] = quote.sequence
            frame = encode_frame([encode_packet(quote, StreamMode.FULL)])
            yield from decoder.ticks(frame, received_at=instant)
        instant += step
