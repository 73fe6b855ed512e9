"""The live trading engine: also follows orders left working at the exchange until they end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alpha_panda.adapters.postgres.state import state_writer
from alpha_panda.core.events import EventEnvelope, decode, encode
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import FatalError, Outgoing
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter
from alpha_panda.domain.orders import OrderFailed, OrderFilled
from alpha_panda.domain.signals import ValidatedSignal
from alpha_panda.trading_engine.service import Trader, TradingEngine

log = logging.getLogger(__name__)
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class OrderWatchConfig:
    """How often orders still working at the exchange are looked at again."""

    poll_seconds: float = 1.0


def still_working(results: Sequence[object]) -> bool:
    """Tell whether an order's events leave part of it working: no failure, not fully filled."""
    if any(isinstance(result, OrderFailed) for result in results):
        return False
    fills = [result for result in results if isinstance(result, OrderFilled)]
    return not fills or fills[-1].remaining_quantity > 0


class LiveTradingEngine(TradingEngine):
    """A trading engine that polls the broker for orders its trader left working.

    A validated signal whose order is still open is remembered with its envelope. Each poll
    handles that envelope again — the trader finds the order by its tag and reports all of it
    — and emits the events with the signal as their cause: those already published carry the
    same derived ids and are dropped downstream, so only new fills and a final failure count.
    The watched signals are saved with every batch, so a restarted engine keeps watching.
    """

    def __init__(
        self,
        settings: Settings,
        ledger: ProcessedLedger,
        trader: Trader,
        config: OrderWatchConfig | None = None,
    ) -> None:
        super().__init__(settings, ledger, trader)
        self.watch = config or OrderWatchConfig()
        self.working: dict[uuid.UUID, EventEnvelope] = {}
        self._changed = False

    def restore(self, snapshot: dict[str, Any] | None) -> None:
        """Resume watching the orders a previous run left working."""
        if snapshot and snapshot.get("version") == SNAPSHOT_VERSION:
            causes = (decode(raw.encode()) for raw in snapshot["working"])
            self.working = {cause.id: cause for cause in causes}

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
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
        while True:
            await asyncio.sleep(self.watch.poll_seconds)
            for cause in list(self.working.values()):
                if self.failure:
                    return
                await self._refresh(cause)

    async def _refresh(self, cause: EventEnvelope) -> None:
        try:
            outgoing = await super().handle(cause)
        except FatalError as error:
            self.failure = str(error)
            log.error("%s halted while watching orders: %s", self.service_name, error)
            self.stop()
            return
        except Exception as error:  # the next poll tries again
            log.warning("working order of signal %s not refreshed: %r", cause.id, error)
            return
        for index, item in enumerate(outgoing):
            await self._emit_event(item, cause=cause, index=index)
        await self.flush()
        self._follow(cause, outgoing)

    def _follow(self, cause: EventEnvelope, outgoing: Sequence[Outgoing]) -> None:
        working = still_working([item.data for item in outgoing])
        if working != (cause.id in self.working):
            if working:
                self.working[cause.id] = cause
            else:
                del self.working[cause.id]
            self._changed = True
