"""The backtest report as one self-contained HTML page: summary, charts, every round trip.

No script, no font, no request to anywhere: styles and SVG charts are inline, so the page opens
offline and the same report always gives the same bytes. Every summary cell carries the exact
`report.json` value in `data-value`, so a reader (or a test) can check one against the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from html import escape
from importlib import resources

from alpha_panda.backtest.performance import drawdowns, minute_pnl
from alpha_panda.backtest.report import BacktestReport, StrategyReport
from alpha_panda.backtest.round_trips import RoundTrip, round_trips
from alpha_panda.backtest.svg_chart import TOTAL_COLOUR, Series, line_chart, series_colour
from alpha_panda.backtest.trading_time import TradingTimeAxis
from alpha_panda.core.display import count, exchange_time, percent, ratio, rupees
from alpha_panda.domain.values import IST

SUMMARY_COLUMNS = (
    ("trades", "Trades", "fills, as Kite counts trades"),
    ("round_trips", "Round trips", "closed entry-exit pairs, first in first out"),
    ("win_rate", "Win rate", "share of round trips with a profit after charges"),
    ("gross_pnl", "Gross P&L", "realised and unrealised, before charges"),
    ("charges", "Charges", "brokerage, STT, exchange, SEBI, stamp duty and GST"),
    ("net_pnl", "Net P&L", "gross P&L after charges"),
    ("max_drawdown", "Max drawdown", "largest fall of net P&L from its running peak"),
    ("sharpe_ratio", "Sharpe-like", "annualised, on per-minute changes of net P&L"),
)
TONED = ("gross_pnl", "net_pnl")
EN_DASH = "\u2013"


def _style() -> str:
    return resources.files("alpha_panda.backtest").joinpath("report.css").read_text("utf-8")


def _cell(field: str, strategy: StrategyReport) -> str:
    value: object = len(strategy.trades) if field == "trades" else getattr(strategy, field)
    exact = "" if value is None else str(value)
    if field in ("trades", "round_trips"):
        shown = count(int(str(value)))
    elif field == "win_rate":
        shown = percent(strategy.win_rate)
    elif field == "sharpe_ratio":
        shown = ratio(strategy.sharpe_ratio)
    else:
        shown = rupees(Decimal(exact))
    return (
        f'<td data-field="{field}" data-value="{escape(exact)}"{_tone(field, value)}>{shown}</td>'
    )


def _tone(field: str, value: object) -> str:
    if field in TONED and isinstance(value, Decimal) and value != 0:
        return ' class="gain"' if value > 0 else ' class="loss"'
    return ""


def _summary(report: BacktestReport) -> str:
    head = "".join(
        f'<th title="{escape(hint)}">{escape(name)}</th>' for _, name, hint in SUMMARY_COLUMNS
    )
    rows = []
    for index, strategy in enumerate(report.strategies):
        cells = "".join(_cell(field, strategy) for field, _, _ in SUMMARY_COLUMNS)
        rows.append(
            f'<tr data-strategy="{escape(strategy.strategy_id)}"><th scope="row">'
            f'<span class="swatch" style="background:{series_colour(index)}"></span>'
            f"{escape(strategy.strategy_id)}<small>{escape(strategy.strategy_type)}</small>"
            f"</th>{cells}</tr>"
        )
    totals = "".join(
        f'<td data-field="{field}" data-value="{getattr(report, field)}"'
        f"{_tone(field, getattr(report, field))}>{rupees(getattr(report, field))}</td>"
        for field in ("gross_pnl", "charges", "net_pnl")
    )
    return (
        f'<table class="summary"><thead><tr><th>Strategy</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr data-strategy=""><th scope="row">All strategies</th>'
        f'<td colspan="3"></td>{totals}<td colspan="2"></td></tr></tfoot></table>'
    )


def _charts(report: BacktestReport, axis: TradingTimeAxis) -> str:
    first, last = report.first_tick_at, report.last_tick_at
    assert first is not None and last is not None
    equity: list[Series] = []
    falls: list[Series] = []
    totals: dict[float, float] = {}
    for index, strategy in enumerate(report.strategies):
        minutes = minute_pnl(strategy.equity_curve, axis, first, last)
        positions = [axis.position(at) for at, _ in minutes]
        values = [value for _, value in minutes]
        colour = series_colour(index)
        equity.append(Series(strategy.strategy_id, colour, _points(positions, values)))
        below_peak = [-fall for fall in drawdowns(values)]
        falls.append(Series(strategy.strategy_id, colour, _points(positions, below_peak)))
        for position, value in zip(positions, values, strict=True):
            totals[position] = totals.get(position, 0.0) + float(value)
    if len(report.strategies) > 1:
        equity.append(Series("all strategies", TOTAL_COLOUR, sorted(totals.items()), width=2.5))
    legend = "".join(
        f'<span><span class="swatch" style="background:{line.colour}"></span>'
        f"{escape(line.name)}</span>"
        for line in equity
    )
    return (
        '<section class="charts"><h2>Net P&amp;L after charges (₹)</h2>'
        f'<p class="legend">{legend}</p>'
        f"{line_chart('Net P&L after charges per strategy, IST', axis, equity)}"
        "<h2>Drawdown from the running peak (₹)</h2>"
        f"{line_chart('Drawdown per strategy, IST', axis, falls)}</section>"
    )


def _points(positions: list[float], values: list[Decimal]) -> list[tuple[float, float]]:
    return [(position, float(value)) for position, value in zip(positions, values, strict=True)]


def _trip_row(number: int, trip: RoundTrip, with_day: bool, symbols: Mapping[int, str]) -> str:
    instrument = trip.tradingsymbol or symbols.get(trip.instrument_token, "")
    instrument = instrument or str(trip.instrument_token)
    closed = trip.exit_at is not None and trip.exit_price is not None
    exit_time = exchange_time(trip.exit_at, with_day) if trip.exit_at else "open"
    exit_price = rupees(trip.exit_price) if trip.exit_price is not None else "\u2014"
    gross, net = trip.gross_pnl, trip.net_pnl
    return (
        f'<tr class="{"closed" if closed else "open"}"><td>{number}</td>'
        f'<td title="instrument token {trip.instrument_token}">{escape(instrument)}</td>'
        f"<td>{'long' if trip.side.sign > 0 else 'short'}</td><td>{count(trip.quantity)}</td>"
        f"<td>{exchange_time(trip.entry_at, with_day)}</td><td>{rupees(trip.entry_price)}</td>"
        f"<td>{exit_time}</td><td>{exit_price}</td>"
        f"<td{_tone('gross_pnl', gross)}>{'' if gross is None else rupees(gross)}</td>"
        f"<td>{rupees(trip.charges)}</td>"
        f"<td{_tone('net_pnl', net)}>{'' if net is None else rupees(net)}</td></tr>"
    )


def _strategy_section(
    strategy: StrategyReport, with_day: bool, opened: bool, symbols: Mapping[int, str]
) -> str:
    trips = round_trips(strategy.trades)
    still_open = sum(1 for trip in trips if trip.exit_at is None)
    rejections = (
        ", ".join(f"{escape(rule)} {count(n)}" for rule, n in strategy.rejections.items()) or "none"
    )
    holdings = ", ".join(
        f"{escape(symbols.get(int(token), token))} {qty:+d}"
        for token, qty in strategy.open_positions.items()
    )
    rows = "".join(
        _trip_row(number, trip, with_day, symbols) for number, trip in enumerate(trips, start=1)
    )
    return (
        f'<details class="strategy" id="strategy-{escape(strategy.strategy_id)}"'
        f"{' open' if opened else ''}><summary>{escape(strategy.strategy_id)}"
        f" — {count(len(trips) - still_open)} closed round trips, {count(still_open)} open"
        "</summary>"
        f'<p class="facts">{count(strategy.ticks)} ticks · {count(strategy.signals)} signals · '
        f"{count(strategy.orders)} orders · {count(strategy.failed_orders)} failed · "
        f"risk rejections: {rejections} · open at the end: {holdings or 'nothing'}</p>"
        '<table class="trades"><thead><tr><th>#</th><th>Instrument</th><th>Side</th>'
        "<th>Qty</th><th>Entry (IST)</th><th>Entry price</th><th>Exit (IST)</th>"
        "<th>Exit price</th><th>Gross</th><th>Charges</th><th>Net</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


def _period(report: BacktestReport, first: datetime, last: datetime) -> str:
    start, end = first.astimezone(IST), last.astimezone(IST)
    days = f"{start:%a %d %b %Y}"
    if start.date() != end.date():
        days += f" {EN_DASH} {end:%a %d %b %Y}"
    return (
        f"{days}, {start:%H:%M:%S}{EN_DASH}{end:%H:%M:%S} IST · {count(report.ticks)} ticks · "
        f"initial cash {rupees(report.initial_cash)}"
    )


def report_html(report: BacktestReport, symbols: Mapping[int, str] | None = None) -> str:
    """Return the report as a standalone HTML page; `symbols` names instruments by token."""
    first, last = report.first_tick_at, report.last_tick_at
    if first is None or last is None:
        body = '<p class="empty">No ticks: nothing was traded.</p>'
    else:
        axis = TradingTimeAxis.spanning(first, last)
        sections = "".join(
            _strategy_section(strategy, not axis.single_day, index == 0, symbols or {})
            for index, strategy in enumerate(report.strategies)
        )
        body = (
            f'<p class="period">{_period(report, first, last)}</p>{_summary(report)}'
            f"{_charts(report, axis)}<h2>Round trips</h2>{sections}"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Backtest report</title><style>{_style()}</style></head>"
        f"<body><h1>Backtest report</h1>{body}</body></html>\n"
    )
