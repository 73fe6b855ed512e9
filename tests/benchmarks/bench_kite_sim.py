"""Print the Kite simulator's tick rate per CPU core: market steps, quotes and packets.

Runs the simulator's streaming round (`TickerHub.stream_once`) for 9,000 instruments over
three connections whose sockets discard what they are sent, so the figure is the simulator's
own cost per tick (price step, depth, packet encoding, framing) without the network or a
client. Prints CPU microseconds per tick and ticks per CPU-second for each mode.

    python tests/benchmarks/bench_kite_sim.py [rounds]
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta
from typing import Any, cast

from aiohttp import web

from alpha_panda.backtest.generated_market.frames import StreamMode
from alpha_panda.domain.values import IST
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from kite_sim.websocket import Connection

START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
INSTRUMENTS = 9000
PER_CONNECTION = 3000


class DiscardingSocket:
    """Stands in for a client socket that reads instantly."""

    closed = False

    async def send_bytes(self, payload: bytes) -> None:
        del payload


async def measure(mode: StreamMode, rounds: int) -> float:
    simulator = KiteSimulator(
        SimulatorConfig(start=START, speed=0, synthetic_instruments=INSTRUMENTS)
    )
    session = simulator.login()
    tokens = [item.instrument_token for item in simulator.registry if not item.is_index][
        :INSTRUMENTS
    ]
    for start in range(0, INSTRUMENTS, PER_CONNECTION):
        socket = cast(web.WebSocketResponse, DiscardingSocket())
        connection = Connection(simulator.api_key, session.access_token, cast(Any, None), socket)
        connection.modes = dict.fromkeys(tokens[start : start + PER_CONNECTION], mode)
        simulator.hub.connections.append(connection)
    await simulator.hub.stream_once()  # first touch of every instrument, not measured
    began = time.process_time()
    for _ in range(rounds):
        simulator.clock.advance(timedelta(seconds=0.5))
        await simulator.hub.stream_once()
    return (time.process_time() - began) / (rounds * INSTRUMENTS)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for mode in StreamMode:
        seconds = asyncio.run(measure(mode, rounds))
        print(
            f"{mode.value:>5}: {seconds * 1e6:6.1f} CPU us/tick, {1 / seconds:9,.0f} ticks per CPU-second"
        )


if __name__ == "__main__":
    main()
