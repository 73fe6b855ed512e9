"""The API over the real stores: ledger, Redis cache, strategies table, control and DLQ topics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
import redis.asyncio as redis

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.strategies import StrategyRepository
from alpha_panda.auth.roles import Role
from alpha_panda.core.events import EventType
from alpha_panda.core.topics import dlq
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from tests.conftest import eventually
from tests.integration.api.stack import (
    api_settings,
    book_fills,
    book_orders,
    dead_lettering,
    define,
    login,
    opened_api,
    publish_figures,
    seed_ledger,
    strategy_summary,
)
from tests.integration.core.processors import Relay, running, settings_for, tick

pytestmark = pytest.mark.integration


@pytest.fixture
async def settings(unique, kafka_bootstrap, postgres_dsn, redis_url):
    return api_settings(unique, kafka_bootstrap, postgres_dsn, redis_url)


@pytest.fixture
async def api(settings, pool) -> AsyncIterator[httpx.AsyncClient]:
    async with opened_api(settings) as wired:
        transport = httpx.ASGITransport(app=wired.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


async def test_portfolio_pnl_and_positions_come_from_the_redis_cache(api, settings, redis_url):
    client = redis.from_url(redis_url)
    strategies = [
        strategy_summary("bollinger-2", "-40.00", "0", "2.10"),
        strategy_summary("momentum-1", "120.50", "-20.25", "3.10"),
    ]
    await publish_figures(client, settings.topic_prefix, strategies, last_price="247.975")
    await client.aclose()
    headers = await login(api, Role.VIEWER)

    portfolio = (await api.get("/api/v1/paper/portfolio", headers=headers)).json()
    pnl = (await api.get("/api/v1/paper/pnl", headers=headers)).json()
    positions = await api.get(
        "/api/v1/paper/positions", params={"strategy_id": "momentum-1"}, headers=headers
    )
    others = await api.get(
        "/api/v1/paper/positions", params={"strategy_id": "bollinger-2"}, headers=headers
    )

    assert portfolio["net_pnl"] == "55.05" and portfolio["fills"] == 4
    assert [(s["strategy_id"], s["net_pnl"]) for s in pnl] == [
        ("bollinger-2", "-42.10"),
        ("momentum-1", "97.15"),
    ]
    assert [(p["quantity"], p["last_price"], p["unrealized_pnl"]) for p in positions.json()] == [
        (10, "247.975", "-20.250")
    ]
    assert others.json() == []
    zerodha = await api.get("/api/v1/zerodha/portfolio", headers=headers)
    assert zerodha.status_code == 404


async def test_orders_carry_their_ledger_status_and_filled_quantity(api, pool):
    await seed_ledger(pool)
    headers = await login(api, Role.VIEWER)

    orders = (await api.get("/api/v1/paper/orders", headers=headers)).json()
    mine = await api.get(
        "/api/v1/paper/orders", params={"strategy_id": "momentum-1", "limit": 1}, headers=headers
    )

    assert [(o["order_id"], o["status"], o["filled_quantity"]) for o in orders] == [
        ("o-3", "failed", 0),
        ("o-2", "partially_filled", 4),
        ("o-1", "filled", 10),
    ]
    assert orders[2]["placed_at"] == "2026-11-23T04:45:00Z" and len(orders[2]["tag"]) == 20
    assert [o["order_id"] for o in mine.json()] == ["o-2"]


async def test_an_order_whose_fill_was_booked_before_its_row_still_shows_filled(api, pool):
    await book_fills(pool, [("f-9", "o-9", "BUY", 5, "249.00", "0.75", 3)])
    await book_orders(pool, [("o-9", "momentum-1", 256265, "BUY", 5, "OPEN", 3)])
    headers = await login(api, Role.VIEWER)

    orders = (await api.get("/api/v1/paper/orders", headers=headers)).json()

    assert [(o["order_id"], o["status"], o["filled_quantity"]) for o in orders] == [
        ("o-9", "filled", 5)
    ]


async def test_fills_are_listed_most_recent_first_with_exact_prices(api, pool):
    await seed_ledger(pool)
    headers = await login(api, Role.VIEWER)

    fills = (await api.get("/api/v1/paper/fills", headers=headers)).json()

    assert [(f["fill_id"], f["side"], f["quantity"], f["price"], f["charges"]) for f in fills] == [
        ("f-2", "SELL", 4, "251.1000", "0.9000"),
        ("f-1", "BUY", 10, "250.0500", "1.5000"),
    ]


async def test_strategies_are_listed_from_the_table(api):
    headers = await login(api, Role.VIEWER)

    listed = (await api.get("/api/v1/strategies", headers=headers)).json()

    assert [(s["strategy_id"], s["strategy_type"], s["paused"]) for s in listed] == [
        ("bollinger-2", "bollinger", False),
        ("momentum-1", "momentum", False),
    ]


async def test_pause_and_resume_flip_the_row_and_publish_the_strategys_definition(
    api, settings, pool, unique
):
    relay_settings = settings_for(
        "definitions-reader",
        unique,
        settings.kafka_bootstrap,
        settings.postgres_dsn.get_secret_value(),
        settings.redis_url.get_secret_value(),
    )
    reader = Relay(
        relay_settings,
        PostgresCheckpoints(pool, relay_settings.consumer_group),
        inputs=[settings.topics.strategies],
    )
    headers = await login(api, Role.TRADER)
    repository = StrategyRepository(pool)

    async with running(reader):
        paused = await api.post("/api/v1/strategies/momentum-1/pause", headers=headers)
        row_after_pause = await repository.get("momentum-1")
        resumed = await api.post("/api/v1/strategies/momentum-1/resume", headers=headers)

        async def both_definitions_arrived() -> bool:  # after the two seeded ones
            return len(reader.handled) >= 4

        await eventually(both_definitions_arrived, what="the paused and resumed definitions")

    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert row_after_pause is not None and row_after_pause.paused
    assert resumed.json()["paused"] is False
    assert not (await repository.get("momentum-1")).paused
    momentum = [e for e in reader.handled if e.key == "momentum-1"]
    assert [(e.type, e.namespace, e.data.config.paused) for e in momentum] == [
        (EventType.STRATEGY_DEFINED, "paper", False),  # seeded
        (EventType.STRATEGY_DEFINED, "paper", True),
        (EventType.STRATEGY_DEFINED, "paper", False),
    ]
    generations = [e.data.generation for e in momentum]
    assert generations == sorted(generations) and len(set(generations)) == 3


async def test_pausing_an_unknown_strategy_is_404_and_publishes_nothing(api):
    headers = await login(api, Role.TRADER)

    response = await api.post("/api/v1/strategies/no-such/pause", headers=headers)

    assert response.status_code == 404


async def test_dead_letters_are_read_back_from_their_topic(api, settings, pool, unique):
    topic = settings.topics.signals_raw
    headers = await login(api, Role.ADMIN)

    async def one_letter() -> bool:
        response = await api.get(
            "/api/v1/dead-letters", params={"topic": dlq(topic)}, headers=headers
        )
        return response.status_code == 200 and len(response.json()) == 1

    refusal = "strategy emitted a malformed signal"
    async with dead_lettering(settings, pool, unique, topic, refusal) as (source, failing):
        await source.publish(topic, [tick(256265, 1)])
        await eventually(one_letter, what="the dead letter to be readable")
    letter = (
        await api.get("/api/v1/dead-letters", params={"topic": dlq(topic)}, headers=headers)
    ).json()[0]

    assert letter["topic"] == topic and letter["error_class"] == "ValueError"
    assert letter["error_message"] == "strategy emitted a malformed signal"
    assert letter["consumer_group"] == failing.consumer_group
    assert '"instrument_token":256265' in letter["value"]


async def test_pausing_a_zerodha_strategy_publishes_its_definition_on_the_zerodha_topic(
    api, settings, pool, unique
):
    await define(
        settings,
        pool,
        StrategyConfig(
            strategy_id="live-momentum",
            namespace=Namespace.ZERODHA,
            strategy_type="momentum",
            instruments=(256265,),
        ),
    )
    relay_settings = settings_for(
        "zerodha-definitions-reader",
        unique,
        settings.kafka_bootstrap,
        settings.postgres_dsn.get_secret_value(),
        settings.redis_url.get_secret_value(),
    )
    zerodha_definitions = replace(settings.topics, namespace=Namespace.ZERODHA).strategies
    reader = Relay(
        relay_settings,
        PostgresCheckpoints(pool, relay_settings.consumer_group),
        inputs=[zerodha_definitions],
    )
    headers = await login(api, Role.TRADER)

    async with running(reader):
        paused = await api.post("/api/v1/strategies/live-momentum/pause", headers=headers)

        async def both_arrived() -> bool:  # the definition, then the paused one
            return len(reader.handled) == 2

        await eventually(both_arrived, what="the paused definition")

    assert paused.json()["namespace"] == "zerodha"
    defined, halted = reader.handled
    assert (halted.namespace, halted.key, halted.data.config.paused) == (
        "zerodha",
        "live-momentum",
        True,
    )
    assert not defined.data.config.paused
    assert zerodha_definitions.startswith(f"t{unique}.zerodha.")
