"""`make chaos` (`python -m chaos`): a paper and a zerodha session under faults, then the checks.

Private Kafka, PostgreSQL and Redis servers, the Kite simulator with Kite's rate limits, and
every service of both namespaces as its own process. During the run services are SIGKILLed at
random and started again, each dependency is stopped and restarted once, the simulator now and
then executes a placement and answers it with a 429, and bad records go to the input topics.
Then the feed stops, the pipeline drains, and the broker's book, the topics, the ledger and the
portfolio are checked against each other. Exit status 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time
from collections.abc import Sequence

import redis.asyncio as redis

from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.streaming.lag import group_lag
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from chaos import checks
from chaos.bad_records import Injector
from chaos.faults import Chaos, FaultLog
from chaos.session import PREFIX, Deployment, Servers, deploy, strategies
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from local_run.setup import instrument_tokens, login

RECOVERY_BOUND = 30.0
"""Seconds within which every service must be ready again after a dependency returns."""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--duration", type=float, default=600, help="seconds of faults")
    parser.add_argument("--seed", type=int, default=1, help="seeds the faults and the market")
    parser.add_argument("--speed", type=float, default=10, help="simulated seconds per second")
    parser.add_argument("--outage", type=float, default=15, help="seconds a dependency is down")
    return parser.parse_args(argv)


def main(argv: Sequence[str] = ()) -> int:
    """Run the faults and the checks; return 0 when every invariant holds."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # outages are the point here
    return asyncio.run(run(parse(argv)))


async def run(arguments: argparse.Namespace) -> int:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    servers = Servers()
    await asyncio.to_thread(servers.start)
    config = SimulatorConfig(speed=arguments.speed, seed=arguments.seed, tick_interval=0.25)
    deployment: Deployment | None = None
    found: checks.Findings | None = None
    try:
        async with KiteSimulator(config) as simulator:
            access_token = await login(simulator)
            tokens = await instrument_tokens(simulator, access_token)
            configs = strategies(tokens)
            deployment = await deploy(servers, simulator, access_token, configs)
            print(
                f"{len(deployment.services)} services ready (logs {deployment.log_dir}); "
                f"faults for {arguments.duration:.0f}s, seed {arguments.seed}",
                flush=True,
            )
            injector = Injector(servers.kafka.bootstrap, PREFIX, tokens["RELIANCE"])
            chaos = Chaos(
                deployment, servers, simulator, arguments.seed, injector.inject, arguments.outage
            )
            faults = await chaos.run(arguments.duration, stopping)
            await deployment.services["market-feed"].stop()
            drained = await drain(deployment, servers.kafka.bootstrap, simulator)
            dsn = deployment.environment["ALPHA_PANDA_POSTGRES_DSN"]
            found = await examine(dsn, servers, simulator, configs, injector)
            if not drained:
                found.problems.append("the pipeline did not drain within 180 s")
            codes = await deployment.stop()
            deployment = None
    finally:
        if deployment is not None:
            await deployment.stop()
        # a broken invariant (or a run cut short) keeps the services' logs to read
        await asyncio.to_thread(servers.stop, found is None or bool(found.problems))
    failed = {name: code for name, code in codes.items() if code not in (0, -signal.SIGTERM)}
    if failed:
        found.problems.append(f"services that did not stop cleanly: {failed}")
    return report(faults, found, len(codes))


async def drain(deployment: Deployment, bootstrap: str, simulator: KiteSimulator) -> bool:
    """Wait until every group has committed everything and the ledger holds the broker's book."""
    groups = [f"{PREFIX}{name}" for name in deployment.services if name != "market-feed"]
    topics = [TopicMap(Namespace.PAPER, PREFIX).market_ticks]
    for namespace in (Namespace.PAPER, Namespace.ZERODHA):
        topics += TopicMap(namespace, PREFIX).namespaced()
    dsn = deployment.environment["ALPHA_PANDA_POSTGRES_DSN"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        lag = await group_lag(bootstrap, groups, topics)
        if not any(lag.values()):
            found = checks.Findings()
            fills, orders = await checks.ledger_fills(dsn), await checks.ledger_orders(dsn)
            checks.check_broker(found, simulator, fills, orders)
            if not found.missing_orders and not found.missing_trades:
                return True
        await asyncio.sleep(1)  # polling Kafka and the ledger for the pipeline's progress
    return False


async def examine(
    dsn: str,
    servers: Servers,
    simulator: KiteSimulator,
    configs: list[StrategyConfig],
    injector: Injector,
) -> checks.Findings:
    """Check every invariant; return the counts and the problems found."""
    found = checks.Findings()
    fills, orders = await checks.ledger_fills(dsn), await checks.ledger_orders(dsn)
    checks.check_broker(found, simulator, fills, orders)
    async with redis.from_url(servers.redis.url) as client:
        for namespace in (Namespace.PAPER, Namespace.ZERODHA):
            cache = PortfolioCache(client, namespace, PREFIX)
            await checks.check_positions(found, cache, fills, namespace.value)
    checks.check_limits(found, configs, fills, orders)
    await checks.check_fill_topics(found, servers.kafka.bootstrap, PREFIX, fills)
    await checks.check_dead_letters(found, servers.kafka.bootstrap, injector.sent)
    for name in ("paper", "zerodha"):
        found.fills[f"{name} in the ledger"] = sum(row["namespace"] == name for row in fills)
    return found


def report(faults: FaultLog, found: checks.Findings, services: int) -> int:
    """Print the run's figures and problems; return the exit status."""
    for name, seconds in faults.recovery.items():
        if seconds > RECOVERY_BOUND:
            found.problems.append(f"a service took {seconds:.1f}s to be ready after {name}")
    found.problems += [f"never ready again: {what}" for what in faults.never_ready]
    found.problems += [f"exited by itself: {what}" for what in faults.unexpected_exits]
    restarts = ", ".join(f"{name} {count}" for name, count in faults.dependency_restarts.items())
    recovery = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in faults.recovery.items())
    print("\nChaos run")
    print(f"  service kills          {faults.kills} (each restarted: {faults.restarts})")
    print(f"  slowest kill to ready  {faults.restart_ready:.1f}s")
    print(f"  dependency restarts    {restarts}")
    unready = ", ".join(f"{name} {count}" for name, count in faults.unready.items())
    print(f"  unready while down     {unready} (of {services} services)")
    print(f"  ready again after      {recovery} (bound {RECOVERY_BOUND:.0f}s)")
    print(f"  placements 429'd after execution  {faults.placement_faults}")
    print(f"  broker orders          {found.broker_orders} ({found.broker_trades} trades)")
    print(f"  fills                  {found.fills}")
    print(f"  duplicate orders       {found.duplicates}")
    print(f"  missing from ledger    {found.missing_orders} orders, {found.missing_trades} trades")
    print(f"  dead letters           {len(found.dead_letters)}")
    for line in found.dead_letters:
        print(f"    {line}")
    print(f"  invariants broken      {len(found.problems)}")
    for problem in found.problems:
        print(f"    {problem}")
    return 1 if found.problems else 0
