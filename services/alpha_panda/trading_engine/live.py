"""The live trading engine: also follows orders left working at the exchange until they end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from alpha_panda.adapters.postgres.state import state_writer
from alpha_panda.core.events import EventEnvelope, decode, encode
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import FatalError, Outgoing
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter
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
    feed's connections onto the order-updates topic), and on every poll, which reads the day's
    order book once. For an order whose status or filled quantity moved, the
    trader reports the whole order again (found by its tag, never placed again) and the
    events go out with the signal as their cause: those already published carry the same
    derived ids and are dropped downstream, so only new fills and a final failure count.
    The watched signals are saved with every batch, so a restarted engine keeps watching.
    """

    def __init__(
        self,
        settings: Settings,
        ledger: ProcessedLedger,
        trader: ZerodhaTrader,
        config: OrderWatchConfig | None = None,
    ) -> None:
        super().__init__(settings, ledger, trader, also_consumes=[settings.topics.order_updates])
        self.live_trader = trader
        self.watch = config or OrderWatchConfig()
        self.working: dict[uuid.UUID, EventEnvelope] = {}
        self._progress: dict[uuid.UUID, tuple[str, int] | None] = {}
        self._changed = False

    def restore(self, snapshot: dict[str, Any] | None) -> None:
        """Resume watching the orders a previous run left working."""
        if snapshot and snapshot.get("version") == SNAPSHOT_VERSION:
            causes = (decode(raw.encode()) for raw in snapshot["working"])
            self.working = {cause.id: cause for cause in causes}

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        if isinstance(event.data, BrokerOrderUpdate):
            await self._updated(event.data)
            return []  # what the order did goes out with its signal as the cause
        outgoing = await super().handle(event)
        if isinstance(event.data, ValidatedSignal):
            self._follow(event, outgoing)
        return outgoing

    def state_writer(self) -> StateWriter | None:
        if not self._changed:
            return None
        self._changed = False
        working = [encode(cause).decode() for cause in self.working.values()]
        return state_writer(
            self.settings.consumer_group, {"version": SNAPSHOT_VERSION, "working": working}
        )

    async def run(self) -> None:
        """Consume validated signals while polling the working orders beside them."""
        poller = asyncio.create_task(self._poll())
        try:
            await super().run()
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def _poll(self) -> None:
        while not self.failure:
            await asyncio.sleep(self.watch.poll_seconds)
            if self.working:
                await self._guarded(self._poll_round())

    async def _poll_round(self) -> None:
        progress = await self.live_trader.progress()
        for cause in list(self.working.values()):
            now = progress.get(order_tag(order_id_for(cause)))
            if not await self._look_again(cause, now, "poll"):
                return

    async def _updated(self, update: BrokerOrderUpdate) -> None:
        """Look at once at the watched order an update names; others' updates are ignored."""
        for cause in list(self.working.values()):
            if order_tag(order_id_for(cause)) == update.tag:
                await self._look_again(cause, (update.status, update.filled_quantity), "update")
                return

    async def _look_again(
        self, cause: EventEnvelope, now: tuple[str, int] | None, trigger: str
    ) -> bool:
        """Refresh a watched order unless its status and filled quantity are as last seen;
        return False if the refresh failed (the next poll looks again)."""
        if cause.id in self._progress and self._progress[cause.id] == now:
            return True
        self._progress[cause.id] = now
        if not await self._guarded(self._refresh(cause)):
            self._progress.pop(cause.id, None)
            return False
        ORDER_READS.labels(self.service_name, trigger).inc()
        return True

    async def _guarded(self, step: Awaitable[None]) -> bool:
        """Run a poll step; halt on a fatal error, log any other and let the next round retry."""
        try:
            await step
        except FatalError as error:
            self.failure = str(error)
            log.error("%s halted while watching orders: %s", self.service_name, error)
            self.stop()
            return False
        except Exception as error:  # the next round tries again
            log.warning("working orders not refreshed: %r", error)
            return False
        return True

    async def _refresh(self, cause: EventEnvelope) -> None:
        assert isinstance(cause.data, ValidatedSignal)
        order_id = order_id_for(cause)
        results = await self.live_trader.follow(cause.data, order_id)
        if results is None:
            log.error("order %s of signal %s is not in Kite's order book", order_id, cause.id)
            results = []
        signal = cause.data.signal
        key = f"{signal.strategy_id}:{signal.instrument_token}"  # as the engine keys orders
        outgoing = [self._outgoing(result, key) for result in results]
        for index, item in enumerate(outgoing):
            await self._emit_event(item, cause=cause, index=index)
        await self.flush()
        self._follow(cause, outgoing)

    def _follow(self, cause: EventEnvelope, outgoing: Sequence[Outgoing]) -> None:
        working = bool(outgoing) and still_working([item.data for item in outgoing])
        if working != (cause.id in self.working):
            if working:
                self.working[cause.id] = cause
            else:
                del self.working[cause.id]
                self._progress.pop(cause.id, None)
            self._changed = True
