"""Run one service process: check, start, serve probes and metrics, shut down in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import redis.asyncio as redis
from aiohttp import web
from aiokafka.errors import KafkaError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alpha_panda.adapters.redis.service_health import ServiceHealthBoard
from alpha_panda.app.health_reporter import HealthReporter
from alpha_panda.app.health_server import HealthServer
from alpha_panda.app.pre_trading_checks import (
    broker_session_check,
    infrastructure_checks,
    market_hours_check,
)
from alpha_panda.app.supervisor import Supervisor, outage_check, processing_check
from alpha_panda.auth.auth_manager import AuthManager
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.core.health import (
    CachedReadiness,
    CheckFailed,
    HealthCheck,
    HealthRegistry,
    StartupCheckError,
)
from alpha_panda.core.settings import Settings, SettingsError, load_settings
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.domain.values import Namespace
from alpha_panda.market_feed.service import MarketFeed

log = logging.getLogger("alpha_panda")


def configure_logging(settings: Settings) -> SecretScrubber:
    """Log to stderr with every configured secret scrubbed from every record."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    scrubber = SecretScrubber()
    for secret in (settings.postgres_dsn, settings.redis_url, settings.access_token()):
        scrubber.add(secret)
    scrubber.attach(handler)
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    return scrubber


async def metrics(_: web.Request) -> web.Response:
    """Serve the process's Prometheus metrics."""
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def feed_check(supervisor: Supervisor) -> HealthCheck:
    """Ready only while every feed connection is subscribed (false after token expiry)."""

    async def probe() -> str:
        feed = supervisor.current
        if not isinstance(feed, MarketFeed):
            raise CheckFailed("the feed is not running")
        if not feed.ready:
            raise CheckFailed(feed.feed.failure or "feed connections not all subscribed")
        shards = feed.feed.shards
        overflow = f"; {len(feed.feed.overflow)} over Kite's limits" if feed.feed.overflow else ""
        subscribed = sum(len(shard) for shard in shards)
        return f"{len(shards)} connection(s), {subscribed} instrument(s) subscribed{overflow}"

    return HealthCheck("market-feed", probe, "check the Kite session and network")


KITE_SERVICES = ("market-feed", "trading-engine", "portfolio-manager")


def trading_checks(service: str, settings: Settings) -> list[HealthCheck]:
    """Return the trading checks of a service: the market-hours warning, and for a Kite
    session's users in the live namespace a profile call with the session's token (a
    rejected token makes them unready)."""
    checks = [market_hours_check()]
    if (
        settings.namespace is Namespace.ZERODHA
        and service in KITE_SERVICES
        and settings.kite_api_key
    ):
        session = AuthManager(
            api_key=settings.kite_api_key,
            kite_root=settings.kite_root,
            external_token=settings.access_token,
            scrubber=SecretScrubber(),
        )
        checks.append(broker_session_check(session))
    return checks


async def serve(service: str, settings: Settings) -> int:
    """Run `service` until SIGTERM/SIGINT; return the process exit code."""
    registry = HealthRegistry(infrastructure_checks(settings))
    try:
        with contextlib.suppress(KafkaError):  # an unreachable Kafka is reported just below
            await ensure_topics(settings.kafka_bootstrap, settings.topics)
        await registry.require_ready()
    except StartupCheckError as error:
        log.error("%s cannot start:\n%s", service, error.report.render())
        return 1
    supervisor = Supervisor(service, settings)
    for check in trading_checks(service, settings):  # after start-up: they report, not block
        registry.register(check)
    registry.register(outage_check(supervisor))
    registry.register(processing_check(lambda: supervisor.current))
    if service == "market-feed":
        registry.register(feed_check(supervisor))
    readiness = CachedReadiness(registry)
    probes = HealthServer(readiness, service=service, port=settings.http_port)
    probes.add_route("/metrics", metrics)
    await probes.start()
    board = redis.from_url(settings.redis_url.get_secret_value())
    reporter = HealthReporter(  # what `alpha-panda status` and the dashboard show
        readiness,
        ServiceHealthBoard(board, settings.namespace, settings.topic_prefix),
        settings.service_name,
    )
    reporter.start()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, supervisor.stop)
    log.info("%s started as %s (group %s)", service, settings.service_name, settings.consumer_group)
    try:
        return await supervisor.run()
    finally:
        await reporter.stop()
        await board.aclose()
        await probes.stop()
        log.info("%s stopped", service)


def main(service: str) -> int:
    """Entry point of `alpha-panda serve SERVICE`."""
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"{service} cannot start: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    return asyncio.run(serve(service, settings))
