"""Write a backtest report to disk: JSON and HTML always, an equity-curve PNG when asked."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from alpha_panda.backtest.html_report import report_html
from alpha_panda.backtest.report import BacktestReport


def report_json(report: BacktestReport) -> str:
    """Return the report as indented JSON; Decimals are strings, so figures stay exact."""
    return report.model_dump_json(indent=2) + "\n"


def write_report(
    report: BacktestReport,
    directory: Path,
    chart: bool = True,
    symbols: Mapping[int, str] | None = None,
) -> list[Path]:
    """Write report.json, report.html (and equity.png when there were ticks) into `directory`.

    `symbols` names instruments by token in the HTML. Return the files written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "report.json"
    target.write_text(report_json(report), encoding="utf-8")
    page = directory / "report.html"
    page.write_text(report_html(report, symbols), encoding="utf-8")
    written = [target, page]
    if chart and report.first_tick_at is not None:
        from alpha_panda.backtest.chart import write_equity_chart

        written.append(write_equity_chart(report, directory / "equity.png"))
    return written
