"""The API routes behind the dashboard, over the real stores, Kafka and the Kite simulator:
rejections, failure reasons, the P&L curve, dead letters with admin-only replay, and symbols."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import redis.asyncio as redis
from pydantic import SecretStr

from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.auth.roles import Role
from alpha_panda.core.events import EventType, decode
from alpha_panda.core.streaming import Outgoing
from alpha_panda.core.streaming.recent import newest_records
from alpha_panda.core.topics import dlq
from alpha_panda.domain.signals import RejectedSignal, Signal
from alpha_panda.domain.values import IST, Namespace, Side
from tests.conftest import eventually
from tests.integration.api.stack import (
    dead_lettering,
    login,
    opened_api,
    publish_figures,
    strategy_summary,
)
from tests.integration.core.processors import Source, running, tick

pytestmark = pytest.mark.integration

RELIANCE = 738561
SESSION_DAY = datetime(2026, 11, 23, 9, 15, tzinfo=IST)


@pytest.fixture
def settings(kite_settings, simulator):
    """The API with a session on the simulator, so it can read the instruments master."""
    token = SecretStr(simulator.login().access_token)
    return kite_settings.model_copy(update={"kite_access_token": token})


def client_of(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://api")


@pytest.fixture
async def api(settings, pool) -> AsyncIterator[httpx.AsyncClient]:
    async with opened_api(settings) as wired, client_of(wired.app) as client:
        yield client


def rejection(strategy_id: str, rule: str, reason: str, minute: int) -> RejectedSignal:
    signal = Signal(
        strategy_id=strategy_id,
        instrument_token=RELIANCE,
        side=Side.BUY,
        quantity=10,
        reference_price=Decimal("1510.40"),
        generated_at=SESSION_DAY + timedelta(minutes=minute),
    )
    return RejectedSignal(signal=signal, rule=rule, reason=reason)


async def test_rejections_come_from_the_risk_managers_topic_newest_first(api, settings):
    source = Source(settings.model_copy(update={"service_name": "risk-manager"}))
    verdicts = [
        rejection("ghost", "unknown_strategy", "no definition of strategy 'ghost' is in force", 0),
        rejection("momentum-1", "max_orders_per_day", "12 orders today, the limit is 12", 1),
    ]
    async with running(source):
        await source.send(
            [
                Outgoing(settings.topics.signals_rejected, EventType.SIGNAL_REJECTED, verdict)
                for verdict in verdicts
            ]
        )
    viewer = await login(api, Role.VIEWER)

    shown = (await api.get("/api/v1/paper/rejections", headers=viewer)).json()
    one = (await api.get("/api/v1/paper/rejections?limit=1", headers=viewer)).json()
    elsewhere = (await api.get("/api/v1/zerodha/rejections", headers=viewer)).json()

    assert [(r["strategy_id"], r["rule"]) for r in shown] == [
        ("momentum-1", "max_orders_per_day"),
        ("ghost", "unknown_strategy"),
    ]
    assert shown[1]["reason"] == "no definition of strategy 'ghost' is in force"
    assert shown[0]["generated_at"] == "2026-11-23T03:46:00Z"
    assert (shown[0]["instrument_token"], shown[0]["side"], shown[0]["quantity"]) == (
        RELIANCE,
        "BUY",
        10,
    )
    assert len(one) == 1 and elsewhere == []


async def test_a_failed_order_carries_the_brokers_reason(api, pool):
    await pool.execute(
        "INSERT INTO ledger_orders (namespace, order_id, event_id, strategy_id,"
        " instrument_token, side, quantity, order_type, status, reason, placed_at)"
        " VALUES ('paper', 'o-9', gen_random_uuid(), 'momentum-1', $1, 'BUY', 5, 'MARKET',"
        " 'REJECTED', $2, $3)",
        RELIANCE,
        "Insufficient funds. Required margin is 7552.00 but available margin is 0.00.",
        SESSION_DAY.astimezone(UTC),
    )
    viewer = await login(api, Role.VIEWER)

    orders = (await api.get("/api/v1/paper/orders", headers=viewer)).json()

    assert [(o["order_id"], o["status"]) for o in orders] == [("o-9", "failed")]
    assert orders[0]["reason"].startswith("Insufficient funds.")


async def test_the_pnl_curve_keeps_one_point_per_step_of_exchange_time_per_day(
    api, settings, redis_url
):
    client = redis.from_url(redis_url)
    opening = SESSION_DAY.astimezone(UTC)
    figures = [
        (opening + timedelta(seconds=1), "10.00"),
        (opening + timedelta(seconds=9), "12.50"),  # the same 15 s step: the later one stays
        (opening + timedelta(seconds=16), "-4.25"),
        (opening + timedelta(days=1, seconds=3), "1.00"),  # the next trading day
    ]
    for at, realized in figures:
        strategies = [strategy_summary("momentum-1", realized, "0", "0")]
        await publish_figures(client, settings.topic_prefix, strategies, "251", as_of=at)
    await client.aclose()
    viewer = await login(api, Role.VIEWER)

    latest = (await api.get("/api/v1/paper/pnl/curve", headers=viewer)).json()
    first = (await api.get("/api/v1/paper/pnl/curve?day=2026-11-23", headers=viewer)).json()
    empty = (await api.get("/api/v1/zerodha/pnl/curve", headers=viewer)).json()

    assert latest["day"] == "2026-11-24" and len(latest["points"]) == 1
    assert first["day"] == "2026-11-23"
    assert [(p["at"], p["net_pnl"], p["strategies"]) for p in first["points"]] == [
        ("2026-11-23T03:45:09Z", "12.50", {"momentum-1": "12.50"}),
        ("2026-11-23T03:45:16Z", "-4.25", {"momentum-1": "-4.25"}),
    ]
    assert empty == {"namespace": "zerodha", "day": None, "points": []}


async def test_dead_letters_show_their_reason_to_viewers_and_only_admins_replay_them(
    api, settings, pool, unique
):
    topic = settings.topics.orders_placed
    viewer, trader, admin = [await login(api, role) for role in Role]
    listed: list[dict] = []

    async def listed_once() -> bool:
        listed[:] = (await api.get("/api/v1/paper/dead-letters", headers=viewer)).json()
        return len(listed) == 1

    refusal = "order for an instrument nobody subscribed"
    async with dead_lettering(settings, pool, unique, topic, refusal) as (source, _):
        sent = await source.publish(topic, [tick(RELIANCE, 1)])
        await eventually(listed_once, what="the dead letter in the namespace's list")

    replay = "/api/v1/dead-letters/replay"
    refused = await api.post(replay, params={"topic": dlq(topic)}, headers=trader)
    before = await newest_records(settings.kafka_bootstrap, [topic], 10)
    replayed = await api.post(replay, params={"topic": dlq(topic)}, headers=admin)
    again = await api.post(replay, params={"topic": dlq(topic)}, headers=admin)
    after = await newest_records(settings.kafka_bootstrap, [topic], 10)

    letter = listed[0]
    assert (letter["topic"], letter["dead_letter_topic"]) == (topic, dlq(topic))
    assert letter["error_message"] == refusal
    assert letter["error_class"] == "ValueError" and letter["value"] is None
    assert refused.status_code == 403
    assert refused.json() == {"detail": "this action needs the admin role"}
    assert replayed.json() == {"topic": dlq(topic), "replayed": 1}
    assert again.json() == {"topic": dlq(topic), "replayed": 0}
    assert len(after) == len(before) + 1
    assert decode(after[-1].value).id == sent[0].id  # the original event, as it was


async def test_instruments_are_named_by_the_brokers_master(api, simulator):
    viewer = await login(api, Role.VIEWER)
    wanted = [RELIANCE, 256265, 999999999]

    listed = (await api.get("/api/v1/instruments", params={"token": wanted}, headers=viewer)).json()

    registry = {item.instrument_token: item for item in simulator.registry}
    assert [(i["instrument_token"], i["tradingsymbol"], i["exchange"]) for i in listed] == [
        (RELIANCE, "RELIANCE", "NSE"),
        (256265, registry[256265].tradingsymbol, registry[256265].exchange),
    ]


async def test_an_unreachable_instruments_master_is_503_with_retry_after(settings, pool):
    rejected = settings.model_copy(update={"kite_access_token": SecretStr("not-a-session")})
    async with opened_api(rejected) as wired, client_of(wired.app) as api:
        viewer = await login(api, Role.VIEWER)
        answer = await api.get("/api/v1/instruments?token=738561", headers=viewer)

    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json() == {"detail": "the instruments master is unavailable; try again shortly"}


async def test_bad_input_to_the_dashboards_routes_is_422_naming_the_field(api):
    viewer = await login(api, Role.VIEWER)
    admin = await login(api, Role.ADMIN)
    asked = {
        "day": await api.get("/api/v1/paper/pnl/curve?day=2026-13-01", headers=viewer),
        "limit": await api.get("/api/v1/paper/rejections?limit=0", headers=viewer),
        "letters": await api.get("/api/v1/paper/dead-letters?limit=5000", headers=viewer),
        "token": await api.get("/api/v1/instruments?token=-3", headers=viewer),
        "none": await api.get("/api/v1/instruments", headers=viewer),
        "many": await api.get(
            "/api/v1/instruments", params={"token": list(range(1, 502))}, headers=viewer
        ),
        "replay": await api.post(
            "/api/v1/dead-letters/replay?topic=paper.orders.placed", headers=admin
        ),
    }
    fields = {
        name: (response.status_code, [p["field"] for p in response.json()["problems"]])
        for name, response in asked.items()
    }

    assert fields == {
        "day": (422, ["query.day"]),
        "limit": (422, ["query.limit"]),
        "letters": (422, ["query.limit"]),
        "token": (422, ["query.token.0"]),
        "none": (422, ["query.token"]),
        "many": (422, ["query.token"]),
        "replay": (422, ["query.topic"]),
    }
    namespace = await api.get("/api/v1/live/rejections", headers=viewer)
    assert namespace.status_code == 422
    assert namespace.json()["problems"][0]["field"] == "path.namespace"


async def test_the_cache_keeps_curves_of_namespaces_apart(redis_url, unique):
    client = redis.from_url(redis_url)
    prefix = f"t{unique}."
    paper = PortfolioCache(client, Namespace.PAPER, prefix)
    zerodha = PortfolioCache(client, Namespace.ZERODHA, prefix)
    strategies = [strategy_summary("momentum-1", "5", "0", "0")]
    await publish_figures(client, prefix, strategies, "251", as_of=SESSION_DAY)
    try:
        assert [p.net_pnl for p in await paper.curve(SESSION_DAY.date())] == [Decimal(5)]
        assert await zerodha.curve_days() == []
    finally:
        await client.aclose()
