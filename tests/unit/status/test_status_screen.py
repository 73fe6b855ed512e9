from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from alpha_panda.adapters.redis.service_health import CheckOutcome, ServiceHealth
from alpha_panda.api.schemas import BrokerSessionStatus, StrategyView
from alpha_panda.auth.broker_session import SessionSource
from alpha_panda.domain.portfolio.summary import PositionView, StrategySummary
from alpha_panda.domain.values import Namespace
from alpha_panda.status.screen import duration, render
from alpha_panda.status.snapshot import StatusSnapshot

NOW = datetime(2026, 12, 7, 6, 0, 5, tzinfo=UTC)  # 11:30:05 IST


def strategy(strategy_id, strategy_type, paused=False):
    return StrategyView(
        strategy_id=strategy_id,
        strategy_type=strategy_type,
        namespace=Namespace.PAPER,
        instruments=(256265,),
        paused=paused,
    )


def summary(strategy_id, realized, unrealized, charges):
    gross = Decimal(realized) + Decimal(unrealized)
    return StrategySummary(
        strategy_id=strategy_id,
        realized_pnl=Decimal(realized),
        unrealized_pnl=Decimal(unrealized),
        gross_pnl=gross,
        charges=Decimal(charges),
        net_pnl=gross - Decimal(charges),
        exposure=Decimal(0),
        margin_used=Decimal(0),
        fills=2,
    )


def health(service, ready, seconds_ago, failing=None):
    checks = [CheckOutcome(name="redis", severity="critical", passed=True, detail="reachable")]
    if failing:
        checks.append(
            CheckOutcome(name="processing", severity="critical", passed=False, detail=failing)
        )
    return ServiceHealth(
        service=service, ready=ready, checked_at=NOW - timedelta(seconds=seconds_ago), checks=checks
    )


def snapshot(services, session=None):
    return StatusSnapshot(
        api_url="http://127.0.0.1:8000",
        namespace=Namespace.PAPER,
        taken_at=NOW,
        strategies=[strategy("momentum-1", "momentum"), strategy("bollinger-2", "bollinger", True)],
        pnl=[summary("momentum-1", "120.50", "-20.25", "3.10")],
        positions=[
            PositionView(
                strategy_id="momentum-1",
                instrument_token=256265,
                quantity=10,
                average_price=Decimal("250.0000"),
                last_price=Decimal("248"),
                realized_pnl=Decimal(0),
                unrealized_pnl=Decimal("-20"),
                charges=Decimal("1.50"),
            )
        ],
        services=services,
        broker_session=session,
    )


def test_the_screen_shows_strategies_with_state_position_and_pnl_and_each_service():
    text = render(snapshot([health("api", True, 0), health("trading-engine", False, 3, "halted")]))
    assert text.splitlines() == [
        "Alpha Panda · paper · http://127.0.0.1:8000 · Mon 07 Dec 2026 11:30:05 IST",
        "",
        "Broker session  none known to the API (paper trading needs none)",
        "",
        "Strategies (2)",
        "  strategy        type       state   position         realised  unrealised  charges  net P&L",
        "  bollinger-2     bollinger  paused  flat                ₹0.00       ₹0.00    ₹0.00    ₹0.00",
        "  momentum-1      momentum   active  256265 +10 @250   ₹120.50     \u2212₹20.25    ₹3.10   ₹97.15",
        "  all strategies                                       ₹120.50     \u2212₹20.25    ₹3.10   ₹97.15",
        "",
        "Services (1 of 2 ready)",
        "  service         state      checked  failing checks",
        "  api             ready      0s ago",
        "  trading-engine  NOT READY  3s ago   processing: halted",
    ]


def test_a_live_session_shows_its_owner_and_time_left_and_an_expired_one_says_so():
    expiry = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)  # 06:00 IST
    live = BrokerSessionStatus(
        namespace=Namespace.ZERODHA,
        source=SessionSource.LOGIN_CALLBACK,
        user_id="AB1234",
        login_time=NOW,
        expires_at=expiry,
        expired=False,
    )
    line = render(snapshot([], live)).splitlines()[2]
    assert line == (
        "Broker session  user AB1234 (login), valid until Tue 08 Dec 06:00 IST, 18h 29m from now"
    )
    dead = live.model_copy(update={"expired": True})
    assert "EXPIRED at Tue 08 Dec 06:00 IST" in render(snapshot([], dead))
    assert not snapshot([], dead).healthy


def test_a_failed_warning_check_is_shown_but_leaves_the_service_ready():
    closed = CheckOutcome(
        name="market-hours", severity="warning", passed=False, detail="market closed"
    )
    engine = health("trading-engine", True, 1).model_copy(update={"checks": (closed,)})
    lines = render(snapshot([engine])).splitlines()
    assert lines[-1] == "  trading-engine  ready  1s ago   market-hours (warning): market closed"
    assert snapshot([engine]).healthy


def test_the_snapshot_is_healthy_only_when_every_service_is_ready():
    assert snapshot([health("api", True, 0)]).healthy
    assert not snapshot([health("api", True, 0), health("risk-manager", False, 1, "x")]).healthy


def test_durations_read_in_the_largest_sensible_units():
    assert [duration(timedelta(seconds=s)) for s in (12, 303, 66_540, 100_800)] == [
        "12s",
        "5m 3s",
        "18h 29m",
        "1d 4h",
    ]


def test_a_position_is_named_by_its_symbol_where_the_instruments_master_lists_it():
    listed = replace(snapshot([]), symbols={256265: "NIFTY 50 NSE"})
    assert "NIFTY 50 NSE +10 @250" in render(listed)
    assert "256265" not in render(listed)
