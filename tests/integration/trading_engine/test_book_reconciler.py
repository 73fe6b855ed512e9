"""The book reconciler against the simulator's books and a real PostgreSQL ledger."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from kiteconnect import KiteConnect

from alpha_panda.adapters.kite.book import UNATTRIBUTED
from alpha_panda.adapters.kite.client import PacedKite
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.app import cli
from alpha_panda.core.events import EventEnvelope, EventType, encode, new_envelope
from alpha_panda.core.settings import load_settings
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.core.topics import dlq
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.trading_engine.live import LiveTradingEngine
from alpha_panda.trading_engine.reconciler import (
    ORDERS_WITHOUT_EVENT,
    BookReconciler,
    reconcile_work,
)
from alpha_panda.trading_engine.service import order_id_for
from alpha_panda.trading_engine.zerodha import ZerodhaTrader
from kite_sim import KiteSimulator
from tests.integration.trading_engine.kite import (
    SESSION,
    client,
    validated,
    zerodha_cli_environment,
)

pytestmark = pytest.mark.integration
NAMESPACE = "zerodha"


@pytest.fixture
async def pool(postgres_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await connect(postgres_dsn)
    yield pool
    await pool.close()


def signal_envelope(strategy_id: str = "live-infy") -> EventEnvelope:
    signal = validated(quantity=5, tradingsymbol="INFY")
    signal = signal.model_copy(
        update={"signal": signal.signal.model_copy(update={"strategy_id": strategy_id})}
    )
    return new_envelope(
        EventType.SIGNAL_VALIDATED,
        signal,
        source="risk-manager",
        namespace=NAMESPACE,
        key=f"{strategy_id}:408065",
        correlation_id=uuid.uuid4(),
        causation_id=uuid.uuid4(),
    )


async def place(kite: KiteConnect, tag: str | None, quantity: int, **extra: Any) -> str:
    """Place an order behind the platform's back, straight through the official client."""
    request = {
        "variety": "regular",
        "exchange": "NSE",
        "tradingsymbol": "INFY",
        "transaction_type": "BUY",
        "quantity": quantity,
        "product": "MIS",
        "order_type": "MARKET",
        "market_protection": -1,
        **extra,
    }
    if tag:
        request["tag"] = tag
    return str(await asyncio.to_thread(kite.place_order, **request))


async def book_in_ledger(
    pool: asyncpg.Pool, order_id: str, strategy_id: str, fill_ids: list[str]
) -> None:
    """Write the ledger rows the portfolio manager writes for an order's placed and fill events."""
    await pool.execute(
        "INSERT INTO ledger_orders (namespace, order_id, event_id, strategy_id, instrument_token,"
        " side, quantity, order_type, status, placed_at)"
        " VALUES ($1, $2, $3, $4, 408065, 'BUY', 5, 'MARKET', 'OPEN', $5)",
        NAMESPACE,
        order_id,
        uuid.uuid4(),
        strategy_id,
        SESSION,
    )
    for fill_id in fill_ids:
        await pool.execute(
            "INSERT INTO ledger_fills (namespace, fill_id, event_id, order_id, strategy_id,"
            " instrument_token, side, quantity, price, charges, filled_at)"
            " VALUES ($1, $2, $3, $4, $5, 408065, 'BUY', 1, 1542.8, 0, $6)",
            NAMESPACE,
            fill_id,
            uuid.uuid4(),
            order_id,
            strategy_id,
            SESSION,
        )


def trade_ids(simulator: KiteSimulator, kite_order_id: str) -> list[str]:
    return [t.trade_id for t in simulator.broker.trades(simulator.api_key, kite_order_id)]


async def test_the_reconciler_returns_exactly_the_events_the_ledger_lacks(
    simulator: KiteSimulator, pool: asyncpg.Pool
) -> None:
    kite = client(simulator)
    recorded, part_recorded, lost = (
        signal_envelope("s-a"),
        signal_envelope("s-c"),
        signal_envelope(),
    )
    ids = {
        name: order_id_for(e) for name, e in [("a", recorded), ("c", part_recorded), ("b", lost)]
    }
    kite_a = await place(kite, order_tag(ids["a"]), 5)
    kite_c = await place(kite, order_tag(ids["c"]), 3000)  # fills over several trades
    kite_b = await place(kite, order_tag(ids["b"]), 5)
    stray_tag = order_tag("0196f0c4a1b2c3d4e5f9")
    kite_e = await place(kite, stray_tag, 5)
    await place(kite, None, 7)  # a manual order: not the platform's
    kite_r = await place(kite, order_tag(ids["a"] + "r"), 5, order_type="LIMIT", price=9999)
    await book_in_ledger(pool, ids["a"], "s-a", trade_ids(simulator, kite_a))
    c_trades = trade_ids(simulator, kite_c)
    assert len(c_trades) > 1
    await book_in_ledger(pool, ids["c"], "s-c", c_trades[:1])

    reconciler = BookReconciler(PacedKite(kite), pool, NAMESPACE)
    missing = await reconciler.missing([lost], confirmed=False)

    described = [
        (type(e).__name__, e.order_id, e.strategy_id, getattr(e, "fill_id", None)) for e in missing
    ]
    rejected_tag = order_tag(ids["a"] + "r")
    assert described == [
        *[("OrderFilled", ids["c"], "s-c", trade) for trade in c_trades[1:]],
        ("OrderPlaced", ids["b"], "live-infy", None),
        *[("OrderFilled", ids["b"], "live-infy", t) for t in trade_ids(simulator, kite_b)],
        ("OrderPlaced", stray_tag, UNATTRIBUTED, None),
        *[("OrderFilled", stray_tag, UNATTRIBUTED, t) for t in trade_ids(simulator, kite_e)],
        ("OrderPlaced", rejected_tag, UNATTRIBUTED, None),
        ("OrderFailed", rejected_tag, UNATTRIBUTED, None),
    ]
    placed_b = next(e for e in missing if isinstance(e, OrderPlaced) and e.order_id == ids["b"])
    assert (placed_b.quantity, placed_b.tradingsymbol, placed_b.tag) == (
        5,
        "INFY",
        order_tag(ids["b"]),
    )
    fills_c = [e for e in missing if isinstance(e, OrderFilled) and e.order_id == ids["c"]]
    assert fills_c[-1].remaining_quantity == 3000 - sum(
        t.quantity for t in simulator.broker.trades(simulator.api_key, kite_c)
    )
    [failed] = [e for e in missing if isinstance(e, OrderFailed)]
    assert failed.reason == "Order price is outside the circuit limits."
    assert kite_r
    gauge = ORDERS_WITHOUT_EVENT.labels(NAMESPACE)._value.get()
    assert gauge == 4  # c, b, the stray and the rejected one; a is whole, the manual one not ours


async def test_an_event_is_returned_only_once_two_rounds_found_it_missing(
    simulator: KiteSimulator, pool: asyncpg.Pool
) -> None:
    kite = client(simulator)
    in_flight, lost = signal_envelope("s-f"), signal_envelope("s-l")
    kite_f = await place(kite, order_tag(order_id_for(in_flight)), 5)
    kite_l = await place(kite, order_tag(order_id_for(lost)), 5)
    reconciler = BookReconciler(PacedKite(kite), pool, NAMESPACE)

    assert await reconciler.missing([in_flight, lost]) == []  # first sighting
    # meanwhile the engine's events for one of them land in the ledger
    await book_in_ledger(pool, order_id_for(in_flight), "s-f", trade_ids(simulator, kite_f))
    second = await reconciler.missing([in_flight, lost])

    assert {e.order_id for e in second} == {order_id_for(lost)}
    placed, *filled = second
    assert isinstance(placed, OrderPlaced) and placed.strategy_id == "s-l"
    assert [f.fill_id for f in filled if isinstance(f, OrderFilled)] == trade_ids(simulator, kite_l)
    assert ORDERS_WITHOUT_EVENT.labels(NAMESPACE)._value.get() == 1


async def test_the_reconcile_command_books_a_dead_lettered_signals_order_to_its_strategy(
    simulator: KiteSimulator, infra, postgres_dsn, unique, monkeypatch, capsys
) -> None:
    settings = load_settings(service_name="cli", namespace=NAMESPACE, topic_prefix=f"t{unique}.")
    await ensure_topics(infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"], settings.topics)
    lost = signal_envelope("s-dead")
    producer = AIOKafkaProducer(bootstrap_servers=infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"])
    await producer.start()
    try:  # the engine dead-lettered the signal after Kite executed its order
        await producer.send_and_wait(dlq(settings.topics.signals_validated), encode(lost))
    finally:
        await producer.stop()
    kite = client(simulator)
    kite_order = await place(kite, order_tag(order_id_for(lost)), 5)
    for name, value in zerodha_cli_environment(simulator, kite, postgres_dsn, unique).items():
        monkeypatch.setenv(name, value)

    assert await asyncio.to_thread(cli.main, ["reconcile"]) == 1
    lines = capsys.readouterr().out.splitlines()
    trades = trade_ids(simulator, kite_order)
    missing = [line for line in lines if line.startswith("no event: ")]
    assert [line.split()[2] for line in missing] == ["OrderPlaced"] + ["OrderFilled"] * len(trades)
    assert all(f'"order_id":"{order_id_for(lost)}"' in line for line in missing)
    assert all('"strategy_id":"s-dead"' in line for line in missing)
    assert lines[-1] == f"{1 + len(trades)} order event(s) missing for orders in Kite's books"


async def test_the_engines_periodic_work_emits_confirmed_missing_events_on_the_order_topics(
    simulator: KiteSimulator, pool: asyncpg.Pool, infra, unique
) -> None:
    settings = load_settings(
        service_name="trading-engine", namespace=NAMESPACE, topic_prefix=f"t{unique}."
    )
    kite = PacedKite(client(simulator))
    engine = LiveTradingEngine(settings.topics, ZerodhaTrader(kite), settings.service_name)
    watched = signal_envelope("s-watched")
    engine.working[watched.id] = watched
    kite_order = await place(kite.client, order_tag(order_id_for(watched)), 5)
    work = reconcile_work(settings, BookReconciler(kite, pool, NAMESPACE), engine)

    assert await work() == []  # seen once: it may be the engine's own order in flight
    [outputs] = await work()

    topics = settings.topics
    trades = trade_ids(simulator, kite_order)
    assert [item.topic for item in outputs.events] == [topics.orders_placed] + [
        topics.orders_filled
    ] * len(trades)
    assert {item.data.strategy_id for item in outputs.events} == {"s-watched"}
    assert outputs.cause is None  # fresh ids, never those derived from the signal's
