"""Trade on Zerodha through the official Kite Connect client: one order per validated signal."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors
from pydantic import Field

from alpha_panda.adapters.kite.backoff import backoff_delay
from alpha_panda.adapters.kite.client import KiteUnavailableError, PacedKite, paced_kite
from alpha_panda.adapters.kite.orders import failure, fills, kite_instant
from alpha_panda.adapters.kite.pacing import DailyOrderCapReachedError
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import FatalError
from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.execution.paper import OrderEvent
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.signals import Signal, ValidatedSignal
from alpha_panda.domain.values import Frozen, OrderType, ist_date

PROTECTED = (OrderType.MARKET, OrderType.SL_M)
REFUSALS = (
    kite_errors.InputException,
    kite_errors.OrderException,
    kite_errors.PermissionException,
    DailyOrderCapReachedError,
)
"""What Kite or the pacer answers for an order that was certainly not placed."""
log = logging.getLogger(__name__)
Result = TypeVar("Result")


class OrderOutcomeUnknownError(FatalError):
    """Kite stayed unreachable while the engine needed to know whether it holds an order.

    Halting is the safe answer: the signal is neither failed nor dead-lettered, and is handled
    again (looked up first) once the engine runs again.
    """


class OrderNotPlacedError(Exception):
    """Kite refused an order, or its book shows none of the attempts was taken: the reason."""


class ZerodhaTraderConfig(Frozen):
    """How live orders are placed, looked up when Kite's answer is lost, and charged."""

    product: Product = Product.INTRADAY
    market_protection: Decimal = Field(
        default=Decimal(-1),
        description="Sent with MARKET and SL-M orders: -1 lets Kite choose, else a percentage.",
    )
    charges: ChargeSchedule = ChargeSchedule()
    placement_attempts: int = Field(
        default=3, ge=1, description="Placements tried while the book shows none was taken."
    )
    settle_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Wait after a placement without an answer before looking its tag up, so a "
        "request still in flight reaches the book first.",
    )
    lookup_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long to keep asking an unreachable Kite before halting the engine.",
    )
    backoff_initial_seconds: float = Field(default=0.25, gt=0)
    backoff_maximum_seconds: float = Field(default=8.0, gt=0)


class ZerodhaTrader:
    """Place a validated signal's order on Kite and report what became of it.

    The order tag derives from the order id, itself derived from the validated signal's event
    id, and the day's order book is searched for it before placing: a redelivered signal finds
    its order instead of placing a second one. A placement Kite gives no usable answer to (a
    429, a 5xx, a timeout, a dropped connection) may still have been executed, so its tag is
    looked up again before anything else: an order found is adopted and reported once; only
    an order the book is known not to hold is placed again, and failed after the configured
    attempts. While handling a signal every read is repeated with backoff until Kite answers;
    a Kite that stays unreachable halts the engine (`OrderOutcomeUnknownError`) instead of
    dead-lettering a signal whose order may exist. Requests are paced under Kite's limits.
    The trader keeps no order state; only the instruments dump, needed when a signal carries
    no tradingsymbol, is kept once loaded.
    """

    def __init__(
        self, kite: KiteConnect | PacedKite, config: ZerodhaTraderConfig | None = None
    ) -> None:
        self._kite = kite if isinstance(kite, PacedKite) else PacedKite(kite)
        self.config = config or ZerodhaTraderConfig()
        self._symbols: dict[str, dict[int, str]] = {}

    async def execute(
        self, validated: ValidatedSignal, tick: Tick | None, order_id: str
    ) -> list[OrderEvent]:
        """Return OrderPlaced, then a fill per Kite trade and the failure of any unfilled rest.

        An order still working at the exchange returns its fills so far; handling the same
        signal again later reports the rest. Input and order errors fail the order with
        Kite's message.
        """
        signal = validated.signal
        tag = order_tag(order_id)
        order = await self._persist(lambda: self._tagged(tag))
        if order is not None:
            return await self._persist(lambda: self._report(signal, order_id, order["order_id"]))
        symbol = signal.tradingsymbol or await self._tradingsymbol(signal)
        placed = self._placed(signal, order_id, symbol, signal.generated_at)
        if tick is not None and ist_date(tick.exchange_timestamp) != ist_date(signal.generated_at):
            reason = "signal from an earlier trading day; Kite's order book is today's only"
            return [placed, placed.failure(signal.quantity, reason, tick.exchange_timestamp)]
        if not symbol:
            reason = f"instrument {signal.instrument_token} is not listed on {signal.exchange}"
            return [placed, placed.failure(signal.quantity, reason, signal.generated_at)]
        try:
            kite_order_id = await self._place(self._request(signal, symbol, tag))
        except OrderNotPlacedError as refused:
            return [placed, placed.failure(signal.quantity, str(refused), signal.generated_at)]
        return await self._persist(lambda: self._report(signal, order_id, kite_order_id))

    async def follow(self, validated: ValidatedSignal, order_id: str) -> list[OrderEvent] | None:
        """Return the events of an order already placed, or None if Kite's book lacks it."""
        order = await self._tagged(order_tag(order_id))
        if order is None:
            return None
        return await self._report(validated.signal, order_id, order["order_id"])

    async def progress(self) -> dict[str, tuple[str, int]]:
        """Return the status and filled quantity of every tagged order of the day, by tag."""
        orders = await self._kite.call("orders")
        return {o["tag"]: (o["status"], int(o["filled_quantity"])) for o in orders if o.get("tag")}

    async def _place(self, request: dict[str, Any]) -> str:
        """Place an order and return Kite's order id; raise `OrderNotPlacedError` if refused.

        After a placement without a usable answer the tag is looked up: an order found is
        the placement's (its id is returned); an order absent is placed again, and after the
        last attempt the order is known not to have been placed.
        """
        tag = request["tag"]
        lost: list[str] = []
        for attempt in range(self.config.placement_attempts):
            try:
                return str(await self._kite.call("place_order", **request))
            except REFUSALS as error:
                raise OrderNotPlacedError(str(error)) from error
            except KiteUnavailableError as error:
                lost.append(str(error))
                log.warning("order %s got no usable answer, looking it up: %s", tag, error)
            await asyncio.sleep(self.config.settle_seconds)
            order = await self._persist(lambda: self._tagged(tag))
            if order is not None:
                return str(order["order_id"])
            if attempt + 1 < self.config.placement_attempts:
                await asyncio.sleep(self._backoff(attempt))
        raise OrderNotPlacedError(
            f"Kite gave no usable answer to {len(lost)} placement(s) ({lost[-1]}) and its "
            f"order book holds no order tagged {tag}"
        )

    async def _persist(self, read: Callable[[], Awaitable[Result]]) -> Result:
        """Repeat a read while Kite gives no usable answer; halt once `lookup_seconds` pass."""
        deadline = time.monotonic() + self.config.lookup_seconds
        attempt = 0
        while True:
            try:
                return await read()
            except KiteUnavailableError as error:
                pause = self._backoff(attempt)
                if time.monotonic() + pause > deadline:
                    raise OrderOutcomeUnknownError(
                        f"Kite unreachable for {self.config.lookup_seconds:g} s while an "
                        f"order's state was needed: {error}"
                    ) from error
                attempt += 1
                await asyncio.sleep(pause)

    def _backoff(self, attempt: int) -> float:
        config = self.config
        return backoff_delay(
            attempt, config.backoff_initial_seconds, config.backoff_maximum_seconds, random.random()
        )

    async def _report(self, signal: Signal, order_id: str, kite_order_id: str) -> list[OrderEvent]:
        state = (await self._kite.call("order_history", kite_order_id))[-1]
        trades = await self._kite.call("order_trades", kite_order_id)
        placed_at = kite_instant(state.get("order_timestamp"), signal.generated_at)
        placed = self._placed(signal, order_id, state["tradingsymbol"], placed_at)
        events: list[OrderEvent] = [placed]
        events.extend(fills(placed, trades, self.config.charges, self.config.product))
        rest = failure(placed, state, sum(int(trade["quantity"]) for trade in trades))
        if rest is not None:
            events.append(rest)
        return events

    async def _tagged(self, tag: str) -> dict[str, Any] | None:
        orders = await self._kite.call("orders")
        return next((order for order in orders if order.get("tag") == tag), None)

    async def _tradingsymbol(self, signal: Signal) -> str:
        exchange = signal.exchange
        if exchange not in self._symbols:
            listed = await self._kite.call("instruments", exchange)
            self._symbols[exchange] = {
                int(row["instrument_token"]): row["tradingsymbol"] for row in listed
            }
        return self._symbols[exchange].get(signal.instrument_token, "")

    def _request(self, signal: Signal, symbol: str, tag: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "variety": KiteConnect.VARIETY_REGULAR,
            "exchange": signal.exchange,
            "tradingsymbol": symbol,
            "transaction_type": signal.side.value,
            "quantity": signal.quantity,
            "product": self.config.product.value,
            "order_type": signal.order_type.value,
            "tag": tag,
        }
        if signal.order_type in PROTECTED:
            request["market_protection"] = self.config.market_protection
        if signal.limit_price is not None and signal.order_type in (OrderType.LIMIT, OrderType.SL):
            request["price"] = signal.limit_price
        return request

    @staticmethod
    def _placed(signal: Signal, order_id: str, symbol: str, placed_at: datetime) -> OrderPlaced:
        return OrderPlaced(
            order_id=order_id,
            strategy_id=signal.strategy_id,
            instrument_token=signal.instrument_token,
            tradingsymbol=symbol,
            side=signal.side,
            quantity=signal.quantity,
            order_type=signal.order_type,
            limit_price=signal.limit_price,
            tag=order_tag(order_id),
            placed_at=placed_at,
        )


def zerodha_trader(settings: Settings, kite: PacedKite | None = None) -> ZerodhaTrader:
    """Return the trader of the zerodha namespace, on `kite` or the configured Kite session."""
    return ZerodhaTrader(kite or paced_kite(settings))
