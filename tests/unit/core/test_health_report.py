"""Health checks run concurrently within timeouts and aggregate into one readable report."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from alpha_panda.core.health import (
    CachedReadiness,
    CheckFailed,
    HealthCheck,
    HealthRegistry,
    Severity,
    StartupCheckError,
)

FIXED = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def _check(name, outcome="fine", severity=Severity.CRITICAL, timeout=1.0, remedy=None):
    async def probe() -> str:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return HealthCheck(name, probe, remedy or f"repair {name}", severity, timeout)


async def test_all_passing_checks_make_a_ready_report():
    report = await HealthRegistry([_check("a"), _check("b")], clock=lambda: FIXED).run()
    assert report.ready
    assert [r.name for r in report.results] == ["a", "b"]
    assert report.checked_at == FIXED


async def test_failed_critical_check_makes_the_report_unready_and_names_the_fix():
    registry = HealthRegistry([_check("db", CheckFailed("connection refused"), remedy="start db")])
    report = await registry.run()
    assert not report.ready
    assert [r.name for r in report.failures] == ["db"]
    text = report.render()
    assert "NOT READY" in text
    assert "[FAIL] db: connection refused" in text
    assert "fix: start db" in text


async def test_failed_warning_check_keeps_the_report_ready_but_lists_it():
    registry = HealthRegistry([_check("hours", CheckFailed("closed"), Severity.WARNING)])
    report = await registry.run()
    assert report.ready
    assert [r.name for r in report.warnings] == ["hours"]
    assert "[warn] hours: closed" in report.render()


async def test_check_that_never_answers_fails_after_its_timeout():
    never = asyncio.Event()

    async def probe() -> str:
        await never.wait()
        return "unreachable"

    report = await HealthRegistry([HealthCheck("slow", probe, "speed it up", timeout=0.05)]).run()
    assert report.results[0].detail == "no answer within 0.05 s"
    assert not report.ready


async def test_unexpected_probe_error_becomes_a_failed_result_naming_its_class():
    report = await HealthRegistry([_check("odd", KeyError("missing"))]).run()
    assert report.results[0].detail == "KeyError: 'missing'"


async def test_checks_run_concurrently():
    first_started = asyncio.Event()

    async def first() -> str:
        first_started.set()
        return "first"

    async def second() -> str:
        await asyncio.wait_for(first_started.wait(), 1.0)
        return "second"

    report = await HealthRegistry(
        [HealthCheck("second", second, "-"), HealthCheck("first", first, "-")]
    ).run()
    assert report.ready


async def test_report_serialises_to_json_with_remedy_only_for_failures():
    registry = HealthRegistry([_check("ok"), _check("bad", CheckFailed("down"))], lambda: FIXED)
    shown = json.loads(json.dumps((await registry.run()).to_dict()))
    assert shown["ready"] is False
    assert shown["checked_at"] == FIXED.isoformat()
    ok, bad = shown["checks"]
    assert "remedy" not in ok
    assert bad == {**bad, "name": "bad", "passed": False, "detail": "down", "remedy": "repair bad"}


def test_duplicate_check_names_are_refused():
    registry = HealthRegistry([_check("db")])
    with pytest.raises(ValueError, match="'db'"):
        registry.register(_check("db"))


async def test_require_ready_raises_with_the_rendered_report():
    registry = HealthRegistry([_check("redis", CheckFailed("refused"), remedy="start redis")])
    with pytest.raises(StartupCheckError) as raised:
        await registry.require_ready()
    assert "redis: refused" in str(raised.value)
    assert "fix: start redis" in str(raised.value)
    assert not raised.value.report.ready


async def test_cached_readiness_reuses_a_fresh_report_and_refreshes_a_stale_one():
    calls = []

    async def probe() -> str:
        calls.append(1)
        return "ok"

    registry = HealthRegistry([HealthCheck("counted", probe, "-")])
    cached = CachedReadiness(registry, max_age=60.0)
    await asyncio.gather(cached.report(), cached.report(), cached.report())
    assert len(calls) == 1
    always_fresh = CachedReadiness(registry, max_age=0.0)
    await always_fresh.report()
    await always_fresh.report()
    assert len(calls) == 3
