"""Print decode rates: the official kiteconnect parser beside our frame decoder.

Frames come from the simulator's seeded market (realistic prices and depth), 200 packets per
frame as Kite batches them, in full mode or the mode given (`python bench_kite_decoder.py
[full|quote|ltp]`). Runs on one core; prints ticks per CPU-second for:
the official parser (bytes -> dicts of floats), our decoder to packets (bytes -> integer
tuples) and our decoder to domain ticks (bytes -> `Tick` with Decimal prices and depth),
both as a list and one at a time as the market feed consumes them.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kiteconnect import KiteTicker

from alpha_panda.adapters.kite.frames import FrameDecoder
from alpha_panda.backtest.generated_market.frames import StreamMode, encode_frame, encode_packet
from alpha_panda.backtest.generated_market.generator import GeneratedMarket
from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry

PACKETS_PER_FRAME = 200
FRAMES = 100
ROUNDS = 7


def _frames(mode: StreamMode = StreamMode.FULL) -> list[bytes]:
    start = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    registry = InstrumentRegistry.build(start.date(), synthetic_count=PACKETS_PER_FRAME)
    market = GeneratedMarket(registry, start, seed=7)
    tokens = [item.instrument_token for item in registry if not item.is_index][:PACKETS_PER_FRAME]
    frames = []
    for step in range(FRAMES):
        instant = start + timedelta(seconds=step / 2)
        quotes = [market.quote(token, instant) for token in tokens]
        frames.append(encode_frame([encode_packet(quote, mode) for quote in quotes if quote]))
    return frames


def _rates(decoders: dict[str, Callable[[bytes], object]], frames: list[bytes]) -> dict[str, float]:
    """Return each decoder's best ticks per CPU-second over ROUNDS passes through all frames.

    CPU time, not wall time, because the machine is shared: it is what decoding costs. Each
    round times every decoder in turn, so a burst of load elsewhere cannot favour one of them.
    """
    best = dict.fromkeys(decoders, float("inf"))
    for _ in range(ROUNDS):
        for name, decode in decoders.items():
            began = time.process_time()
            for frame in frames:
                decode(frame)
            best[name] = min(best[name], time.process_time() - began)
    return {name: len(frames) * PACKETS_PER_FRAME / seconds for name, seconds in best.items()}


def main() -> None:
    """Measure and print the decode rates and their ratios to the official parser."""
    frames = _frames(StreamMode(sys.argv[1]) if len(sys.argv) > 1 else StreamMode.FULL)
    official = KiteTicker("api_key", "access_token")
    decoder = FrameDecoder()
    received_at = datetime.now(UTC)
    rates = _rates(
        {
            "official kiteconnect _parse_binary": official._parse_binary,
            "FrameDecoder.packets (integer tuples)": decoder.packets,
            "FrameDecoder.ticks (list of Tick)": lambda frame: decoder.ticks(frame, received_at),
            # The feed's path: each tick decoded as iteration reaches it, then dropped once used.
            "FrameDecoder.batch (Tick by Tick)": lambda frame: deque(
                decoder.batch(frame, received_at), maxlen=0
            ),
        },
        frames,
    )
    baseline = rates["official kiteconnect _parse_binary"]
    for name, rate in rates.items():
        print(f"{name:40s} {rate:>12,.0f} ticks/s  {rate / baseline:5.1f}x")


if __name__ == "__main__":
    main()
