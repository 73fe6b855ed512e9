"""Build each service process from settings: one instance of every component, wired once."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed, KiteFeedConfig
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.state import load_state
from alpha_panda.adapters.postgres.strategies import StrategyConfig, StrategyRepository
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.health import HealthCheck
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import StreamProcessor
from alpha_panda.core.streaming.ledger import ProcessedLedger
from alpha_panda.domain.execution.paper import PaperTrader, PaperTraderConfig
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.risk.limits import RiskEngineConfig
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


@dataclass
class Container:
    """The process's shared clients; closed in reverse order of opening."""

    settings: Settings
    pool: asyncpg.Pool
    redis: redis.Redis
    checks: list[HealthCheck] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    @classmethod
    async def open(cls, settings: Settings) -> Container:
        """Open the PostgreSQL pool (migrating the schema) and the Redis client."""
        pool = await connect(settings.postgres_dsn.get_secret_value(), max_size=5)
        client = redis.from_url(settings.redis_url.get_secret_value())
        return cls(settings, pool, client, closers=[pool.close, client.aclose])

    async def close(self) -> None:
        """Close every client."""
        for close in reversed(self.closers):
            await close()

    def ledger(self) -> ProcessedLedger:
        return ProcessedLedger(self.pool, self.settings.consumer_group)

    async def build(self, service: str) -> StreamProcessor:
        """Return the named service, its state restored from its last run."""
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

    async def _strategies(self) -> list[StrategyConfig]:
        return await StrategyRepository(self.pool).list(self.settings.namespace)

    async def _strategy_runner(self) -> StreamProcessor:
        repository = StrategyRepository(self.pool)
        spec = os.environ.get(STRATEGY_SPEC_ENV)
        if spec:  # the operator passes the TradingStrategy spec; the table follows it
            await repository.upsert(StrategyConfig.model_validate(json.loads(spec)))
        strategy_id = self.settings.strategy_id
        config = await repository.get(strategy_id) if strategy_id else None
        if config is None:
            raise ConfigurationError(
                f"ALPHA_PANDA_STRATEGY_ID={strategy_id!r} names no configured strategy"
            )
        runner = StrategyRunner(self.settings, self.ledger(), config)
        runner.restore(await load_state(self.pool, self.settings.consumer_group))
        return runner

    async def _risk_manager(self) -> StreamProcessor:
        config = RiskEngineConfig(
            namespace=self.settings.namespace,
            strategies={s.strategy_id: s.risk_limits for s in await self._strategies()},
        )
        manager = RiskManager(self.settings, self.ledger(), RiskEngine(config))
        manager.restore(await load_state(self.pool, self.settings.consumer_group))
        return manager

    async def _trading_engine(self) -> StreamProcessor:
        if self.settings.namespace is Namespace.PAPER:
            trader = PaperExecution(PaperTrader(PaperTraderConfig()))
            return TradingEngine(self.settings, self.ledger(), trader)
        from alpha_panda.trading_engine.live import LiveTradingEngine
        from alpha_panda.trading_engine.zerodha import zerodha_trader

        self._kite_token()
        engine = LiveTradingEngine(self.settings, self.ledger(), zerodha_trader(self.settings))
        engine.restore(await load_state(self.pool, self.settings.consumer_group))
        return engine

    async def _portfolio_manager(self) -> StreamProcessor:
        settings = self.settings
        portfolio = Portfolio(PortfolioConfig(namespace=settings.namespace))
        cache = PortfolioCache(self.redis, settings.namespace, settings.topic_prefix)
        manager = PortfolioManager(settings, self.ledger(), portfolio, cache)
        manager.restore(await load_state(self.pool, settings.consumer_group))
        if settings.namespace is Namespace.ZERODHA:
            from alpha_panda.portfolio_manager.reconciliation import reconcile_on_start

            await reconcile_on_start(portfolio, settings)
        return manager

    def _kite_token(self) -> SecretStr:
        token = self.settings.access_token()
        if not self.settings.kite_api_key or not token.get_secret_value():
            raise ConfigurationError(
                "ALPHA_PANDA_KITE_API_KEY and ALPHA_PANDA_KITE_ACCESS_TOKEN (or _FILE) are required"
            )
        return token

    async def _market_feed(self) -> StreamProcessor:
        settings = self.settings
        instruments = sorted({t for s in await self._strategies() for t in s.instruments})
        if not instruments:
            raise ConfigurationError(
                f"no strategy in namespace {settings.namespace} names an instrument"
            )
        token = self._kite_token()
        config = KiteFeedConfig(
            ws_url=settings.kite_ws_url, api_key=settings.kite_api_key, access_token=token
        )
        return MarketFeed(settings, KiteFeed(config, instruments))
