"""Health checks: async probes with timeouts and severities, aggregated into one report.

A probe returns a short detail on success and raises `CheckFailed` (or any exception) on
failure. Critical failures make a process unready and stop startup; warnings are reported but
never block.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

Probe = Callable[[], Awaitable[str]]
Clock = Callable[[], datetime]


class Severity(StrEnum):
    """How much a failing check matters: critical blocks readiness, warning only informs."""

    CRITICAL = "critical"
    WARNING = "warning"


class CheckFailed(Exception):
    """Raised by a probe with a readable reason; the message must never carry a secret."""


@dataclass(frozen=True)
class HealthCheck:
    """One named probe with the advice an operator needs when it fails."""

    name: str
    probe: Probe = field(repr=False)
    remedy: str
    severity: Severity = Severity.CRITICAL
    timeout: float = 3.0


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    severity: Severity
    passed: bool
    detail: str
    remedy: str
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values; the remedy only when the check failed."""
        shown: dict[str, Any] = {
            "name": self.name,
            "severity": self.severity.value,
            "passed": self.passed,
            "detail": self.detail,
            "duration_ms": round(self.duration_ms, 1),
        }
        if not self.passed:
            shown["remedy"] = self.remedy
        return shown


@dataclass(frozen=True)
class HealthReport:
    """Every check's result at one instant; ready when no critical check failed."""

    results: tuple[CheckResult, ...]
    checked_at: datetime

    @property
    def ready(self) -> bool:
        """Tell whether every critical check passed."""
        return not self.failures

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """Return the failed critical checks."""
        return tuple(r for r in self.results if not r.passed and r.severity is Severity.CRITICAL)

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        """Return the failed warning checks."""
        return tuple(r for r in self.results if not r.passed and r.severity is Severity.WARNING)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "ready": self.ready,
            "checked_at": self.checked_at.isoformat(),
            "checks": [result.to_dict() for result in self.results],
        }

    def render(self) -> str:
        """Return a readable text report naming each failed check and how to fix it."""
        verdict = "READY" if self.ready else "NOT READY"
        lines = [f"health report at {self.checked_at.isoformat()}: {verdict}"]
        for result in self.results:
            if result.passed:
                mark = "ok  "
            else:
                mark = "FAIL" if result.severity is Severity.CRITICAL else "warn"
            lines.append(f"  [{mark}] {result.name}: {result.detail}")
            if not result.passed:
                lines.append(f"         fix: {result.remedy}")
        return "\n".join(lines)


class StartupCheckError(RuntimeError):
    """Raised when a critical check fails at startup; its message is the rendered report."""

    def __init__(self, report: HealthReport) -> None:
        super().__init__(report.render())
        self.report = report


async def run_check(check: HealthCheck) -> CheckResult:
    """Run one check within its timeout; turn every failure into a failed result."""
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check.probe(), timeout=check.timeout)
        passed = True
    except TimeoutError:
        detail, passed = f"no answer within {check.timeout:g} s", False
    except CheckFailed as failure:
        detail, passed = str(failure), False
    except Exception as error:  # a probe's unexpected error is a failed check, not a crash
        detail, passed = f"{type(error).__name__}: {error}", False
    elapsed = (time.perf_counter() - started) * 1000
    return CheckResult(check.name, check.severity, passed, detail, check.remedy, elapsed)


class HealthRegistry:
    """The checks of one process; runs them concurrently into one report."""

    def __init__(self, checks: Iterable[HealthCheck] = (), clock: Clock | None = None) -> None:
        self._checks: list[HealthCheck] = []
        self._clock = clock or (lambda: datetime.now(UTC))
        for check in checks:
            self.register(check)

    def register(self, check: HealthCheck) -> None:
        """Add a check; names are unique so reports stay unambiguous."""
        if any(existing.name == check.name for existing in self._checks):
            raise ValueError(f"a health check named {check.name!r} is already registered")
        self._checks.append(check)

    @property
    def checks(self) -> tuple[HealthCheck, ...]:
        """Return the registered checks in registration order."""
        return tuple(self._checks)

    async def run(self) -> HealthReport:
        """Run every check concurrently and return the report."""
        results = await asyncio.gather(*(run_check(check) for check in self._checks))
        return HealthReport(tuple(results), self._clock())

    async def require_ready(self) -> HealthReport:
        """Return the report when every critical check passes; raise StartupCheckError if not."""
        report = await self.run()
        if not report.ready:
            raise StartupCheckError(report)
        return report


class CachedReadiness:
    """Serve readiness probes from a report at most `max_age` seconds old.

    Concurrent probes share one run, so a burst of probes costs one round of checks.
    """

    def __init__(self, registry: HealthRegistry, max_age: float = 1.0) -> None:
        self._registry = registry
        self._max_age = max_age
        self._report: HealthReport | None = None
        self._taken_at = 0.0
        self._lock = asyncio.Lock()

    async def report(self) -> HealthReport:
        """Return a fresh enough report, running the checks when the cached one is stale."""
        async with self._lock:
            if self._report is None or time.monotonic() - self._taken_at >= self._max_age:
                self._report = await self._registry.run()
                self._taken_at = time.monotonic()
            return self._report
