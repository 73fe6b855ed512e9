"""Wire each service process from settings: one instance of every component, built once."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed, KiteFeedConfig
from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.ledger import write_ledger
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.strategies import write_definitions
from alpha_panda.adapters.redis.feed_capacity import FeedCapacity
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.health import HealthCheck
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import Runtime
from alpha_panda.core.streaming.compacted import read_latest
from alpha_panda.domain.execution.paper import PaperTrader, PaperTraderConfig
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.risk.limits import RiskEngineConfig
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined
from alpha_panda.domain.values import Namespace
from alpha_panda.market_feed.service import MarketFeed
from alpha_panda.portfolio_manager.service import PortfolioManager
from alpha_panda.risk_manager.service import RiskManager
from alpha_panda.strategy_runner.service import StrategyRunner
from alpha_panda.trading_engine.service import TradingEngine
from alpha_panda.trading_engine.traders import PaperExecution

SERVICES = ("market-feed", "strategy-runner", "risk-manager", "trading-engine", "portfolio-manager")
STRATEGY_SPEC_ENV = "ALPHA_PANDA_STRATEGY_SPEC"


class ConfigurationError(RuntimeError):
    """A service cannot be built from the configuration it was given."""


class Service(Protocol):
    """A running service process: a handler's runtime, or the market feed (a source)."""

    @property
    def failure(self) -> str | None: ...

    @property
    def waiting(self) -> str | None: ...

    async def start(self) -> None: ...
    async def run(self) -> None: ...
    def stop(self) -> None: ...
    async def close(self) -> None: ...


@dataclass
class Wiring:
    """The process's shared clients; closed in reverse order of opening."""

    settings: Settings
    pool: asyncpg.Pool
    redis: redis.Redis
    checks: list[HealthCheck] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings) -> Wiring:
        """Open the PostgreSQL pool (migrating the schema) and the Redis client."""
        pool = await connect(settings.postgres_dsn.get_secret_value(), max_size=5)
        client = redis.from_url(settings.redis_url.get_secret_value())
        return cls(settings, pool, client, closers=[pool.close, client.aclose])

    async def close(self) -> None:
        """Close every client."""
        for close in reversed(self.closers):
            await close()

    def checkpoints(self) -> PostgresCheckpoints:
        return PostgresCheckpoints(self.pool, self.settings.consumer_group)

    async def build(self, service: str) -> Service:
        """Return the named service; a runtime restores its handler's state when it starts."""
        builders = {
            "market-feed": self._market_feed,
            "strategy-runner": self._strategy_runner,
            "risk-manager": self._risk_manager,
            "trading-engine": self._trading_engine,
            "portfolio-manager": self._portfolio_manager,
        }
        if service not in builders:
            raise ConfigurationError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
        return await builders[service]()

    async def _strategy_runner(self) -> Service:
        settings = self.settings
        config = await self._definition(settings.strategy_id)
        runner = StrategyRunner(
            settings.topics, config, warmup_seconds=settings.strategy_warmup_seconds
        )
        return Runtime(runner, settings, self.checkpoints())

    async def _definition(self, strategy_id: str) -> StrategyConfig:
        """Return a strategy's definition in force: from the definitions stream, or the copy the
        operator hands its runner (the same definition, published just before)."""
        topic = self.settings.topics.strategies
        latest = (await read_latest(self.settings.kafka_bootstrap, topic)).get(strategy_id)
        if latest is not None and isinstance(latest.data, StrategyDefined):
            return latest.data.config
        spec = os.environ.get(STRATEGY_SPEC_ENV)
        if spec and strategy_id:
            config = StrategyConfig.model_validate(json.loads(spec))
            if config.strategy_id == strategy_id:
                return config
        raise ConfigurationError(
            f"ALPHA_PANDA_STRATEGY_ID={strategy_id!r} names no strategy defined on {topic}"
        )

    async def _risk_manager(self) -> Service:
        # No strategy is known until its definition arrives on the stream: fail closed.
        config = RiskEngineConfig(namespace=self.settings.namespace)
        manager = RiskManager(self.settings.topics, RiskEngine(config))
        store = PostgresCheckpoints(
            self.pool, self.settings.consumer_group, records=write_definitions
        )
        return Runtime(manager, self.settings, store)

    async def _trading_engine(self) -> Service:
        settings = self.settings
        if settings.namespace is Namespace.PAPER:
            trader = PaperExecution(PaperTrader(PaperTraderConfig()))
            return Runtime(TradingEngine(settings.topics, trader), settings, self.checkpoints())
        from alpha_panda.adapters.kite.client import paced_kite
        from alpha_panda.trading_engine.live import LiveTradingEngine, OrderWatchConfig
        from alpha_panda.trading_engine.reconciler import BookReconciler, reconcile_work
        from alpha_panda.trading_engine.zerodha import zerodha_trader

        self._kite_token()
        kite = paced_kite(settings)  # the trader and the reconciler wait their turns together
        watch = OrderWatchConfig(settings.order_poll_seconds)
        engine = LiveTradingEngine(
            settings.topics, zerodha_trader(settings, kite), settings.service_name, watch
        )
        reconciler = BookReconciler(kite, self.pool, settings.namespace.value)
        side_work = [
            (watch.poll_seconds, engine.poll),
            (settings.reconcile_seconds, reconcile_work(settings, reconciler, engine)),
        ]
        return Runtime(engine, settings, self.checkpoints(), side_work=side_work)

    async def _portfolio_manager(self) -> Service:
        settings = self.settings
        portfolio = Portfolio(PortfolioConfig(namespace=settings.namespace))
        cache = PortfolioCache(self.redis, settings.namespace, settings.topic_prefix)
        manager = PortfolioManager(settings.topics, portfolio)
        store = PostgresCheckpoints(self.pool, settings.consumer_group, records=write_ledger)
        if settings.namespace is Namespace.ZERODHA:
            from alpha_panda.portfolio_manager.reconciliation import reconcile_on_start

            manager.restore(await store.load_snapshot())
            await reconcile_on_start(portfolio, settings)

        async def publish_view() -> None:
            await manager.publish_view(cache)

        return Runtime(manager, settings, store, after_checkpoint=publish_view)

    def _kite_token(self) -> SecretStr:
        token = self.settings.access_token()
        if not self.settings.kite_api_key or not token.get_secret_value():
            raise ConfigurationError(
                "ALPHA_PANDA_KITE_API_KEY and ALPHA_PANDA_KITE_ACCESS_TOKEN (or _FILE) are required"
            )
        return token

    async def _market_feed(self) -> Service:
        settings = self.settings
        token = self._kite_token()
        config = KiteFeedConfig(
            ws_url=settings.kite_ws_url, api_key=settings.kite_api_key, access_token=token
        )
        capacity = FeedCapacity(self.redis, settings.topics.market_scope)
        return MarketFeed.for_settings(settings, KiteFeed(config), self.checkpoints(), capacity)
