"""Run the Kite simulator as its own process and print where it listens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from alpha_panda.domain.values import IST
from kite_sim.rate_limits import KITE_RATE_LIMITS
from kite_sim.simulator import KiteSimulator, SimulatorConfig, generate_credentials


def _ist_instant(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=IST)


def parse_arguments(argv: Sequence[str] | None = None) -> SimulatorConfig:
    """Turn command-line arguments into a simulator configuration."""
    parser = argparse.ArgumentParser(prog="kite-sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    parser.add_argument(
        "--start", type=_ist_instant, help="ISO instant the clock starts at (naive means IST)"
    )
    parser.add_argument("--replay", type=Path, help="CSV or JSON-lines tick file to play")
    parser.add_argument("--synthetic-instruments", type=int, default=0)
    parser.add_argument("--tick-interval", type=float, default=0.5)
    parser.add_argument("--api-key", help="API key to accept (default: a generated one)")
    parser.add_argument("--api-secret", help="its secret (default: a generated one)")
    parser.add_argument("--no-rate-limits", action="store_true")
    arguments = parser.parse_args(argv)
    credentials = generate_credentials()
    if arguments.api_key:
        secret = arguments.api_secret or next(iter(credentials.values()))
        credentials = {arguments.api_key: secret}
    return SimulatorConfig(
        host=arguments.host,
        port=arguments.port,
        seed=arguments.seed,
        speed=arguments.speed,
        start=arguments.start,
        replay_file=arguments.replay,
        synthetic_instruments=arguments.synthetic_instruments,
        tick_interval=arguments.tick_interval,
        credentials=credentials,
        rate_limits={} if arguments.no_rate_limits else dict(KITE_RATE_LIMITS),
    )


async def serve(config: SimulatorConfig) -> None:
    """Serve until SIGINT or SIGTERM."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    async with KiteSimulator(config) as simulator:
        urls = simulator.urls
        print(f"rest {urls.rest}", flush=True)
        print(f"websocket {urls.websocket}", flush=True)
        print(f"login {urls.login}?api_key={simulator.api_key}&v=3", flush=True)
        print(f"api_key {simulator.api_key}", flush=True)
        if simulator.api_secret.startswith("simsecret_"):
            # A generated throw-away secret is useless unless the user can see it.
            print(f"api_secret {simulator.api_secret}", flush=True)
        await stopping.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `kite-sim` command and `python -m kite_sim`."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_arguments(argv)))


if __name__ == "__main__":
    main()
