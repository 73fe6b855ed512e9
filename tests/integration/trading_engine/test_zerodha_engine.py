"""The trading engine of the zerodha namespace on Kafka and PostgreSQL, trading on the simulator."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from alpha_panda.adapters.kite.feed import KiteFeed
from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.app.supervisor import processing_check
from alpha_panda.app.wiring import Wiring
from alpha_panda.core.events import EventEnvelope, EventType
from alpha_panda.core.health import HealthRegistry
from alpha_panda.core.ids import derived_event_id
from alpha_panda.core.settings import Settings, load_settings
from alpha_panda.core.streaming import Outgoing, Outputs, Runtime
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.core.streaming.dead_letters import read_dead_letters
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.orders import OrderFilled, OrderPlaced
from alpha_panda.domain.values import OrderType, Side
from alpha_panda.market_feed.service import MarketFeed
from alpha_panda.trading_engine.live import LiveTradingEngine
from alpha_panda.trading_engine.service import TradingEngine, order_id_for
from kite_sim import KiteSimulator
from kite_sim.faults import PlacementFault
from kite_sim.rate_limits import RateLimit, RateLimiter
from tests.conftest import eventually
from tests.integration.adapters.kite.conftest import feed_config
from tests.integration.core.processors import Relay, ledger_pool
from tests.integration.core.processors import running as run_processors
from tests.integration.trading_engine.kite import (
    INFY,
    SESSION,
    SignalSource,
    client,
    frozen_simulator,
    validated,
)

pytestmark = pytest.mark.integration


@dataclass
class Running:
    """One engine, the runtime that drives it, the wiring it was built from, its task and what
    its handler returned."""

    wiring: Wiring
    runtime: Runtime
    engine: TradingEngine
    task: asyncio.Task[None]
    emitted: list[Outgoing] = field(default_factory=list)

    def of(self, kind: type) -> list:
        return [item.data for item in self.emitted if isinstance(item.data, kind)]


@dataclass
class Live:
    """A frozen simulator and zerodha trading engines consuming validated signals."""

    simulator: KiteSimulator
    infra: dict[str, str]
    prefix: str
    running: list[Running] = field(default_factory=list)
    feeds: list[tuple[MarketFeed, asyncio.Task[None]]] = field(default_factory=list)

    def settings(
        self, service: str = "trading-engine", group: str = "", poll_seconds: float = 1.0
    ) -> Settings:
        return load_settings(
            order_poll_seconds=poll_seconds,
            service_name=service,
            namespace="zerodha",
            group_prefix=f"t{self.prefix}{group}",
            topic_prefix=f"t{self.prefix}.",
            kafka_bootstrap=self.infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
            postgres_dsn=self.infra["ALPHA_PANDA_POSTGRES_DSN"],
            redis_url=self.infra["ALPHA_PANDA_REDIS_URL"],
            kite_api_key=self.simulator.api_key,
            kite_access_token=self.simulator.login().access_token,
            kite_root=self.simulator.urls.rest,
        )

    async def start_engine(self, group: str = "", poll_seconds: float | None = None) -> Running:
        wiring = await Wiring.open(self.settings(group=group, poll_seconds=poll_seconds or 1.0))
        runtime = await wiring.build("trading-engine")
        assert isinstance(runtime, Runtime) and isinstance(runtime.handler, LiveTradingEngine)
        engine = runtime.handler
        emitted: list[Outgoing] = []
        handle = engine.handle

        async def recording(event: EventEnvelope) -> Outputs:
            result = await handle(event)
            emitted.extend(result.events)
            return result

        engine.handle = recording  # type: ignore[method-assign]
        await runtime.start()
        task = asyncio.create_task(runtime.run())
        running = Running(wiring, runtime, engine, task, emitted)
        self.running.append(running)
        return running

    async def start_feed(self) -> MarketFeed:
        """Run the market feed on this session, as the zerodha BrokerSession's feed pod does."""
        feed = MarketFeed.for_settings(
            self.settings("market-feed"), KiteFeed(feed_config(self.simulator), [INFY])
        )
        await feed.start()
        self.feeds.append((feed, asyncio.create_task(feed.run())))
        return feed

    async def stop(self) -> None:
        for feed, task in self.feeds:
            feed.stop()
            await task
            await feed.close()
        self.feeds = []
        for engine in self.running:
            engine.runtime.stop()
            await engine.task
            await engine.runtime.close()
            await engine.wiring.close()
        self.running = []

    def orders(self) -> list:
        return self.simulator.broker.orders(self.simulator.api_key)


FALLING = [(SESSION, "1542.80"), (SESSION + timedelta(minutes=1), "1530.00")]
"""INFY prices for the simulator to replay: a minute later it has fallen 12.80."""


@pytest.fixture
async def live(request, infra, postgres_dsn, unique, tmp_path) -> AsyncIterator[Live]:
    """A frozen simulator (replaying `request.param` prices when given) and its settings."""
    overrides = {}
    if hasattr(request, "param"):
        path = tmp_path / "ticks.jsonl"
        path.write_text(
            "".join(
                json.dumps({"instrument_token": INFY, "timestamp": at.isoformat(), "last_price": p})
                + "\n"
                for at, p in request.param
            )
        )
        overrides["replay_file"] = path
    async with frozen_simulator(**overrides) as simulator:
        setup = Live(simulator, {**infra, "ALPHA_PANDA_POSTGRES_DSN": postgres_dsn}, unique)
        await ensure_topics(setup.settings().kafka_bootstrap, setup.settings().topics)
        yield setup
        await setup.stop()


@pytest.fixture
async def source(live: Live) -> AsyncIterator[SignalSource]:
    source = SignalSource(live.settings("risk-manager"))
    await source.start()
    yield source
    await source.close()


async def dead_letters(live: Live) -> list:
    settings = live.settings()
    return await read_dead_letters(settings.kafka_bootstrap, settings.topics.signals_validated)


async def test_replaying_a_signal_from_offset_zero_finds_the_order_instead_of_placing_again(
    live: Live, source: SignalSource
) -> None:
    sent = await source.send_signal(validated(Side.BUY, 40))
    first = await live.start_engine()
    await eventually(lambda: _has(first, OrderFilled), what="the first engine's fills")
    replay = await live.start_engine(group="-replay")  # a fresh group reads from offset 0
    await eventually(lambda: _has(replay, OrderFilled), what="the replaying engine's fills")

    [order] = live.orders()
    assert order.tag == order_tag(order_id_for(sent))
    assert replay.emitted == first.emitted
    trades = live.simulator.broker.trades(live.simulator.api_key)
    assert [(f.fill_id, f.price) for f in first.of(OrderFilled)] == [
        (t.trade_id, Decimal(t.price).scaleb(-2)) for t in trades
    ]
    assert first.of(OrderPlaced)[0].strategy_id == "live-infy"


async def test_an_expired_session_halts_the_engine_unready_with_nothing_dead_lettered(
    live: Live, source: SignalSource
) -> None:
    running = await live.start_engine()
    await live.simulator.expire_tokens()
    sent = await source.send_signal(validated())

    await asyncio.wait_for(running.task, timeout=30)  # run() returned: consumption stopped
    report = await HealthRegistry([processing_check(lambda: running.runtime)]).run()
    assert not report.ready and "TokenException" in report.failures[0].detail
    assert await dead_letters(live) == []
    assert await running.wiring.checkpoints().seen([sent.id]) == set()
    assert live.orders() == [] and running.emitted == []

    await live.stop()
    renewed = await live.start_engine()  # same group, a new session: the signal is redelivered
    await eventually(lambda: _has(renewed, OrderFilled), what="the signal traded after renewal")
    assert [o.tag for o in live.orders()] == [order_tag(order_id_for(sent))]


async def test_a_rate_limited_order_is_retried_and_placed_once(
    live: Live, source: SignalSource
) -> None:
    # Orders allowed once a second on a clock that moves 0.6 s per request: after the first
    # order below, the engine's first attempt is refused with HTTP 429 and its retry passes.
    steps = itertools.count(0.0, 0.6)
    live.simulator.rate_limiter = RateLimiter({"orders": RateLimit(1)}, lambda: next(steps))
    kite = client(live.simulator)
    await asyncio.to_thread(
        kite.place_order,
        variety="regular",
        exchange="NSE",
        tradingsymbol="TCS",
        transaction_type="BUY",
        quantity=1,
        product="MIS",
        order_type="LIMIT",
        price=1,
    )
    running = await live.start_engine()
    sent = await source.send_signal(validated(Side.SELL, 5))
    await eventually(lambda: _has(running, OrderFilled), what="the retried order's fills")

    tagged = [o for o in live.orders() if o.tag == order_tag(order_id_for(sent))]
    assert len(tagged) == 1 and tagged[0].status == "COMPLETE"
    assert next(steps) == pytest.approx(1.8)  # three order requests: primer, refused, retried
    assert await dead_letters(live) == []


async def test_an_order_executed_but_answered_429_ends_with_one_placed_and_one_filled_event(
    live: Live, source: SignalSource
) -> None:
    live.simulator.placement_faults.arm(PlacementFault.RATE_LIMITED)
    running = await live.start_engine()
    sent = await source.send_signal(validated(Side.BUY, 1, tradingsymbol="INFY"))
    await eventually(lambda: _has(running, OrderFilled), what="the adopted order's fill")

    [order] = live.orders()  # no second order at the broker
    assert order.tag == order_tag(order_id_for(sent)) and order.status == "COMPLETE"
    [placed], [filled] = running.of(OrderPlaced), running.of(OrderFilled)
    [trade] = live.simulator.broker.trades(live.simulator.api_key, order.order_id)
    assert (placed.order_id, filled.fill_id, filled.quantity) == (
        order_id_for(sent),
        trade.trade_id,
        1,
    )
    assert live.simulator.placement_faults.pending == 0
    assert await dead_letters(live) == []


async def _has(running: Running, kind: type) -> bool:
    return bool(running.of(kind))


@pytest.mark.parametrize("live", [FALLING], indirect=True)
async def test_a_working_limit_order_is_watched_across_a_restart_until_it_fills(
    live: Live, source: SignalSource, postgres_dsn
) -> None:
    first = await live.start_engine()
    sent = await source.send_signal(
        validated(Side.BUY, 5, order_type=OrderType.LIMIT, limit_price="1535")
    )
    await eventually(lambda: _has(first, OrderPlaced), what="the limit order placed")
    assert isinstance(first.engine, LiveTradingEngine) and list(first.engine.working) == [sent.id]
    await live.stop()  # the engine goes down while the order works at the exchange

    live.simulator.clock.advance(timedelta(minutes=1))  # INFY falls through the limit
    pool = await ledger_pool(postgres_dsn)
    fills = Relay(
        live.settings("fill-reader"),
        PostgresCheckpoints(pool, "fill-reader"),
        inputs=[live.settings().topics.orders_filled],
    )
    async with run_processors(fills):
        second = await live.start_engine()
        await eventually(lambda: _empty(second.engine.working), what="the watch to see the end")
        trades = live.simulator.broker.trades(live.simulator.api_key)
        await eventually(lambda: _holds(fills.handled, len(trades)), what="the watched fills")
    await pool.close()

    [order] = live.orders()
    assert order.status == "COMPLETE" and order.tag == order_tag(order_id_for(sent))
    assert second.emitted == []  # nothing redelivered: the fills came from the watch
    assert [(e.data.fill_id, e.data.price) for e in fills.handled] == [
        (t.trade_id, Decimal(t.price).scaleb(-2)) for t in trades
    ]
    assert all(e.data.price <= Decimal("1535") for e in fills.handled)
    assert [e.causation_id for e in fills.handled] == [sent.id] * len(trades)
    assert [e.id for e in fills.handled] == [
        derived_event_id(sent.id, index, live.settings().consumer_group)
        for index in range(1, len(trades) + 1)
    ]


async def _holds(items: list, count: int) -> bool:
    return len(items) >= count


async def _empty(items: dict) -> bool:
    return not items


@pytest.mark.parametrize("live", [FALLING], indirect=True)
async def test_the_order_watch_halts_the_engine_when_the_session_expires(
    live: Live, source: SignalSource
) -> None:
    running = await live.start_engine()
    sent = await source.send_signal(
        validated(Side.BUY, 5, order_type=OrderType.LIMIT, limit_price="1535")
    )
    await eventually(lambda: _has(running, OrderPlaced), what="the limit order placed")
    await live.simulator.expire_tokens()

    await asyncio.wait_for(running.task, timeout=30)  # the watch met the expired token
    assert running.runtime.failure is not None and "TokenException" in running.runtime.failure
    assert isinstance(running.engine, LiveTradingEngine)
    assert list(running.engine.working) == [sent.id]  # still to be watched after renewal


@pytest.mark.parametrize("live", [FALLING], indirect=True)
async def test_kites_order_update_reports_a_working_orders_fills_without_waiting_for_a_poll(
    live: Live, source: SignalSource, postgres_dsn
) -> None:
    await live.start_feed()
    running = await live.start_engine(poll_seconds=3600)  # only an update can bring the fills
    reads_before = {trigger: _order_reads(running, trigger) for trigger in ("update", "poll")}
    sent = await source.send_signal(
        validated(Side.BUY, 5, order_type=OrderType.LIMIT, limit_price="1535")
    )
    await eventually(lambda: _has(running, OrderPlaced), what="the limit order placed")
    assert isinstance(running.engine, LiveTradingEngine) and list(running.engine.working) == [
        sent.id
    ]

    pool = await ledger_pool(postgres_dsn)
    topics = live.settings().topics
    observed = Relay(
        live.settings("order-reader"),
        PostgresCheckpoints(pool, "order-reader"),
        inputs=[topics.orders_filled, topics.order_updates],
    )
    async with run_processors(observed):
        live.simulator.clock.advance(timedelta(minutes=1))  # INFY falls through the limit
        await eventually(lambda: _empty(running.engine.working), what="the order seen complete")
        trades = live.simulator.broker.trades(live.simulator.api_key)
        await eventually(
            lambda: _holds(
                [e for e in observed.handled if e.type is EventType.ORDER_FILLED], len(trades)
            ),
            what="the fills",
        )
    await pool.close()

    [order] = live.orders()
    updates = [e.data for e in observed.handled if e.type is EventType.ORDER_UPDATE]
    assert updates and updates[-1].status == "COMPLETE" and updates[-1].tag == order.tag
    assert {u.broker_order_id for u in updates} == {order.order_id}
    assert _order_reads(running, "update") > reads_before["update"]
    assert _order_reads(running, "poll") == reads_before["poll"]
    fills = [e for e in observed.handled if e.type is EventType.ORDER_FILLED]
    assert [(e.data.fill_id, e.causation_id) for e in fills] == [
        (t.trade_id, sent.id) for t in trades
    ]


def _order_reads(running: Running, trigger: str) -> float:
    labels = {"service": running.engine.service_name, "trigger": trigger}
    return REGISTRY.get_sample_value("alpha_panda_working_order_reads_total", labels) or 0.0
