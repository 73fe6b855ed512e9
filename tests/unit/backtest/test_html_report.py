import json
import re
from decimal import Decimal
from html.parser import HTMLParser

from alpha_panda.backtest import Backtest
from alpha_panda.backtest.html_report import report_html
from alpha_panda.backtest.output import write_report
from alpha_panda.backtest.round_trips import round_trips
from alpha_panda.core.display import indian_grouping, rupees
from alpha_panda.domain.values import IST
from tests.unit.backtest.builders import OTHER, TOKEN, synthetic, synthetic_config

SYMBOLS = {TOKEN: "INFY", OTHER: "RELIANCE"}


def run(count=8_000, interval_ms=1_000):
    return Backtest(synthetic_config()).run(synthetic(count, interval_ms))


class SummaryCells(HTMLParser):
    """Collect the summary table's `data-value` of every field, per strategy row."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.row: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "tr" and "data-strategy" in attributes:
            self.row = attributes["data-strategy"]
            self.rows[self.row] = {}
        elif tag == "td" and self.row is not None and "data-field" in attributes:
            self.rows[self.row][attributes["data-field"]] = attributes["data-value"]


def summary_of(page):
    parser = SummaryCells()
    parser.feed(page)
    return parser.rows


def test_two_runs_write_byte_identical_json_html_and_png(tmp_path):
    first = write_report(run(), tmp_path / "one", symbols=SYMBOLS)
    second = write_report(run(), tmp_path / "two", symbols=SYMBOLS)
    assert [path.name for path in first] == ["report.json", "report.html", "equity.png"]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name


def test_the_summary_agrees_with_report_json(tmp_path):
    report = run()
    write_report(report, tmp_path, chart=False)
    figures = json.loads((tmp_path / "report.json").read_text())
    rows = summary_of((tmp_path / "report.html").read_text())
    assert list(rows) == [s["strategy_id"] for s in figures["strategies"]] + [""]
    for strategy in figures["strategies"]:
        cells = rows[strategy["strategy_id"]]
        assert cells["trades"] == str(len(strategy["trades"]))
        for field in ("round_trips", "gross_pnl", "charges", "net_pnl", "max_drawdown"):
            assert cells[field] == str(strategy[field]), field
        for field in ("win_rate", "sharpe_ratio"):
            assert cells[field] == (strategy[field] or ""), field
        assert int(cells["trades"]) > 0
    totals = rows[""]
    assert {field: totals[field] for field in ("gross_pnl", "charges", "net_pnl")} == {
        field: figures[field] for field in ("gross_pnl", "charges", "net_pnl")
    }


def test_the_page_is_self_contained_with_ist_labelled_charts():
    page = report_html(run(), SYMBOLS)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 2
    labels = re.findall(r'<text [^>]*class="x-label">([^<]+)</text>', page)
    hours = ["09:15", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "15:30"]
    assert labels == hours * 2  # the equity and the drawdown chart
    assert "exchange time (IST)" in page


def test_round_trips_name_instruments_by_symbol_and_times_in_ist():
    report = run()
    page = report_html(report, SYMBOLS)
    first = round_trips(report.strategies[0].trades)[0]
    symbol = SYMBOLS[first.instrument_token]
    assert first.exit_at is not None and first.exit_price is not None
    row = (
        f'<tr class="closed"><td>1</td><td title="instrument token {first.instrument_token}">'
        f"{symbol}</td><td>{'long' if first.side.sign > 0 else 'short'}</td><td>{first.quantity}</td>"
        f"<td>{first.entry_at.astimezone(IST):%H:%M:%S}</td><td>{rupees(first.entry_price)}</td>"
        f"<td>{first.exit_at.astimezone(IST):%H:%M:%S}</td><td>{rupees(first.exit_price)}</td>"
    )
    assert row in page


def test_a_report_over_two_sessions_shows_both_days_on_the_axis():
    page = report_html(run(count=30_000, interval_ms=1_000))
    labels = re.findall(r'<text [^>]*class="x-label">([^<]+)</text>', page)
    assert labels[:3] == ["Mon 23 Nov 09:15", "Tue 24 Nov 09:15", "15:30"]


def test_money_is_written_in_rupees_with_indian_grouping():
    assert indian_grouping("1000000") == "10,00,000"
    assert indian_grouping("999") == "999"
    assert rupees(Decimal("-1949.5")) == "\u2212₹1,949.50"
    assert rupees(Decimal("12345678.9")) == "₹1,23,45,678.90"
