"""The backtest's HTML report in headless Chromium: the summary a trader reads is report.json's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect

from alpha_panda.backtest.__main__ import main as backtest
from alpha_panda.core.display import count, percent, ratio, rupees
from tests.browser import chromium, needs_chromium
from tests.conftest import ROOT

SCREENSHOT = ROOT / "artifacts" / "backtest-report.png"
SESSION_DAY = "2026-11-23"
SUMMARY_FIELDS = (
    "trades",
    "round_trips",
    "win_rate",
    "gross_pnl",
    "charges",
    "net_pnl",
    "max_drawdown",
    "sharpe_ratio",
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    """Backtest the example strategies over a simulated session, as the README shows."""
    out = tmp_path_factory.mktemp("backtest")
    config = ROOT / "examples" / "backtest.yaml"
    assert backtest([str(config), "--simulate", SESSION_DAY, "--out", str(out)]) == 0
    return out


@pytest.fixture
async def browser(tmp_path) -> AsyncIterator[BrowserContext]:
    # Offline: everything the page shows must come from the file itself.
    viewport = {"width": 1100, "height": 1250}
    async with chromium(tmp_path / "profile", viewport=viewport, offline=True) as context:
        yield context


def shown(field: str, value: object, strategy: dict) -> str:
    if field == "trades":
        return count(len(strategy["trades"]))
    if field == "round_trips":
        return count(int(str(value)))
    if field == "win_rate":
        return percent(None if value is None else Decimal(str(value)))
    if field == "sharpe_ratio":
        return ratio(None if value is None else Decimal(str(value)))
    return rupees(Decimal(str(value)))


async def test_the_html_report_shows_the_figures_of_report_json(report_dir, browser):
    figures = json.loads((report_dir / "report.json").read_text())
    page = await browser.new_page()
    await page.goto((report_dir / "report.html").as_uri())

    rows = page.locator("table.summary tbody tr")
    await expect(rows).to_have_count(len(figures["strategies"]))
    for strategy in figures["strategies"]:
        row = page.locator(f'table.summary tr[data-strategy="{strategy["strategy_id"]}"]')
        for field in SUMMARY_FIELDS:
            await expect(row.locator(f'[data-field="{field}"]')).to_have_text(
                shown(field, strategy.get(field), strategy)
            )
    totals = page.locator('table.summary tfoot [data-field="net_pnl"]')
    await expect(totals).to_have_text(rupees(Decimal(figures["net_pnl"])))

    charts = page.locator(".charts svg")
    await expect(charts).to_have_count(2)
    lines = page.locator(".charts svg polyline")
    await expect(lines).to_have_count(2 * len(figures["strategies"]) + 1)  # and the total
    points = await lines.first.get_attribute("points")
    assert points is not None and len(points.split()) > 300  # one a market minute
    await expect(charts.first.locator(".x-label").first).to_have_text("09:15")
    await expect(charts.first.locator(".x-label").last).to_have_text("15:30")

    first = figures["strategies"][0]
    trips = page.locator(f"#strategy-{first['strategy_id']} table.trades tbody tr.closed")
    await expect(trips).to_have_count(first["round_trips"])
    await expect(trips.first.locator("td").nth(1)).to_have_text("RELIANCE")

    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
