"""Trading checks: active strategies loaded, broker session confirmed, market hours warned."""

from __future__ import annotations

from datetime import datetime

import pytest

from alpha_panda.app.pre_trading_checks import (
    broker_session_check,
    market_hours_check,
    pre_trading_checks,
    strategies_check,
)
from alpha_panda.core.health import CheckFailed, HealthRegistry, Severity
from alpha_panda.core.settings import Settings
from alpha_panda.domain.values import IST


@pytest.mark.parametrize(
    ("local", "open_"),
    [
        (datetime(2026, 11, 25, 9, 15, tzinfo=IST), True),
        (datetime(2026, 11, 25, 15, 29, tzinfo=IST), True),
        (datetime(2026, 11, 25, 15, 30, tzinfo=IST), False),
        (datetime(2026, 11, 25, 9, 14, tzinfo=IST), False),
        (datetime(2026, 11, 28, 11, 0, tzinfo=IST), False),
    ],
    ids=["open-bell", "before-close", "close-bell", "pre-open", "saturday"],
)
async def test_market_hours_follow_exchange_time_and_only_warn(local, open_):
    check = market_hours_check(clock=lambda: local)
    report = await HealthRegistry([check]).run()
    assert check.severity is Severity.WARNING
    assert report.ready
    assert report.results[0].passed is open_
    assert local.strftime("%H:%M IST") in report.results[0].detail


async def test_market_hours_convert_a_utc_clock_to_ist():
    utc_clock = datetime.fromisoformat("2026-11-25T04:00:00+00:00")  # 09:30 IST
    report = await HealthRegistry([market_hours_check(clock=lambda: utc_clock)]).run()
    assert report.results[0].detail == "market open at Wed 09:30 IST"


async def test_strategies_check_passes_when_every_active_strategy_is_loaded():
    report = await HealthRegistry([strategies_check({"m1", "r2"}, lambda: ["r2", "m1"])]).run()
    assert report.ready
    assert report.results[0].detail == "2 active strategies loaded"


async def test_strategies_check_names_the_strategies_not_loaded_from_an_async_source():
    async def loaded() -> list[str]:
        return ["m1"]

    report = await HealthRegistry([strategies_check({"m1", "r2", "b3"}, loaded)]).run()
    assert not report.ready
    assert report.results[0].detail == "active strategies not loaded: b3, r2"


async def test_strategies_check_fails_when_no_strategy_is_active():
    report = await HealthRegistry([strategies_check(set(), list)]).run()
    assert report.results[0].detail == "no active strategy is configured"


class _Validator:
    def __init__(self, outcome: str | Exception) -> None:
        self._outcome = outcome

    async def validate_session(self) -> str:
        if isinstance(self._outcome, Exception):
            raise self._outcome
        return self._outcome


async def test_broker_session_check_passes_with_the_validator_description():
    report = await HealthRegistry([broker_session_check(_Validator("user AB1234"))]).run()
    assert report.ready
    assert report.results[0].detail == "user AB1234"


async def test_broker_session_check_fails_with_the_reason_and_login_advice():
    check = broker_session_check(_Validator(CheckFailed("token rejected by Kite")))
    report = await HealthRegistry([check]).run()
    assert not report.ready
    assert "[FAIL] broker-session: token rejected by Kite" in report.render()
    assert "log in to Kite again" in report.render()


def _settings() -> Settings:
    return Settings(
        service_name="strategy-runner",
        namespace="zerodha",
        kafka_bootstrap="127.0.0.1:9092",
        postgres_dsn="postgresql://alpha:pw-not-shown@127.0.0.1:5432/alpha_panda",
        redis_url="redis://127.0.0.1:6379/0",
    )


def test_pre_trading_checks_add_only_the_trading_checks_a_process_can_answer():
    bare = pre_trading_checks(_settings())
    full = pre_trading_checks(
        _settings(),
        expected_strategies={"m1"},
        loaded_strategies=lambda: ["m1"],
        broker=_Validator("user AB1234"),
    )
    assert [c.name for c in bare] == ["postgresql", "redis", "kafka", "market-hours"]
    assert [c.name for c in full] == [
        "postgresql",
        "redis",
        "kafka",
        "strategies",
        "broker-session",
        "market-hours",
    ]
    assert all("pw-not-shown" not in check.remedy for check in full)
