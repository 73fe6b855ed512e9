"""The system under fault: private servers, the Kite simulator and both namespaces' services."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.server import create_database
from alpha_panda.core.settings import load_settings
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from chaos.servers import KafkaServer, PostgresServer, RedisServer
from kite_sim.simulator import KiteSimulator
from local_run.processes import ServiceProcess, start_service
from local_run.setup import define_strategies

PREFIX = "chaos."
DATABASE = "alpha_panda_chaos"
PIPELINE = ("portfolio-manager", "trading-engine", "risk-manager")


class Servers:
    """Private Kafka, PostgreSQL and Redis in one directory, each restartable on its port."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="alpha-panda-chaos-"))
        self.directory.chmod(0o755)  # PostgreSQL runs as its own user when we are root
        for name in ("kafka", "postgres", "redis"):
            (self.directory / name).mkdir()
        self.kafka = KafkaServer(self.directory / "kafka")
        self.postgres = PostgresServer(self.directory / "postgres")
        self.redis = RedisServer(self.directory / "redis")

    def start(self) -> None:
        """Create and start all three; blocks until each accepts connections."""
        self.kafka.initialise()
        self.postgres.initialise()
        for server in (self.kafka, self.postgres, self.redis):
            server.start()

    def stop(self, keep_logs: bool = False) -> None:
        """Stop all three and delete their data; the services' logs too unless `keep_logs`."""
        for server in (self.redis, self.postgres, self.kafka):
            try:
                server.stop()
            except Exception as error:  # the next one must still be stopped
                print(f"warning: stopping {type(server).__name__} failed: {error}")
        if not keep_logs:
            shutil.rmtree(self.directory, ignore_errors=True)
            return
        for name in ("kafka", "postgres", "redis"):
            shutil.rmtree(self.directory / name, ignore_errors=True)
        print(f"logs kept in {self.directory / 'logs'}")


def strategies(tokens: dict[str, int]) -> list[StrategyConfig]:
    """Two strategies per namespace, with limits tight enough to be reached under load."""

    def pick(*symbols: str) -> tuple[int, ...]:
        return tuple(tokens[symbol] for symbol in symbols)

    configs = []
    for namespace in (Namespace.PAPER, Namespace.ZERODHA):
        configs += [
            StrategyConfig(
                strategy_id=f"{namespace.value}-momentum",
                namespace=namespace,
                strategy_type="momentum",
                instruments=pick("RELIANCE", "INFY", "TCS"),
                parameters={"quantity": 10, "cooldown_seconds": 20},
                risk_limits=RiskLimits(max_position_quantity=20, max_orders_per_day=60),
            ),
            StrategyConfig(
                strategy_id=f"{namespace.value}-reversion",
                namespace=namespace,
                strategy_type="mean_reversion",
                instruments=pick("HDFCBANK", "ICICIBANK", "SBIN"),
                parameters={"quantity": 15, "cooldown_seconds": 20},
                risk_limits=RiskLimits(max_position_quantity=30, max_orders_per_day=60),
            ),
        ]
    return configs


@dataclass
class Deployment:
    """The services of both namespaces, by name, with what each was started with."""

    environment: dict[str, str]
    log_dir: Path
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    launch: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    async def start(self, name: str, service: str, extra: dict[str, str]) -> ServiceProcess:
        """Start (or start again) one service process and remember how."""
        self.launch[name] = (service, extra)
        process = await start_service(name, service, {**self.environment, **extra}, self.log_dir)
        self.services[name] = process
        return process

    async def restart(self, name: str) -> ServiceProcess:
        """Start a service again as it was first started; keep the old log."""
        old = self.services[name].log
        earlier = len(list(self.log_dir.glob(f"{name}.*.log")))
        old.rename(old.with_suffix(f".{earlier + 1}.log"))
        service, extra = self.launch[name]
        return await self.start(name, service, extra)

    async def stop(self) -> dict[str, int]:
        """Stop the feed first, then the rest; return each exit code."""
        ordered = sorted(self.services, key=lambda name: name != "market-feed")
        return {name: await self.services[name].stop() for name in ordered}


async def deploy(
    servers: Servers, simulator: KiteSimulator, access_token: str, configs: list[StrategyConfig]
) -> Deployment:
    """Create the database and topics, define the strategies and start every service."""
    dsn = await create_database(servers.postgres.dsn, DATABASE)
    pool = await connect(dsn)  # migrate once here rather than racing in every service
    await pool.close()
    environment = {
        "ALPHA_PANDA_KAFKA_BOOTSTRAP": servers.kafka.bootstrap,
        "ALPHA_PANDA_POSTGRES_DSN": dsn,
        "ALPHA_PANDA_REDIS_URL": servers.redis.url,
        "ALPHA_PANDA_GROUP_PREFIX": PREFIX.rstrip("."),
        "ALPHA_PANDA_TOPIC_PREFIX": PREFIX,
        "ALPHA_PANDA_KITE_API_KEY": simulator.api_key,
        "ALPHA_PANDA_KITE_ACCESS_TOKEN": access_token,
        "ALPHA_PANDA_KITE_ROOT": simulator.urls.rest,
        "ALPHA_PANDA_KITE_WS_URL": simulator.urls.websocket,
    }
    for namespace in (Namespace.PAPER, Namespace.ZERODHA):
        await ensure_topics(servers.kafka.bootstrap, TopicMap(namespace, PREFIX))
        settings = load_settings(
            service_name="chaos",
            namespace=namespace.value,
            topic_prefix=PREFIX,
            kafka_bootstrap=servers.kafka.bootstrap,
            postgres_dsn=dsn,
            redis_url=servers.redis.url,
        )
        await define_strategies(settings, [c for c in configs if c.namespace is namespace])
    deployment = Deployment(environment, servers.directory / "logs")
    deployment.log_dir.mkdir()
    for namespace in (Namespace.PAPER, Namespace.ZERODHA):
        own = {"ALPHA_PANDA_NAMESPACE": namespace.value}
        for service in PIPELINE:
            await deployment.start(f"{namespace.value}.{service}", service, own)
        for config in configs:
            if config.namespace is namespace:
                extra = {**own, "ALPHA_PANDA_STRATEGY_ID": config.strategy_id}
                await deployment.start(
                    f"{namespace.value}.runner.{config.strategy_id}", "strategy-runner", extra
                )
    await asyncio.gather(*(p.wait_ready(timeout=120) for p in deployment.services.values()))
    # One feed serves both namespaces; in the zerodha namespace it also forwards order updates.
    feed = await deployment.start(
        "market-feed", "market-feed", {"ALPHA_PANDA_NAMESPACE": "zerodha"}
    )
    await feed.wait_ready(timeout=120)
    return deployment
