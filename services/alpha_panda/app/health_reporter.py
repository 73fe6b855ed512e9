"""Publish a service's readiness to the shared health board every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import redis.asyncio as redis

from alpha_panda.adapters.redis.service_health import ServiceHealth, ServiceHealthBoard
from alpha_panda.core.health import CachedReadiness

log = logging.getLogger(__name__)

CHECKS_ALLOWANCE = timedelta(seconds=10)
"""Longer than the slowest check's timeout: a report outlives the round that renews it."""


class HealthReporter:
    """Run the process's readiness checks on a timer and publish each report to the board.

    A report lives two intervals plus the checks' allowance, so a service that stops reporting
    leaves the board within about 20 s at the default interval. A Redis failure is logged and
    retried on the next round: reporting health must never take a trading process down.
    """

    def __init__(
        self,
        readiness: CachedReadiness,
        board: ServiceHealthBoard,
        service: str,
        interval: float = 5.0,
    ) -> None:
        self._readiness = readiness
        self._board = board
        self._service = service
        self._interval = interval
        self._lifetime = timedelta(seconds=2 * interval) + CHECKS_ALLOWANCE
        self._task: asyncio.Task[None] | None = None

    async def report_once(self) -> ServiceHealth:
        """Run the checks (or take the cached report) and publish it; return what was sent."""
        health = ServiceHealth.from_report(self._service, await self._readiness.report())
        await self._board.publish(health, self._lifetime)
        return health

    def start(self) -> None:
        """Start reporting in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"health-reporter-{self._service}")

    async def stop(self) -> None:
        """Stop reporting and take the service off the board."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self._board.withdraw(self._service)
        except (OSError, redis.RedisError) as error:
            log.warning("cannot withdraw %s from the health board: %s", self._service, error)

    async def _run(self) -> None:
        while True:
            try:
                await self.report_once()
            except (OSError, redis.RedisError) as error:
                log.warning("cannot publish %s health: %s", self._service, error)
            await asyncio.sleep(self._interval)  # a timer: the board wants a fresh report
