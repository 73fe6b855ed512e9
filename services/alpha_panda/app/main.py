"""Run one service process: check, start, serve probes and metrics, shut down in order."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alpha_panda.app.health_server import HealthServer
from alpha_panda.app.pre_trading_checks import infrastructure_checks
from alpha_panda.app.wiring import ConfigurationError, Service, Wiring
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


def feed_check(feed: MarketFeed) -> HealthCheck:
    """Ready only while every feed connection is subscribed (false after token expiry)."""

    async def probe() -> str:
        if not feed.ready:
            raise CheckFailed(feed.feed.failure or "feed connections not all subscribed")
        return f"{len(feed.feed.shards)} connection(s) subscribed"

    return HealthCheck("market-feed", probe, "check the Kite session and network")


def halted_check(processor: Service) -> HealthCheck:
    """Unready once the service halted on a fatal error, such as an expired Kite session."""

    async def probe() -> str:
        if processor.failure:
            raise CheckFailed(processor.failure)
        return "consuming"

    return HealthCheck("processing", probe, "fix the cause (renew the Kite session) and restart")


async def serve(service: str, settings: Settings) -> int:
    """Run `service` until SIGTERM/SIGINT; return the process exit code."""
    registry = HealthRegistry(infrastructure_checks(settings))
    await ensure_topics(settings.kafka_bootstrap, settings.topics)
    try:
        await registry.require_ready()
    except StartupCheckError as error:
        log.error("%s cannot start:\n%s", service, error.report.render())
        return 1
    wiring = await Wiring.open(settings)
    try:
        processor = await wiring.build(service)
    except ConfigurationError as error:
        log.error("%s cannot start: %s", service, error)
        await wiring.close()
        return 2
    if isinstance(processor, MarketFeed):
        registry.register(feed_check(processor))
    registry.register(halted_check(processor))
    probes = HealthServer(CachedReadiness(registry), service=service, port=settings.http_port)
    probes.add_route("/metrics", metrics)
    await probes.start()
    loop = asyncio.get_running_loop()
    terminated = asyncio.Event()

    def on_signal() -> None:
        processor.stop()
        terminated.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)
    log.info("%s started as %s (group %s)", service, settings.service_name, settings.consumer_group)
    try:
        await processor.start()
        await processor.run()  # returns after the batch in hand is handled and recorded
        if processor.failure:  # halted: stay up and report unready until told to stop
            await terminated.wait()
    finally:
        await processor.close()  # flush the producer, commit, leave the group
        await wiring.close()
        await probes.stop()
        log.info("%s stopped", service)
    return 0


def main(service: str) -> int:
    """Entry point of `alpha-panda serve SERVICE`."""
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"{service} cannot start: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    return asyncio.run(serve(service, settings))
