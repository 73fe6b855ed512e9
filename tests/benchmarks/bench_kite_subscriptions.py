"""Print how long the market feed takes to act on a change of its instruments.

The Kite simulator runs as its own process (9,000 synthetic instruments, a tick round every
0.25 s), logged into with the official client; the feed starts with no instruments and moves
through a series of changes. For each it prints the time from `set_instruments` until the
commands are sent (`ready` again), until the first and the last newly wanted instrument ticked,
and until the last tick of an instrument no longer wanted arrived.

    python tests/benchmarks/bench_kite_subscriptions.py [ltp|quote|full]
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.adapters.kite.frames import TickBatch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.benchmarks.bench_kite_feed import _simulator_source

QUIET_SECONDS = 2.0
"""How long after a change the removed instruments are watched for a late tick."""


class Arrivals:
    """Record when (loop time) each instrument last ticked, consuming the feed."""

    def __init__(self, feed: KiteFeed) -> None:
        self.feed = feed
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    async def consume(self) -> None:
        """Take every batch of the feed until it ends."""
        loop = asyncio.get_running_loop()
        async for item in self.feed:
            if isinstance(item, TickBatch):
                now = loop.time()
                for tick in item:
                    self.first.setdefault(tick.instrument_token, now)
                    self.last[tick.instrument_token] = now


async def _poll(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Return once `condition` holds, checking every millisecond; raise after `timeout`."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.001)


async def _change(feed: KiteFeed, arrivals: Arrivals, tokens: list[int], label: str) -> None:
    loop = asyncio.get_running_loop()
    before = {token for shard in feed.shards for token in shard}
    arrivals.first.clear()
    began = loop.time()
    change = feed.set_instruments(tokens)
    await _poll(lambda: feed.ready)
    sent = loop.time() - began
    added = set(change.added)
    await _poll(lambda: added <= arrivals.first.keys())
    if change.removed:
        await asyncio.sleep(QUIET_SECONDS)
    firsts = [arrivals.first[token] - began for token in added if token in arrivals.first]
    lasts = [arrivals.last.get(token, began) - began for token in change.removed]
    print(
        f"{label:<34} {len(before):>5} -> {len(tokens):>5} instruments,"
        f" {len(feed.shards)} connection(s): sent {sent * 1000:6.1f} ms",
        end="",
    )
    if firsts:
        print(
            f", new ticked {min(firsts) * 1000:6.0f}-{max(firsts) * 1000:6.0f} ms"
            f" ({len(firsts)}/{len(added)})",
            end="",
        )
    if lasts:
        print(f", removed last ticked at {max(lasts) * 1000:+6.0f} ms", end="")
    print(f", overflow {len(change.overflow)}" if change.overflow else "")


async def _measure(feed: KiteFeed, tokens: list[int]) -> None:
    await feed.start()
    await _poll(lambda: feed.ready)
    arrivals = Arrivals(feed)
    consumer = asyncio.create_task(arrivals.consume())
    steps = [
        (tokens[:1], "add 1"),
        (tokens[:100], "add 99"),
        (tokens[:3000], "add 2,900 (fills the connection)"),
        (tokens[:3001], "add 1 (opens a second connection)"),
        (tokens[1:3001], "remove 1"),
        (tokens[100:3001], "remove 99"),
        (tokens[100:3100], "add 99 (into the room removals left)"),
        ([*tokens[:9000], 1_000_000_001], "grow to 9,000 + 1 over the limit"),
        (tokens[:100], "shrink to 100 (closes the emptied one)"),
    ]
    for wanted, label in steps:
        await _change(feed, arrivals, wanted, label)
    print(f"reconnects {feed.counters.reconnects}, dropped ticks {feed.counters.dropped_ticks}")
    await feed.stop()
    await consumer


def main() -> None:
    """Start the simulator, run the changes and print the figures."""
    mode = sys.argv[1] if len(sys.argv) > 1 else "quote"
    process, config, tokens = _simulator_source(mode)
    try:
        asyncio.run(_measure(KiteFeed(config), tokens))
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
