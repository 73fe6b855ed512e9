"""Find the broker's orders and trades that carry the platform's tag but have no event.

The trading engine runs `reconcile_work` periodically and emits what it returns;
`alpha-panda reconcile` calls `missing_order_events` once to report. The order events the
engine publishes land in the portfolio manager's ledger, so the ledger is what the day's
books are compared with.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from alpha_panda.adapters.kite.book import NO_TIME, OrderOwner, RecordedOrders, compare_books
from alpha_panda.adapters.kite.client import PacedKite, paced_kite
from alpha_panda.adapters.kite.orders import KiteRecord, kite_instant
from alpha_panda.adapters.postgres.ledger_orders import booked_fill_ids, ledger_orders_since
from alpha_panda.core.events import EventDecodeError, EventEnvelope, decode
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming.dead_letters import read_dead_letters
from alpha_panda.core.streaming.handler import Outputs, SideWork
from alpha_panda.core.topics import dlq
from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.execution.paper import OrderEvent
from alpha_panda.domain.execution.tags import is_order_tag, order_tag
from alpha_panda.domain.orders import OrderFilled, OrderPlaced
from alpha_panda.domain.signals import ValidatedSignal
from alpha_panda.domain.values import IST
from alpha_panda.trading_engine.live import LiveTradingEngine
from alpha_panda.trading_engine.service import order_id_for

ORDERS_WITHOUT_EVENT = Gauge(
    "alpha_panda_broker_orders_without_event",
    "Orders in the broker's day book carrying the platform's tag that miss an order event "
    "(placed, a fill or the failure of the rest), at the last reconciliation",
    ["broker_namespace"],
)


def signal_owners(signals: Iterable[EventEnvelope]) -> dict[str, OrderOwner]:
    """Return, by order tag, whose order each validated signal would have placed.

    Feed it the validated signals that may have placed an order without an event, such as
    those dead-lettered; other events are passed over.
    """
    owners = {}
    for envelope in signals:
        if isinstance(envelope.data, ValidatedSignal):
            order_id = order_id_for(envelope)
            owners[order_tag(order_id)] = OrderOwner(order_id, envelope.data.signal.strategy_id)
    return owners


def event_key(event: OrderEvent) -> str:
    """Return what identifies an order event across emissions: its kind and its order or fill."""
    if isinstance(event, OrderFilled):
        return f"fill:{event.fill_id}"
    if isinstance(event, OrderPlaced):
        return f"placed:{event.order_id}"
    return f"failed:{event.order_id}"


class BookReconciler:
    """Compare the day's order and trade books at Kite with the namespace's ledger.

    An event the engine is publishing right now is briefly missing from the ledger, so by
    default an event is returned only when two consecutive calls found it missing: call at
    an interval longer than the engine takes to handle a signal (30 s or more).
    """

    def __init__(
        self,
        kite: PacedKite,
        pool: asyncpg.Pool,
        namespace: str,
        charges: ChargeSchedule | None = None,
        product: Product = Product.INTRADAY,
    ) -> None:
        self._kite = kite
        self._pool = pool
        self.namespace = namespace
        self._charges = charges or ChargeSchedule()
        self._product = product
        self._suspects: set[str] = set()

    async def missing(
        self, signals: Iterable[EventEnvelope] = (), *, confirmed: bool = True
    ) -> list[OrderEvent]:
        """Return the order events the books show and the ledger lacks, in book order.

        `signals` attribute tags the ledger does not know (see `signal_owners`); a tag
        nothing attributes is booked to the `unattributed` strategy. With `confirmed` False
        everything missing now is returned at once.
        """
        orders: list[KiteRecord] = await self._kite.call("orders")
        trades: list[KiteRecord] = await self._kite.call("trades")
        recorded = await self._recorded(orders, trades, signal_owners(signals))
        comparison = compare_books(orders, trades, recorded, self._charges, self._product)
        ORDERS_WITHOUT_EVENT.labels(self.namespace).set(len(comparison.orders))
        keys = [event_key(event) for event in comparison.events]
        if confirmed:
            result = [
                e for e, key in zip(comparison.events, keys, strict=True) if key in self._suspects
            ]
        else:
            result = comparison.events
        self._suspects = set(keys)
        return result

    async def _recorded(
        self, orders: list[KiteRecord], trades: list[KiteRecord], owners: dict[str, OrderOwner]
    ) -> RecordedOrders:
        tagged = [order for order in orders if is_order_tag(order.get("tag"))]
        if not tagged:
            return RecordedOrders()
        first = min(kite_instant(order.get("order_timestamp"), NO_TIME) for order in tagged)
        day = datetime.combine(first.astimezone(IST).date(), time(), tzinfo=IST)
        rows = await ledger_orders_since(self._pool, self.namespace, day)
        for row in rows:  # an unattributed order is booked under its tag as order id
            tag = row.order_id if is_order_tag(row.order_id) else order_tag(row.order_id)
            owners[tag] = OrderOwner(row.order_id, row.strategy_id)
        fill_ids = await booked_fill_ids(
            self._pool, self.namespace, [str(trade["trade_id"]) for trade in trades]
        )
        return RecordedOrders(
            owners=owners,
            placed=frozenset(row.order_id for row in rows if row.placed),
            failed=frozenset(row.order_id for row in rows if row.failed),
            fill_ids=frozenset(fill_ids),
        )


async def dead_lettered_signals(settings: Settings, limit: int = 10_000) -> list[EventEnvelope]:
    """Return the namespace's validated signals the trading engine dead-lettered."""
    topic = settings.topics.signals_validated
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        if dlq(topic) not in await admin.list_topics():
            return []  # no dead-letter topic yet: nothing was dead-lettered
    finally:
        await admin.close()
    envelopes = []
    for letter in await read_dead_letters(settings.kafka_bootstrap, topic, limit):
        try:
            envelopes.append(decode(letter.value))
        except EventDecodeError:
            continue  # a record that never decoded placed no order
    return envelopes


async def missing_order_events(settings: Settings, pool: asyncpg.Pool) -> list[OrderEvent]:
    """Return, once and unconfirmed, what the day's books hold without an order event.

    Dead-lettered validated signals attribute the orders they placed to their strategies.
    """
    reconciler = BookReconciler(paced_kite(settings), pool, settings.namespace)
    return await reconciler.missing(await dead_lettered_signals(settings), confirmed=False)


def reconcile_work(
    settings: Settings, reconciler: BookReconciler, engine: LiveTradingEngine
) -> SideWork:
    """Return the engine's periodic reconciliation, as side work for its runtime.

    Each round attributes tags to the signals the engine watches and to those dead-lettered,
    and emits the confirmed missing events on the order topics without a cause: their ids
    must not derive from a signal's, whose index-derived ids the engine's own events hold.
    Downstream an order is keyed by its order id and a fill by its fill id, so an event the
    engine published too changes nothing.
    """

    async def work() -> list[Outputs]:
        signals = [*engine.working.values(), *await dead_lettered_signals(settings)]
        missing = await reconciler.missing(signals)
        return [Outputs(events=[engine.outgoing(event) for event in missing])] if missing else []

    return work
