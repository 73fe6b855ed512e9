"""Each service's latest readiness report in Redis, so the API can show every service's health.

A service process writes its report every few seconds under its own key with an expiry a few
times longer; a process that stops reporting (crashed, killed, partitioned from Redis) drops out
of the board by itself, and one that stops cleanly removes its key at once.
"""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as redis
from pydantic import Field

from alpha_panda.adapters.redis.portfolio_cache import KEY_ROOT
from alpha_panda.core.health import HealthReport
from alpha_panda.domain.values import Frozen, Namespace, UtcDatetime


class CheckOutcome(Frozen):
    """One readiness check as a service last ran it."""

    name: str
    severity: str
    passed: bool
    detail: str


class ServiceHealth(Frozen):
    """A service's last readiness report: ready when every critical check passed."""

    service: str = Field(description="the process's service name, e.g. risk-manager")
    ready: bool
    checked_at: UtcDatetime
    checks: tuple[CheckOutcome, ...] = ()

    @classmethod
    def from_report(cls, service: str, report: HealthReport) -> ServiceHealth:
        """Return the service's health as its health report tells it."""
        return cls(
            service=service,
            ready=report.ready,
            checked_at=report.checked_at,
            checks=tuple(
                CheckOutcome(
                    name=result.name,
                    severity=result.severity.value,
                    passed=result.passed,
                    detail=result.detail,
                )
                for result in report.results
            ),
        )


class ServiceHealthBoard:
    """Keys `alpha-panda:{prefix}{namespace}:service-health:{service}`, one a service."""

    def __init__(self, client: redis.Redis, namespace: Namespace, prefix: str = "") -> None:
        self._client = client
        self._root = f"{KEY_ROOT}:{prefix}{namespace.value}:service-health"

    async def publish(self, health: ServiceHealth, lifetime: timedelta) -> None:
        """Record a service's report; it disappears after `lifetime` unless renewed."""
        await self._client.set(
            f"{self._root}:{health.service}", health.model_dump_json(), px=lifetime
        )

    async def withdraw(self, service: str) -> None:
        """Remove a service that stops cleanly."""
        await self._client.delete(f"{self._root}:{service}")

    async def services(self) -> list[ServiceHealth]:
        """Return every service that reported recently, ordered by service name."""
        keys = sorted([key async for key in self._client.scan_iter(match=f"{self._root}:*")])
        if not keys:
            return []
        reports = await self._client.mget(keys)
        return [ServiceHealth.model_validate_json(raw) for raw in reports if raw is not None]
