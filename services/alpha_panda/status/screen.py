"""Render a status snapshot as one plain-text screen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from alpha_panda.adapters.redis.service_health import ServiceHealth
from alpha_panda.api.schemas import BrokerSessionStatus
from alpha_panda.core.display import rupees
from alpha_panda.domain.portfolio.summary import PositionView, StrategySummary
from alpha_panda.domain.values import IST
from alpha_panda.status.snapshot import StatusSnapshot

STRATEGY_HEADER = ("strategy", "type", "state", "position", "realised", "unrealised", "charges")
SOURCE_NAMES = {
    "environment": "configured token",
    "store": "stored login",
    "login-callback": "login",
}


def table(rows: Sequence[Sequence[str]], right_from: int) -> list[str]:
    """Align columns: text columns left, columns from `right_from` on right-aligned."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.rjust(width) if column >= right_from else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def duration(span: timedelta) -> str:
    """Return a span as `1d 4h`, `18h 29m`, `5m 3s` or `12s`."""
    seconds = max(int(span.total_seconds()), 0)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s" if minutes else f"{seconds}s"


def _broker_line(session: BrokerSessionStatus | None, now: datetime) -> str:
    if session is None:
        return "Broker session  none known to the API (paper trading needs none)"
    owner = f"user {session.user_id}" if session.user_id else "user not recorded"
    source = SOURCE_NAMES.get(session.source.value, session.source.value)
    expiry = f"{session.expires_at.astimezone(IST):%a %d %b %H:%M} IST"
    if session.expired:
        return f"Broker session  EXPIRED at {expiry} ({owner}, {source}): log in to Kite again"
    left = duration(session.expires_at - now)
    return f"Broker session  {owner} ({source}), valid until {expiry}, {left} from now"


def _position_text(positions: list[PositionView], symbols: dict[int, str]) -> str:
    held = [p for p in positions if p.quantity]
    if not held:
        return "flat"
    return ", ".join(
        f"{symbols.get(p.instrument_token, p.instrument_token)} {p.quantity:+d}"
        f" @{p.average_price.normalize():f}"
        for p in held
    )


def _strategy_rows(snapshot: StatusSnapshot) -> list[list[str]]:
    figures = {summary.strategy_id: summary for summary in snapshot.pnl}
    rows = [[*STRATEGY_HEADER, "net P&L"]]
    totals = [Decimal(0)] * 4
    for strategy in sorted(snapshot.strategies, key=lambda s: s.strategy_id):
        summary: StrategySummary | None = figures.get(strategy.strategy_id)
        held = [p for p in snapshot.positions if p.strategy_id == strategy.strategy_id]
        amounts = (
            [summary.realized_pnl, summary.unrealized_pnl, summary.charges, summary.net_pnl]
            if summary is not None
            else [Decimal(0)] * 4
        )
        totals = [total + amount for total, amount in zip(totals, amounts, strict=True)]
        state = "paused" if strategy.paused else "active"
        rows.append(
            [
                strategy.strategy_id,
                strategy.strategy_type,
                state,
                _position_text(held, snapshot.symbols),
                *(rupees(amount) for amount in amounts),
            ]
        )
    rows.append(["all strategies", "", "", "", *(rupees(total) for total in totals)])
    return rows


def _service_rows(services: list[ServiceHealth], now: datetime) -> list[list[str]]:
    rows = [["service", "state", "checked", "failing checks"]]
    for service in services:
        failing = "; ".join(
            f"{check.name}: {check.detail}"
            if check.severity == "critical"
            else f"{check.name} ({check.severity}): {check.detail}"
            for check in service.checks
            if not check.passed
        )
        rows.append(
            [
                service.service,
                "ready" if service.ready else "NOT READY",
                f"{duration(now - service.checked_at)} ago",
                failing,
            ]
        )
    return rows


def render(snapshot: StatusSnapshot) -> str:
    """Return the whole status screen."""
    now = snapshot.taken_at
    ready = sum(1 for service in snapshot.services if service.ready)
    lines = [
        f"Alpha Panda · {snapshot.namespace.value} · {snapshot.api_url} · "
        f"{now.astimezone(IST):%a %d %b %Y %H:%M:%S} IST",
        "",
        _broker_line(snapshot.broker_session, now),
        "",
        f"Strategies ({len(snapshot.strategies)})",
    ]
    if snapshot.strategies:
        lines += table(_strategy_rows(snapshot), right_from=4)
    else:
        lines.append("  none configured in this namespace")
    lines += ["", f"Services ({ready} of {len(snapshot.services)} ready)"]
    lines += table(_service_rows(snapshot.services, now), right_from=99)
    return "\n".join(lines)
