"""The equity-curve chart of a backtest, drawn off-screen with matplotlib's Agg canvas."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from alpha_panda.backtest.report import BacktestReport
from alpha_panda.backtest.trading_time import TradingTimeAxis


def equity_figure(report: BacktestReport) -> Figure:
    """Plot each strategy's net P&L against IST market time (09:15-15:30 per session)."""
    start, end = report.first_tick_at, report.last_tick_at
    if start is None or end is None:
        raise ValueError("no ticks: nothing to chart")
    axis = TradingTimeAxis.spanning(start, end)
    figure = Figure(figsize=(10, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for strategy in report.strategies:
        times = [axis.position(point.at) for point in strategy.equity_curve]
        values = [float(point.net_pnl) for point in strategy.equity_curve]
        axes.step(times, values, where="post", label=strategy.strategy_id, linewidth=1)
    axes.axhline(0, color="grey", linewidth=0.5)
    marks = axis.marks()
    axes.set_xticks([mark.position for mark in marks], [mark.label for mark in marks])
    axes.set_xlim(0, axis.length)
    axes.set_title("Net P&L per strategy after charges")
    days = ", ".join(f"{day:%a %d %b %Y}" for day in axis.days)
    axes.set_xlabel(f"exchange time (IST), {days}")
    axes.set_ylabel("INR")
    axes.grid(alpha=0.3)
    if report.strategies:
        axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    return figure


def write_equity_chart(report: BacktestReport, path: Path) -> Path:
    """Write `equity_figure` as a PNG; return its path.

    The figure is built without pyplot (no global state) and the PNG carries no software or
    time metadata, so the same report always gives the same file.
    """
    equity_figure(report).savefig(path, format="png", metadata={"Software": None})
    return path
