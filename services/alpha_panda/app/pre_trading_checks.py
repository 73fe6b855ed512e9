"""The checks a process must pass before it trades: infrastructure, strategies, broker, market.

Each builder returns a `HealthCheck`; `pre_trading_checks` assembles the set a service needs.
Probe messages name hosts and topics but never credentials.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Collection, Iterable
from datetime import UTC, datetime
from datetime import time as time_of_day
from typing import Protocol
from urllib.parse import urlsplit

import asyncpg
import redis.asyncio as redis
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.metadata import MetadataRequest
from pydantic import SecretStr

from alpha_panda.adapters.postgres.server import answer_query
from alpha_panda.auth.broker_session import BrokerSessionError
from alpha_panda.core.health import CheckFailed, HealthCheck, Severity
from alpha_panda.core.settings import Settings
from alpha_panda.domain.values import IST

MARKET_OPEN = time_of_day(9, 15)
MARKET_CLOSE = time_of_day(15, 30)

LoadedStrategies = Callable[[], Collection[str] | Awaitable[Collection[str]]]


class SessionValidator(Protocol):
    """Anything that confirms the broker session with the broker and describes it."""

    async def validate_session(self) -> str:
        """Return a short description of the valid session; raise when it is not valid."""
        ...


def _address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def postgres_check(dsn: SecretStr, timeout: float = 3.0) -> HealthCheck:
    """Check that PostgreSQL accepts a connection and answers a query."""
    address = _address(dsn.get_secret_value())

    async def probe() -> str:
        try:
            await answer_query(dsn.get_secret_value(), timeout)
        except (OSError, asyncpg.PostgresError) as error:
            raise CheckFailed(f"cannot connect to {address} ({type(error).__name__})") from None
        return f"reachable at {address}"

    return HealthCheck(
        name="postgresql",
        probe=probe,
        timeout=timeout,
        remedy=f"start PostgreSQL at {address} or correct ALPHA_PANDA_POSTGRES_DSN",
    )


def redis_check(url: SecretStr, timeout: float = 3.0) -> HealthCheck:
    """Check that Redis answers PING."""
    address = _address(url.get_secret_value())

    async def probe() -> str:
        client = redis.from_url(
            url.get_secret_value(), socket_connect_timeout=timeout, socket_timeout=timeout
        )
        async with client:
            try:
                await client.ping()
            except (OSError, redis.RedisError) as error:
                raise CheckFailed(f"cannot reach {address} ({type(error).__name__})") from None
        return f"reachable at {address}"

    return HealthCheck(
        name="redis",
        probe=probe,
        timeout=timeout,
        remedy=f"start Redis at {address} or correct ALPHA_PANDA_REDIS_URL",
    )


def kafka_check(
    bootstrap: str, required_topics: Iterable[str], timeout: float = 5.0
) -> HealthCheck:
    """Check that Kafka answers and that every required topic exists."""
    required = sorted(set(required_topics))
    # One client is kept between probes, and each probe asks for the required topics' metadata
    # only: a client's start, or a listing, reads the metadata of every topic of the cluster,
    # which on a broker with thousands of partitions costs each service real CPU every probe.
    kept: list[AIOKafkaClient] = []

    async def probe() -> str:
        try:
            if not kept:
                kept.append(
                    AIOKafkaClient(
                        bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000)
                    )
                )
                await kept[0].bootstrap()
            client = kept[0]
            request = MetadataRequest(required, allow_auto_topic_creation=False)
            answer = await client.send(client.get_random_node(), request)
        except Exception as error:  # aiokafka raises several unrelated types when unreachable
            for client in kept:
                with contextlib.suppress(Exception):
                    await client.close()
            kept.clear()
            raise CheckFailed(f"cannot reach {bootstrap} ({type(error).__name__})") from None
        found = {t["topic"]: t["error_code"] for t in answer.to_object()["topics"]}
        missing = [topic for topic in required if found.get(topic) != 0]
        if missing:
            raise CheckFailed(f"missing topics: {', '.join(missing)}")
        return f"reachable at {bootstrap}; {len(required)} required topics exist"

    return HealthCheck(
        name="kafka",
        probe=probe,
        timeout=timeout,
        remedy=(
            f"start Kafka at {bootstrap} or correct ALPHA_PANDA_KAFKA_BOOTSTRAP, and create"
            " missing topics with the topic bootstrap"
        ),
    )


def strategies_check(expected: Collection[str], loaded: LoadedStrategies) -> HealthCheck:
    """Check that every active strategy is loaded; `loaded` reports the loaded strategy ids."""

    async def probe() -> str:
        if not expected:
            raise CheckFailed("no active strategy is configured")
        result = loaded()
        present = set(await result) if inspect.isawaitable(result) else set(result)
        missing = sorted(set(expected) - present)
        if missing:
            raise CheckFailed(f"active strategies not loaded: {', '.join(missing)}")
        return f"{len(expected)} active strategies loaded"

    return HealthCheck(
        name="strategies",
        probe=probe,
        remedy=(
            "check the TradingStrategy resources (strategy type and parameters) and the"
            " runner's log for the strategy that failed to load"
        ),
    )


def broker_session_check(validator: SessionValidator, timeout: float = 5.0) -> HealthCheck:
    """Check that the broker session is valid with the broker itself (a profile call)."""

    async def probe() -> str:
        try:
            return await validator.validate_session()
        except BrokerSessionError as error:
            raise CheckFailed(str(error)) from None

    return HealthCheck(
        name="broker-session",
        probe=probe,
        timeout=timeout,
        remedy=(
            "log in to Kite again and update the BrokerSession's access token Secret"
            " (tokens expire daily at 06:00 IST)"
        ),
    )


def market_hours_check(clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> HealthCheck:
    """Warn when the NSE equity market is closed (weekdays 09:15-15:30 IST; holidays ignored)."""

    async def probe() -> str:
        local = clock().astimezone(IST)
        shown = local.strftime("%a %H:%M IST")
        if local.weekday() >= 5 or not MARKET_OPEN <= local.time() < MARKET_CLOSE:
            raise CheckFailed(f"market closed at {shown}; orders wait for the next session")
        return f"market open at {shown}"

    return HealthCheck(
        name="market-hours",
        probe=probe,
        severity=Severity.WARNING,
        remedy="nothing to fix: trading resumes at 09:15 IST on the next trading day",
    )


def infrastructure_checks(settings: Settings) -> list[HealthCheck]:
    """Return the PostgreSQL, Redis and Kafka checks every service process needs."""
    return [
        postgres_check(settings.postgres_dsn),
        redis_check(settings.redis_url),
        kafka_check(settings.kafka_bootstrap, settings.topics.all_topics()),
    ]


def pre_trading_checks(
    settings: Settings,
    *,
    expected_strategies: Collection[str] | None = None,
    loaded_strategies: LoadedStrategies | None = None,
    broker: SessionValidator | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[HealthCheck]:
    """Return the infrastructure checks plus the trading checks this process can answer.

    A strategy runner passes its strategies; a process trading on a live namespace passes its
    `AuthManager` as `broker`; every process gets the market-hours warning.
    """
    checks = infrastructure_checks(settings)
    if expected_strategies is not None and loaded_strategies is not None:
        checks.append(strategies_check(expected_strategies, loaded_strategies))
    if broker is not None:
        checks.append(broker_session_check(broker))
    checks.append(market_hours_check(clock))
    return checks
