"""The API over a running paper pipeline: what it shows is what the services wrote, and a
pause through it stops the strategy's next signal at the risk manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import redis.asyncio as redis

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.auth.roles import Role
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined
from alpha_panda.domain.values import Namespace
from alpha_panda.risk_manager.service import RiskManager
from tests.conftest import eventually
from tests.integration.api.stack import api_settings, login, opened_api, seed_users
from tests.integration.core.processors import Relay, Source, running
from tests.integration.pipeline.harness import Pipeline, tick

pytestmark = pytest.mark.integration

INFY = 408065
STRATEGY = "cross-infy"
# Crossover fast=2/slow=3 buys 100 at 103; the fall back to 100 would sell them.
BEFORE_PAUSE = ["100", "100", "99", "101", "103", "104"]
BUYING_TICK = 4
AFTER_PAUSE = ["100"]
CROSSOVER = {"fast_window": 2, "slow_window": 3, "quantity": 100, "cooldown_seconds": 0}


@pytest.fixture
async def pipeline(infra, postgres_dsn, unique) -> AsyncIterator[Pipeline]:
    pool = await connect(postgres_dsn)
    await seed_users(pool)
    await pool.close()
    config = StrategyConfig(
        strategy_id=STRATEGY,
        namespace=Namespace.PAPER,
        strategy_type="ma_crossover",
        instruments=(INFY,),
        parameters=CROSSOVER,
        risk_limits=RiskLimits(max_position_quantity=500),
    )
    pipeline = Pipeline(
        {**infra, "ALPHA_PANDA_POSTGRES_DSN": postgres_dsn},
        "paper",
        unique,
        STRATEGY,
        definitions=[config],
    )
    await pipeline.start()
    yield pipeline
    await pipeline.stop()


@pytest.fixture
async def api(pipeline, unique, kafka_bootstrap, postgres_dsn, redis_url):
    settings = api_settings(unique, kafka_bootstrap, postgres_dsn, redis_url)
    async with opened_api(settings) as wired:
        transport = httpx.ASGITransport(app=wired.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def play(pipeline: Pipeline, source: Source, prices: list[str], first_second: int) -> None:
    """Publish ticks one by one, each seen by the strategy and the risk manager before the next.

    After the buying tick it also waits until every consumer of fills has the fill: the
    strategy keeps asking for its target until a fill tells it the target is reached.
    """
    topic = pipeline.settings("x").topics.market_ticks
    for index, price in enumerate(prices, start=first_second):
        await source.publish(topic, [tick(INFY, index, price)])
        for service in ("strategy-runner", "risk-manager"):
            await pipeline.wait_for(service, Tick, index + 1, f"{service} to see tick {index}")
        if index == BUYING_TICK:
            for service in ("strategy-runner", "risk-manager", "portfolio-manager"):
                await pipeline.wait_for(service, OrderFilled, 1, f"the buy fill at {service}")


async def test_the_api_shows_the_pipelines_figures_and_its_pause_halts_the_strategy(
    pipeline, api, redis_url
):
    settings = pipeline.settings("x")
    pool = await connect(settings.postgres_dsn.get_secret_value())
    reader_settings = pipeline.settings("rejection-reader")
    rejected = Relay(
        reader_settings,
        PostgresCheckpoints(pool, reader_settings.consumer_group),
        inputs=[settings.topics.signals_rejected],
    )
    source = Source(pipeline.settings("market-feed"))
    client = redis.from_url(redis_url)
    cache = PortfolioCache(client, Namespace.PAPER, settings.topic_prefix)
    viewer = await login(api, Role.VIEWER)
    trader = await login(api, Role.TRADER)

    async with running(rejected, source):
        await play(pipeline, source, BEFORE_PAUSE, first_second=0)

        shown: list = []
        stored: list = []

        orders: list = []

        async def cache_shown_after_the_fill() -> bool:
            shown[:] = (await api.get("/api/v1/paper/pnl", headers=viewer)).json()
            stored[:] = [s.model_dump(mode="json") for s in await cache.strategies()]
            # the placement and the fill travel on two topics: the ledger may book them apart
            orders[:] = (await api.get("/api/v1/paper/orders", headers=viewer)).json()
            return [s["fills"] for s in shown] == [1] and shown == stored and bool(orders)

        try:
            await eventually(cache_shown_after_the_fill, what="the buy in the API's P&L")
        except pytest.fail.Exception:
            pytest.fail(f"the API showed {shown} while the cache held {stored}")
        fills = (await api.get("/api/v1/paper/fills", headers=viewer)).json()
        curve = (await api.get("/api/v1/paper/pnl/curve", headers=viewer)).json()
        positions = (await api.get("/api/v1/paper/positions", headers=viewer)).json()

        paused = await api.post(f"/api/v1/strategies/{STRATEGY}/pause", headers=trader)
        for service in ("risk-manager", "strategy-runner"):  # the one kill switch reaches both
            await pipeline.wait_for(service, StrategyDefined, 2, f"the pause at the {service}")
        await play(pipeline, source, AFTER_PAUSE, first_second=len(BEFORE_PAUSE))
    await pool.close()
    await client.aclose()

    assert shown[0]["strategy_id"] == STRATEGY
    assert [(o["side"], o["quantity"], o["status"], o["filled_quantity"]) for o in orders] == [
        ("BUY", 100, "filled", 100)
    ]
    assert [(f["order_id"], f["quantity"]) for f in fills] == [(orders[0]["order_id"], 100)]
    assert Decimal(fills[0]["price"]) >= Decimal("103")
    assert [(p["strategy_id"], p["quantity"]) for p in positions] == [(STRATEGY, 100)]
    # The portfolio manager drew the curve in the ticks' exchange time, last point as cached.
    last = curve["points"][-1]
    assert last["strategies"] == {STRATEGY: shown[0]["net_pnl"]}
    assert last["at"] >= fills[0]["filled_at"] and curve["day"] == last["at"][:10]
    assert paused.json()["paused"] is True
    # The tick that would have sold finds the runner paused: no signal, so nothing to reject,
    # and the risk manager holds the strategy halted should one come.
    assert len(pipeline.data("risk-manager", Signal)) == 1 and rejected.handled == []
    risk = pipeline.services["risk-manager"].handler
    assert isinstance(risk, RiskManager)
    assert (risk.engine.halted(STRATEGY) or "").startswith("strategy halted: paused")
