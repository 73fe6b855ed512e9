"""The equity-curve chart of a backtest, drawn off-screen with matplotlib's Agg canvas."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from alpha_panda.backtest.report import BacktestReport


def write_equity_chart(report: BacktestReport, path: Path) -> Path:
    """Plot each strategy's net P&L over exchange time into a PNG; return its path.

    The figure is built without pyplot (no global state) and the PNG carries no software or
    time metadata, so the same report always gives the same file.
    """
    start = report.first_tick_at
    if start is None:
        raise ValueError("no ticks: nothing to chart")
    figure = Figure(figsize=(10, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for strategy in report.strategies:
        times = [(point.at - start).total_seconds() / 3600 for point in strategy.equity_curve]
        values = [float(point.net_pnl) for point in strategy.equity_curve]
        axes.step(times, values, where="post", label=strategy.strategy_id, linewidth=1)
    axes.axhline(0, color="grey", linewidth=0.5)
    axes.set_title("Net P&L per strategy after charges")
    axes.set_xlabel(f"hours of exchange time since {start:%Y-%m-%d %H:%M} UTC")
    axes.set_ylabel("INR")
    axes.grid(alpha=0.3)
    if report.strategies:
        axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format="png", metadata={"Software": None})
    return path
