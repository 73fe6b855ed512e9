"""Trade on Zerodha through the official Kite Connect client: one order per validated signal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors
from pydantic import Field

from alpha_panda.adapters.kite.client import call_kite, kite_client
from alpha_panda.adapters.kite.orders import failure, fills, kite_instant
from alpha_panda.core.settings import Settings
from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.execution.paper import OrderEvent
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderPlaced
from alpha_panda.domain.signals import Signal, ValidatedSignal
from alpha_panda.domain.values import Frozen, OrderType, ist_date

PROTECTED = (OrderType.MARKET, OrderType.SL_M)


class ZerodhaTraderConfig(Frozen):
    """How live orders are placed and what they are charged."""

    product: Product = Product.INTRADAY
    market_protection: Decimal = Field(
        default=Decimal(-1),
        description="Sent with MARKET and SL-M orders: -1 lets Kite choose, else a percentage.",
    )
    charges: ChargeSchedule = ChargeSchedule()


class ZerodhaTrader:
    """Place a validated signal's order on Kite and report what became of it.

    The order tag derives from the order id, itself derived from the validated signal's event
    id, and the day's order book is searched for it before placing: a redelivered signal finds
    its order instead of placing a second one. The trader keeps no order state; only the
    instruments dump, needed when a signal carries no tradingsymbol, is kept once loaded.
    """

    def __init__(self, kite: KiteConnect, config: ZerodhaTraderConfig | None = None) -> None:
        self._kite = kite
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
        order = await self._tagged(tag)
        if order is not None:
            return await self._report(signal, order_id, order["order_id"])
        symbol = signal.tradingsymbol or await self._tradingsymbol(signal)
        placed = self._placed(signal, order_id, symbol, signal.generated_at)
        if tick is not None and ist_date(tick.exchange_timestamp) != ist_date(signal.generated_at):
            reason = "signal from an earlier trading day; Kite's order book is today's only"
            return [placed, placed.failure(signal.quantity, reason, tick.exchange_timestamp)]
        if not symbol:
            reason = f"instrument {signal.instrument_token} is not listed on {signal.exchange}"
            return [placed, placed.failure(signal.quantity, reason, signal.generated_at)]
        try:
            kite_order_id = await call_kite(
                self._kite.place_order, **self._request(signal, symbol, tag)
            )
        except (kite_errors.InputException, kite_errors.OrderException) as error:
            return [placed, placed.failure(signal.quantity, str(error), signal.generated_at)]
        return await self._report(signal, order_id, kite_order_id)

    async def follow(self, validated: ValidatedSignal, order_id: str) -> list[OrderEvent] | None:
        """Return the events of an order already placed, or None if Kite's book lacks it."""
        order = await self._tagged(order_tag(order_id))
        if order is None:
            return None
        return await self._report(validated.signal, order_id, order["order_id"])

    async def progress(self) -> dict[str, tuple[str, int]]:
        """Return the status and filled quantity of every tagged order of the day, by tag."""
        orders = await call_kite(self._kite.orders)
        return {o["tag"]: (o["status"], int(o["filled_quantity"])) for o in orders if o.get("tag")}

    async def _report(self, signal: Signal, order_id: str, kite_order_id: str) -> list[OrderEvent]:
        state = (await call_kite(self._kite.order_history, kite_order_id))[-1]
        trades = await call_kite(self._kite.order_trades, kite_order_id)
        placed_at = kite_instant(state.get("order_timestamp"), signal.generated_at)
        placed = self._placed(signal, order_id, state["tradingsymbol"], placed_at)
        events: list[OrderEvent] = [placed]
        events.extend(fills(placed, trades, self.config.charges, self.config.product))
        rest = failure(placed, state, sum(int(trade["quantity"]) for trade in trades))
        if rest is not None:
            events.append(rest)
        return events

    async def _tagged(self, tag: str) -> dict[str, Any] | None:
        orders = await call_kite(self._kite.orders)
        return next((order for order in orders if order.get("tag") == tag), None)

    async def _tradingsymbol(self, signal: Signal) -> str:
        exchange = signal.exchange
        if exchange not in self._symbols:
            listed = await call_kite(self._kite.instruments, exchange)
            self._symbols[exchange] = {
                int(row["instrument_token"]): row["tradingsymbol"] for row in listed
            }
        return self._symbols[exchange].get(signal.instrument_token, "")

    def _request(self, signal: Signal, symbol: str, tag: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "variety": self._kite.VARIETY_REGULAR,
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


def zerodha_trader(settings: Settings) -> ZerodhaTrader:
    """Return the trader of the zerodha namespace, on the configured Kite session."""
    return ZerodhaTrader(kite_client(settings))
