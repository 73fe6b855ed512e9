"""The dashboard in headless Chromium: log in, see the stored figures, watch them change live."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from playwright.async_api import BrowserContext, Page, expect

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.auth.roles import Role
from tests.browser import chromium, needs_chromium
from tests.conftest import ROOT
from tests.integration.api.stack import (
    PASSWORDS,
    api_settings,
    opened_api,
    publish_figures,
    seed_ledger,
    seed_strategies,
    seed_users,
    served_api,
    strategy_summary,
)

SCREENSHOT = ROOT / "artifacts" / "dashboard.png"
LIVE_TIMEOUT_MS = 15_000

pytestmark = [pytest.mark.integration, pytest.mark.browser, needs_chromium]


@pytest.fixture
async def dashboard_url(unique, kafka_bootstrap, postgres_dsn, redis_url) -> AsyncIterator[str]:
    settings = api_settings(unique, kafka_bootstrap, postgres_dsn, redis_url)
    pool = await connect(postgres_dsn)
    await seed_users(pool)
    await seed_strategies(settings, pool)
    await seed_ledger(pool)
    async with opened_api(settings) as wired, served_api(wired) as base_url:
        yield f"{base_url}/dashboard"
    await pool.close()


@pytest.fixture
async def cache(redis_url) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def browser(tmp_path) -> AsyncIterator[BrowserContext]:
    async with chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1100}) as context:
        yield context


def strategy_cell(page: Page, strategy_id: str, field: str):
    return page.locator(f'#pnl tr[data-key="{strategy_id}"] [data-field="{field}"]')


async def publish(cache, unique, momentum_net_inputs: tuple[str, str, str], last_price: str):
    realized, unrealized, charges = momentum_net_inputs
    await publish_figures(
        cache,
        f"t{unique}.",
        [
            strategy_summary("bollinger-2", "-40.00", "0", "2.10"),
            strategy_summary("momentum-1", realized, unrealized, charges),
        ],
        last_price=last_price,
    )


async def test_dashboard_shows_stored_figures_and_follows_the_cache_live(
    dashboard_url, cache, browser, unique
):
    await publish(cache, unique, ("120.50", "-20.25", "3.10"), last_price="247.975")
    page = await browser.new_page()
    await page.goto(dashboard_url)

    await page.fill("#username", Role.VIEWER.value)
    await page.fill("#password", PASSWORDS[Role.VIEWER])
    await page.click("#login button[type=submit]")

    await expect(strategy_cell(page, "momentum-1", "net_pnl")).to_have_text(
        "97.15", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.locator("#login")).to_be_hidden()
    await expect(strategy_cell(page, "bollinger-2", "net_pnl")).to_have_text("-42.10")
    await expect(page.locator('#portfolio [data-field="net_pnl"]')).to_have_text("55.05")
    await expect(
        page.locator('#positions tr[data-key="momentum-1:256265"] td').nth(4)
    ).to_have_text("247.975")
    await expect(page.locator('#orders tr[data-key="o-2"] .status')).to_have_text(
        "partially filled"
    )
    await expect(page.locator("#readiness")).to_have_text("ready", timeout=LIVE_TIMEOUT_MS)

    await publish(cache, unique, ("180.00", "35.50", "4.25"), last_price="253.55")

    await expect(strategy_cell(page, "momentum-1", "net_pnl")).to_have_text(
        "211.25", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.locator('#portfolio [data-field="net_pnl"]')).to_have_text("169.15")
    await expect(page.locator('#portfolio [data-field="equity"]')).to_have_text("10,00,169.15")
    await expect(
        page.locator('#positions tr[data-key="momentum-1:256265"] td').nth(4)
    ).to_have_text("253.55")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000


async def test_a_wrong_password_keeps_the_board_hidden(dashboard_url, browser):
    page = await browser.new_page()
    await page.goto(dashboard_url)

    await page.fill("#username", Role.VIEWER.value)
    await page.fill("#password", "not-the-password")
    await page.click("#login button[type=submit]")

    await expect(page.locator("#login-error")).to_have_text("Unknown user or wrong password.")
    await expect(page.locator("#board")).to_be_hidden()


async def test_a_trader_pauses_a_strategy_from_the_dashboard(dashboard_url, browser, postgres_dsn):
    page = await browser.new_page()
    await page.goto(dashboard_url)
    await page.fill("#username", Role.TRADER.value)
    await page.fill("#password", PASSWORDS[Role.TRADER])
    await page.click("#login button[type=submit]")

    await page.locator('#pnl tr[data-key="bollinger-2"] button').click()

    await expect(page.locator('#pnl tr[data-key="bollinger-2"] .state')).to_have_text(
        "paused", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.locator('#pnl tr[data-key="bollinger-2"] button')).to_have_text("Resume")
    pool = await connect(postgres_dsn)
    try:
        assert (await StrategyRepository(pool).get("bollinger-2")).paused
    finally:
        await pool.close()
