"""Wire the API process once: its clients, ports, health checks and the application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import redis.asyncio as redis
from fastapi import FastAPI

from alpha_panda.adapters.kubernetes.strategy_resources import StrategyResources
from alpha_panda.adapters.postgres.ledger_reader import LedgerReader
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.adapters.redis.login_attempts import LoginLimits, RedisLoginThrottle
from alpha_panda.api.app import create_app
from alpha_panda.api.broker_login import broker_login
from alpha_panda.api.broker_sessions import KnownBrokerSessions
from alpha_panda.api.dead_letter_replay import DeadLetterReplay
from alpha_panda.api.dependencies import ApiDependencies
from alpha_panda.api.instruments import InstrumentDirectory, instruments_loader
from alpha_panda.api.metrics import instrument
from alpha_panda.api.read_model import StoreReadModel
from alpha_panda.api.strategy_control import StrategyControl
from alpha_panda.auth.jwt_manager import JwtManager
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.session_store import EncryptedSessionStore
from alpha_panda.auth.settings import AuthSettings
from alpha_panda.auth.users import UserStore
from alpha_panda.core.health import CachedReadiness, HealthRegistry
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.definitions.publisher import DefinitionPublisher
from alpha_panda.domain.values import Namespace


async def ensure_api_topics(settings: Settings) -> None:
    """Create the topics of every namespace: the API pauses strategies of each."""
    for namespace in Namespace:
        await ensure_topics(settings.kafka_bootstrap, replace(settings.topics, namespace=namespace))


def login_limits(auth: AuthSettings) -> LoginLimits:
    """Return the login throttle's limits from the auth settings."""
    return LoginLimits(
        per_user=auth.login_attempts_per_user,
        per_address=auth.login_attempts_per_address,
        window_seconds=auth.login_window_seconds,
    )


def _session_store(
    settings: Settings, auth: AuthSettings, client: redis.Redis
) -> EncryptedSessionStore | None:
    if auth.session_encryption_key is None:
        return None
    return EncryptedSessionStore(client, auth.session_encryption_key, settings.namespace)


@dataclass
class WiredApi:
    """The API application and the clients it runs on; closed in reverse order of opening."""

    app: FastAPI
    registry: HealthRegistry
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        auth: AuthSettings,
        registry: HealthRegistry,
        scrubber: SecretScrubber,
    ) -> WiredApi:
        """Open PostgreSQL, Redis and the definitions publisher; build the app on `registry`.

        Raises `SettingsError` when the login callback is half configured.
        """
        pool = await connect(settings.postgres_dsn.get_secret_value(), max_size=5)
        client = redis.from_url(settings.redis_url.get_secret_value())
        publisher = DefinitionPublisher.from_settings(settings)
        closers: list[Callable[[], Awaitable[object]]] = [pool.close, client.aclose]
        try:
            login = broker_login(settings, auth, client, scrubber)
            await publisher.start()
        except BaseException:
            for close in reversed(closers):
                await close()
            raise
        closers.append(publisher.close)
        dependencies = ApiDependencies(
            jwt_manager=JwtManager.from_settings(auth),
            users=UserStore(UserRepository(pool)),
            login_throttle=RedisLoginThrottle(client, login_limits(auth), settings.topic_prefix),
            strategies=StrategyControl(
                StrategyRepository(pool), publisher, _strategy_resources(settings)
            ),
            read_model=StoreReadModel(
                LedgerReader(pool),
                client,
                kafka_bootstrap=settings.kafka_bootstrap,
                prefix=settings.topic_prefix,
            ),
            readiness=CachedReadiness(registry),
            instruments=InstrumentDirectory(lambda: instruments_loader(settings)),
            dead_letter_replay=DeadLetterReplay(
                settings.kafka_bootstrap, settings.group_prefix, settings.topic_prefix
            ),
            broker_login=login,
            broker_sessions=KnownBrokerSessions(
                settings.namespace, settings.access_token, _session_store(settings, auth, client)
            ),
        )
        app = create_app(dependencies)
        instrument(app)
        return cls(app, registry, closers)

    async def close(self) -> None:
        """Flush the definitions publisher, then close Redis and the pool."""
        for close in reversed(self.closers):
            await close()


def _strategy_resources(settings: Settings) -> StrategyResources | None:
    namespace = settings.strategy_resources_namespace
    return StrategyResources.from_environment(namespace) if namespace else None
