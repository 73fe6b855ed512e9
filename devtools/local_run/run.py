"""`make run` (`python -m local_run`): a local paper-trading session against the Kite simulator.

Starts the simulator on an accelerated trading day, the pipeline services and one strategy
runner per example strategy as separate processes, prints live progress, and on Ctrl-C or
after `--duration` stops the feed, lets the pipeline drain, stops every service in order and
prints a session summary checked against the PostgreSQL ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import redis.asyncio as redis

from alpha_panda.adapters.postgres.server import create_database
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.settings import load_settings
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.core.streaming.lag import group_lag
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.values import Namespace
from kite_sim.simulator import KiteSimulator, SimulatorConfig, generate_credentials
from local_run.processes import ServiceProcess, start_service
from local_run.progress import EquityCurve, scrape, total
from local_run.setup import (
    DASHBOARD_USER,
    api_environment,
    configure,
    define_strategies,
    example_strategies,
    instrument_tokens,
    login,
)
from local_run.summary import print_summary

REQUIRED = ("ALPHA_PANDA_KAFKA_BOOTSTRAP", "ALPHA_PANDA_POSTGRES_DSN", "ALPHA_PANDA_REDIS_URL")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_run", description=__doc__)
    parser.add_argument("--duration", type=float, default=60, help="seconds; 0 runs until Ctrl-C")
    parser.add_argument("--speed", type=float, default=60, help="simulated seconds per second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    return parser.parse_args(argv)


def main(argv: Sequence[str] = ()) -> int:
    """Run a session; return 0 when the summary agrees with the ledger."""
    arguments = parse(argv)
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(
            f"python -m local_run needs {', '.join(missing)}: start the local infrastructure with "
            '`make run` (or `eval "$(scripts/infra.sh up)"` and export them).',
            file=sys.stderr,
        )
        return 2
    return asyncio.run(PaperSession(arguments).run())


class PaperSession:
    """One run of the paper pipeline, with its own database, topic prefix and cache keys."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.arguments = arguments
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.prefix = f"s{stamp}."
        self.database = f"alpha_panda_session_{stamp}"
        self.log_dir = Path(tempfile.mkdtemp(prefix="alpha-panda-session-"))
        self.services: list[ServiceProcess] = []
        self.stopping = asyncio.Event()
        self.curve = EquityCurve()
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        if not self.arguments.quiet:
            print(line, flush=True)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.stopping.set)
        credentials = generate_credentials()
        config = SimulatorConfig(
            speed=self.arguments.speed,
            seed=self.arguments.seed,
            credentials=credentials,
            tick_interval=0.1,  # ten ticks a second per instrument: a lively demo
        )
        async with KiteSimulator(config) as simulator:
            access_token = await login(simulator)
            strategies = example_strategies(await instrument_tokens(simulator, access_token))
            dsn = await create_database(os.environ["ALPHA_PANDA_POSTGRES_DSN"], self.database)
            password = await configure(dsn)
            environment = {
                "ALPHA_PANDA_NAMESPACE": "paper",
                "ALPHA_PANDA_GROUP_PREFIX": self.prefix.rstrip("."),
                "ALPHA_PANDA_TOPIC_PREFIX": self.prefix,
                "ALPHA_PANDA_POSTGRES_DSN": dsn,
                "ALPHA_PANDA_KITE_API_KEY": simulator.api_key,
                "ALPHA_PANDA_KITE_ACCESS_TOKEN": access_token,
                "ALPHA_PANDA_KITE_ROOT": simulator.urls.rest,
                "ALPHA_PANDA_KITE_WS_URL": simulator.urls.websocket,
            }
            topics = TopicMap(Namespace.PAPER, self.prefix)
            await ensure_topics(os.environ["ALPHA_PANDA_KAFKA_BOOTSTRAP"], topics)
            settings = load_settings(
                service_name="local-run",
                namespace="paper",
                topic_prefix=self.prefix,
                postgres_dsn=dsn,
            )
            await define_strategies(settings, strategies)
            self.say(
                f"session {self.prefix.rstrip('.')}: simulator {simulator.urls.rest} "
                f"at {config.speed:g}x, database {self.database}, logs {self.log_dir}"
            )
            try:
                await self._start(environment, [s.strategy_id for s in strategies], password)
                await self._watch(topics)
                await self._drain(topics)
            finally:
                codes = [await service.stop() for service in self.services]
            async with redis.from_url(os.environ["ALPHA_PANDA_REDIS_URL"]) as cache:
                agrees = await print_summary(
                    dsn,
                    PortfolioCache(cache, Namespace.PAPER, self.prefix),
                    self.curve,
                    time.monotonic() - self.started,
                )
        return 0 if agrees and not any(codes) else 1

    async def _start(
        self, environment: dict[str, str], strategy_ids: list[str], password: str
    ) -> None:
        """Start the pipeline and the API, then the feed once they are all ready."""
        pipeline = [
            ("portfolio-manager", "portfolio-manager", {}),
            ("trading-engine", "trading-engine", {}),
            ("risk-manager", "risk-manager", {}),
            *(
                (f"strategy-runner.{sid}", "strategy-runner", {"ALPHA_PANDA_STRATEGY_ID": sid})
                for sid in strategy_ids
            ),
            ("api", "api", api_environment()),
        ]
        for name, service, extra in pipeline:
            self.services.append(
                await start_service(name, service, {**environment, **extra}, self.log_dir)
            )
        for process in self.services:
            await process.wait_ready()
        api = self.services[-1]
        self.say(
            f"dashboard {api.url}/dashboard — user {DASHBOARD_USER}, "
            f"password {password} (this session only)"
        )
        feed = await start_service("market-feed", "market-feed", environment, self.log_dir)
        self.services.insert(0, feed)
        await feed.wait_ready()
        self.started = time.monotonic()
        self.say(f"{len(self.services)} services ready; trading (Ctrl-C to stop)")

    async def _watch(self, topics: TopicMap) -> None:
        duration = self.arguments.duration
        async with redis.from_url(os.environ["ALPHA_PANDA_REDIS_URL"]) as cache:
            portfolio = PortfolioCache(cache, Namespace.PAPER, self.prefix)
            previous_ticks, previous_time = 0, time.monotonic()
            while not self.stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=1)
                counts = await scrape(self.services)
                ticks = total(counts, "emitted", topics.market_ticks, "market-feed")
                now = time.monotonic()
                rate = (ticks - previous_ticks) / (now - previous_time)
                previous_ticks, previous_time = ticks, now
                summary = await portfolio.summary()
                net = summary.net_pnl if summary else Decimal(0)
                self.curve.add(net)
                self.say(
                    f"[{now - self.started:5.0f}s] ticks {ticks:,} ({rate:,.0f}/s) | "
                    f"signals {total(counts, 'emitted', topics.signals_raw)} | "
                    f"rejected {total(counts, 'emitted', topics.signals_rejected)} | "
                    f"orders {total(counts, 'emitted', topics.orders_placed)} | "
                    f"fills {total(counts, 'emitted', topics.orders_filled)} | net P&L ₹{net}"
                )
                if int(now - self.started) % 10 == 0:
                    for strategy in await portfolio.strategies():
                        self.say(
                            f"        {strategy.strategy_id:<22} net ₹{strategy.net_pnl:>10} "
                            f"({strategy.fills} fills, charges ₹{strategy.charges})"
                        )
                if duration and now - self.started >= duration:
                    break

    async def _drain(self, topics: TopicMap, timeout: float = 60) -> None:
        """Stop the feed, then wait until every service has committed everything written."""
        await self.services[0].stop()
        groups = [f"{self.prefix.rstrip('.')}.{service.name}" for service in self.services[1:]]
        bootstrap = os.environ["ALPHA_PANDA_KAFKA_BOOTSTRAP"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lag = await group_lag(bootstrap, groups, [topics.market_ticks, *topics.namespaced()])
            if not any(lag.values()):
                return
            await asyncio.sleep(0.2)  # polling Kafka for the groups' progress
        self.say("warning: the pipeline did not drain in time; the summary may lag the ledger")
