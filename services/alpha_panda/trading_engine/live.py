"""The live trading engine: also follows orders left working at the exchange until they end."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import Counter

from alpha_panda.core.events import EventEnvelope, decode, encode
from alpha_panda.core.streaming import NOTHING, FatalError, Outgoing, Outputs, Snapshot
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.orders import BrokerOrderUpdate, OrderFailed, OrderFilled
from alpha_panda.domain.signals import ValidatedSignal
from alpha_panda.trading_engine.service import TradingEngine, order_id_for
from alpha_panda.trading_engine.zerodha import ZerodhaTrader

log = logging.getLogger(__name__)
ORDER_READS = Counter(
    "alpha_panda_working_order_reads_total",
    "Working orders read again from Kite, by what showed they moved: an order update or a poll",
    ["service", "trigger"],
)
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class OrderWatchConfig:
    """How often orders still working at the exchange are looked at again, whether or not an
    order update said they moved (an update can be lost with its connection)."""

    poll_seconds: float = 1.0


def still_working(results: Sequence[object]) -> bool:
    """Tell whether an order's events leave part of it working: no failure, not fully filled."""
    if any(isinstance(result, OrderFailed) for result in results):
        return False
    fills = [result for result in results if isinstance(result, OrderFilled)]
    return not fills or fills[-1].remaining_quantity > 0


class LiveTradingEngine(TradingEngine):
    """A trading engine that follows the orders its trader left working at Kite.

    A validated signal whose order is still open is remembered with its envelope. The order is
    looked at again as soon as Kite's order update for it arrives (pushed over the market
    feed's connections onto the order-updates topic), and on every `poll()`, which the runtime
    runs beside the batches and which reads the day's order book once. For an order whose
    status or filled quantity moved, the trader reports the whole order again (found by its
    tag, never placed again) and the events go out with the signal as their cause: those
    already published carry the same derived ids and are dropped downstream, so only new fills
    and a final failure count. The watched signals are part of the snapshot, so a restarted
    engine keeps watching.
    """

    def __init__(
        self,
        topics: TopicMap,
        trader: ZerodhaTrader,
        service_name: str,
        config: OrderWatchConfig | None = None,
    ) -> None:
        super().__init__(topics, trader, also_consumes=[topics.order_updates])
        self.live_trader = trader
        self.service_name = service_name
        self.watch = config or OrderWatchConfig()
        self.working: dict[uuid.UUID, EventEnvelope] = {}
        self._progress: dict[uuid.UUID, tuple[str, int] | None] = {}
        self._changed = False

    def restore(self, snapshot: Snapshot | None) -> None:
        """Resume watching the orders a previous run left working."""
        if snapshot and snapshot.get("version") == SNAPSHOT_VERSION:
            causes = (decode(raw.encode()) for raw in snapshot["working"])
            self.working = {cause.id: cause for cause in causes}

    def snapshot(self) -> Snapshot | None:
        """Return the watched signals if the set changed."""
        if not self._changed:
            return None
        self._changed = False
        working = [encode(cause).decode() for cause in self.working.values()]
        return {"version": SNAPSHOT_VERSION, "working": working}

    async def handle(self, event: EventEnvelope) -> Outputs:
        """Place validated signals' orders; read a watched order again when Kite says it moved."""
        if isinstance(event.data, BrokerOrderUpdate):
            return await self._updated(event.data)
        outputs = await super().handle(event)
        if isinstance(event.data, ValidatedSignal):
            self._follow(event, outputs.events)
        return outputs

    async def poll(self) -> list[Outputs]:
        """Read the day's order book once and refresh every watched order that moved."""
        if not self.working:
            return []
        progress = await self.live_trader.progress()
        refreshed: list[Outputs] = []
        for cause in list(self.working.values()):
            now = progress.get(order_tag(order_id_for(cause)))
            try:
                outputs = await self._look_again(cause, now, "poll")
            except FatalError:
                raise
            except Exception as error:  # the next poll looks again
                log.warning("working orders not refreshed: %r", error)
                break
            if outputs is not None:
                refreshed.append(outputs)
        return refreshed

    async def _updated(self, update: BrokerOrderUpdate) -> Outputs:
        """Look at once at the watched order an update names; others' updates are ignored."""
        for cause in list(self.working.values()):
            if order_tag(order_id_for(cause)) == update.tag:
                try:
                    outputs = await self._look_again(
                        cause, (update.status, update.filled_quantity), "update"
                    )
                except FatalError:
                    raise
                except Exception as error:  # the poll catches it up
                    log.warning("order %s not refreshed on its update: %r", update.tag, error)
                    return NOTHING
                return outputs or NOTHING
        return NOTHING

    async def _look_again(
        self, cause: EventEnvelope, now: tuple[str, int] | None, trigger: str
    ) -> Outputs | None:
        """Refresh a watched order unless its status and filled quantity are as last seen."""
        if cause.id in self._progress and self._progress[cause.id] == now:
            return None
        self._progress[cause.id] = now
        try:
            outputs = await self._refresh(cause)
        except BaseException:
            self._progress.pop(cause.id, None)
            raise
        ORDER_READS.labels(self.service_name, trigger).inc()
        return outputs

    async def _refresh(self, cause: EventEnvelope) -> Outputs:
        assert isinstance(cause.data, ValidatedSignal)
        order_id = order_id_for(cause)
        results = await self.live_trader.follow(cause.data, order_id)
        if results is None:
            log.error("order %s of signal %s is not in Kite's order book", order_id, cause.id)
            results = []
        events = [self.outgoing(result) for result in results]
        self._follow(cause, events)
        return Outputs(events, cause=cause)

    def _follow(self, cause: EventEnvelope, events: Sequence[Outgoing]) -> None:
        working = bool(events) and still_working([item.data for item in events])
        if working != (cause.id in self.working):
            if working:
                self.working[cause.id] = cause
            else:
                del self.working[cause.id]
                self._progress.pop(cause.id, None)
            self._changed = True
