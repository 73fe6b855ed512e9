"""The dashboard in headless Chromium during a real local paper session (`make run`'s): symbols,
live charts with points, a pause from the dashboard that the risk manager enforces, and dead
letters that only an admin can replay. Screenshots go to artifacts/dashboard-session/."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.auth.roles import Role
from alpha_panda.auth.users import UserStore
from alpha_panda.core.events import EventType, decode
from alpha_panda.core.streaming import Outgoing
from alpha_panda.core.streaming.publish import Publisher
from alpha_panda.core.streaming.recent import newest_records
from alpha_panda.core.topics import TopicMap, dlq
from alpha_panda.domain.market import Tick
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import Namespace, Side
from tests.browser import chromium, needs_chromium
from tests.conftest import ROOT
from tests.integration.api.paper_session import PaperSession, paper_session, reported

SCREENSHOTS = ROOT / "artifacts" / "dashboard-session"
PAUSED = "momentum-large-caps"
LIVE_MS = 30_000
TOKEN_TEXT = re.compile(r"#?\d{4,}")
SIGNAL_READERS = ("risk-manager", "portfolio-manager")
"""The services of a session that read `signals.raw`, each in its own consumer group."""
IST_LEGEND = re.compile(r"^\d{2} [A-Z][a-z]{2} (\d{2}):(\d{2}):\d{2}$")

pytestmark = [pytest.mark.integration, pytest.mark.browser, needs_chromium]


@pytest.fixture
async def session(infra) -> AsyncIterator[PaperSession]:
    async with paper_session(infra) as running:
        yield running


@pytest.fixture
async def browser(tmp_path) -> AsyncIterator[BrowserContext]:
    viewport = {"width": 1280, "height": 1400}
    async with chromium(tmp_path / "profile", viewport=viewport) as context:
        yield context


async def log_in(context: BrowserContext, url: str, user: str, password: str) -> Page:
    page = await context.new_page()
    await page.goto(url)
    await page.fill("#username", user)
    await page.fill("#password", password)
    await page.click("#login button[type=submit]")
    await expect(page.locator("#board")).to_be_visible()
    return page


async def shot(page: Page, name: str) -> None:
    path = SCREENSHOTS / name
    await page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000


async def points(page: Page, chart: str) -> int:
    return int(await page.locator(chart).get_attribute("data-points") or 0)


async def latest_tick(bootstrap: str, topics: TopicMap) -> Tick:
    """Return the newest tick the feed published: its exchange time is the session's now."""
    records = await newest_records(bootstrap, [topics.market_ticks], 1)
    ticks = [envelope.data for r in records if isinstance((envelope := decode(r.value)).data, Tick)]
    return max(ticks, key=lambda tick: tick.exchange_timestamp)


async def add_admin(infra: dict[str, str], database: str) -> str:
    password = secrets.token_urlsafe(16)
    pool = await connect(infra["ALPHA_PANDA_POSTGRES_DSN"].rsplit("/", 1)[0] + "/" + database)
    try:
        await UserStore(UserRepository(pool)).add("admin", Role.ADMIN, password)
    finally:
        await pool.close()
    return password


async def strategy_instruments(session: PaperSession, strategy_id: str) -> tuple[int, ...]:
    base = session.dashboard_url.removesuffix("/dashboard")
    async with httpx.AsyncClient(base_url=base) as api:
        login = {"username": session.user, "password": session.password}
        token = (await api.post("/api/v1/auth/token", json=login)).json()["access_token"]
        listed = await api.get("/api/v1/strategies", headers={"Authorization": f"Bearer {token}"})
    [strategy] = [s for s in listed.json() if s["strategy_id"] == strategy_id]
    return tuple(strategy["instruments"])


async def test_the_dashboard_follows_a_paper_session_and_its_pause_stops_the_strategy(
    session, browser, infra
):
    with reported(session):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        print(f"\nscreenshots in {SCREENSHOTS}")
        bootstrap = infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"]
        topics = TopicMap(Namespace.PAPER, session.prefix)
        trader = await log_in(browser, session.dashboard_url, session.user, session.password)

        # Symbols, not tokens: the token is only the tooltip.
        row = trader.locator(f'#pnl tr[data-key="{PAUSED}"]')
        await expect(row.locator(".instruments")).to_have_text(
            "RELIANCE NSE, INFY NSE, TCS NSE", timeout=LIVE_MS
        )
        first = row.locator(".instrument").first
        assert re.fullmatch(
            r"NSE:RELIANCE · instrument token \d+", await first.get_attribute("title")
        )
        await expect(trader.locator("#orders tbody tr .instrument").first).to_be_visible(
            timeout=2 * LIVE_MS
        )
        shown = await trader.locator(".instrument").all_inner_texts()
        assert shown and not [text for text in shown if TOKEN_TEXT.search(text)], shown

        # The charts hold the portfolio manager's points and grow as the session trades.
        await expect(trader.locator("#chart-namespace")).to_have_attribute(
            "data-points", re.compile(r"^[1-9]\d*$"), timeout=LIVE_MS
        )
        before = await points(trader, "#chart-namespace")
        await expect(trader.locator("#chart-strategies")).to_have_attribute(
            "data-series", re.compile(r"^[1-9]$")
        )
        await expect(trader.locator("#chart-namespace")).not_to_have_attribute(
            "data-points", str(before), timeout=LIVE_MS
        )
        assert await points(trader, "#chart-namespace") > before
        await trader.locator("#chart-namespace .u-over").hover()
        legend = trader.locator("#chart-namespace .u-legend .u-series").first.locator(".u-value")
        await expect(legend).to_have_text(IST_LEGEND)
        clock = IST_LEGEND.match(await legend.inner_text())
        assert clock and "09:15" <= f"{clock.group(1)}:{clock.group(2)}" <= "15:30", clock
        await expect(
            trader.locator('#services tr[data-key="market-feed"] .checks')
        ).to_contain_text(
            re.compile(r"market-feed: \d+ connection\(s\), 8 instrument\(s\) subscribed")
        )
        await expect(trader.locator("#readiness")).to_have_text("ready")
        await shot(trader, "1-trading.png")

        # Pause through the dashboard: the strategy list shows it, the risk manager enforces it.
        await row.locator("button").click()
        await expect(row.locator(".state")).to_have_text("paused", timeout=LIVE_MS)
        await expect(row.locator("button")).to_have_text("Resume")
        token = (await strategy_instruments(session, PAUSED))[0]
        publisher = Publisher(bootstrap, source=f"strategy-runner.{PAUSED}", namespace="paper")
        await publisher.start()
        try:
            # A runner that had not yet seen its pause would send this; the risk manager decides.
            now = await latest_tick(bootstrap, topics)
            late = Signal(
                strategy_id=PAUSED,
                instrument_token=token,
                side=Side.BUY,
                quantity=10,
                reference_price=now.last_price if now.instrument_token == token else Decimal(1500),
                generated_at=now.exchange_timestamp,
            )
            await publisher.publish([Outgoing(topics.signals_raw, EventType.SIGNAL_RAW, late)])
            await publisher.flush()
            rejected = trader.locator("#rejections tbody tr", has_text=PAUSED)
            await expect(rejected.first.locator(".rule")).to_have_text(
                "kill_switch", timeout=LIVE_MS
            )
            await expect(rejected.first.locator(".reason")).to_contain_text(
                "strategy halted: paused (definition generation"
            )
            await expect(rejected.first.locator(".instrument")).to_have_text("RELIANCE NSE")
            await shot(trader, "2-paused-and-rejected.png")

            # A record no service can read is dead-lettered with its reason; only an admin replays.
            await publisher.send_record(topics.signals_raw, b"bad", b"{not an event", [])
        finally:
            await publisher.close()
        letters = trader.locator("#dead-letters tbody tr", has_text=topics.signals_raw)
        await expect(letters.first.locator(".reason")).to_contain_text(
            "EventDecodeError", timeout=LIVE_MS
        )
        await expect(trader.locator("#replay-actions button")).to_have_count(0)
        admin = await log_in(
            browser, session.dashboard_url, "admin", await add_admin(infra, session.database)
        )
        replay = admin.locator(f'#replay-actions button[data-topic="{dlq(topics.signals_raw)}"]')
        await expect(replay).to_be_visible(timeout=LIVE_MS)
        # Each service reading the topic dead-lettered it once.
        failed = admin.locator("#dead-letters tbody tr", has_text=topics.signals_raw)
        await expect(failed).to_have_count(len(SIGNAL_READERS), timeout=LIVE_MS)
        for reader in SIGNAL_READERS:
            await expect(failed.filter(has_text=f"{session.prefix}{reader}")).to_have_count(1)
        await shot(admin, "3-admin-dead-letters.png")
        await replay.click()
        await expect(admin.locator("#replay-result")).to_have_text(
            f"Replayed {len(SIGNAL_READERS)} record(s) of {dlq(topics.signals_raw)} onto their source"
            " topic."
        )
        # Back on its topic, each copy fails again wherever it is read and is dead-lettered again.
        readers = len(SIGNAL_READERS)
        await expect(failed).to_have_count(readers + readers * readers, timeout=LIVE_MS)

        code = await session.stop()
        assert code == 0, session.output
        assert "portfolio agrees with the PostgreSQL ledger" in session.output
