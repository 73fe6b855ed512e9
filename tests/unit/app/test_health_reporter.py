import asyncio
import logging

import redis.asyncio as redis

from alpha_panda.adapters.redis.service_health import ServiceHealthBoard
from alpha_panda.app.health_reporter import HealthReporter
from alpha_panda.core.health import CachedReadiness, HealthCheck, HealthRegistry
from alpha_panda.domain.values import Namespace
from local_run.processes import free_port


async def passes() -> str:
    return "fine"


async def test_an_unreachable_redis_is_logged_and_never_stops_the_reporter(caplog):
    client = redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    board = ServiceHealthBoard(client, Namespace.PAPER)
    readiness = CachedReadiness(HealthRegistry([HealthCheck("probe", passes, "nothing")]), 0)
    reporter = HealthReporter(readiness, board, "risk-manager", interval=0.05)
    with caplog.at_level(logging.WARNING, logger="alpha_panda.app.health_reporter"):
        reporter.start()
        await asyncio.sleep(0.5)
        await reporter.stop()
    await client.aclose()
    published = [r for r in caplog.records if "cannot publish risk-manager health" in r.message]
    assert len(published) >= 2  # it kept trying, round after round
    assert any("cannot withdraw risk-manager" in r.message for r in caplog.records)
