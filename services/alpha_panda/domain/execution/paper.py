"""A stateless paper trader: executes validated signals against the latest market data."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pydantic import Field

from alpha_panda.domain.execution.charges import ChargeSchedule, Product
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.signals import Signal, ValidatedSignal
from alpha_panda.domain.values import Frozen, OrderType, Side

OrderEvent = OrderPlaced | OrderFilled | OrderFailed
ZERO = Decimal(0)
BASIS_POINTS = Decimal(10_000)


class PaperTraderConfig(Frozen):
    """How paper orders meet the market: slippage, latency, partial fills, product, charges."""

    slippage_bps: Decimal = Field(default=ZERO, ge=0, description="Adverse move per fill.")
    latency_ms: int = Field(default=0, ge=0, description="Exchange time from tick to fill.")
    allow_partial_fills: bool = True
    product: Product = Product.INTRADAY
    tick_size: Decimal = Field(default=Decimal("0.05"), gt=0)
    charges: ChargeSchedule = ChargeSchedule()


class PaperTrader:
    """Fill orders from market data, never from the signal's own price.

    The market is the one the risk decision saw (`ValidatedSignal.market`) when the signal
    carries it, and the tick the caller holds otherwise; so the same validated signal always
    gives the same fill ids, prices and quantities, however late or often it is executed.

    A MARKET order walks the opposite side of the depth when the tick carries depth, one fill
    per level (an empty side means no liquidity: the order fails), and otherwise fills at the
    last price; a LIMIT order takes only levels at or
    better than its limit. Slippage moves each price against the order, rounded outward to the
    tick size and never past the limit. Unfilled quantity is cancelled (reported as an
    OrderFailed for the remainder) when partial fills are allowed; otherwise an order the
    depth cannot fill entirely fails whole. Charges are computed on the order's cumulative
    turnover and each fill carries the increment, so the brokerage cap applies per order.
    """

    def __init__(self, config: PaperTraderConfig) -> None:
        self.config = config
        self._latency = timedelta(milliseconds=config.latency_ms)
        self._slippage = config.slippage_bps / BASIS_POINTS

    def execute(
        self, validated: ValidatedSignal, tick: Tick | None, order_id: str
    ) -> list[OrderEvent]:
        """Return OrderPlaced followed by the fills, or by an OrderFailed, of one order.

        `tick` is used only when the validated signal carries no market of its own.
        """
        signal = validated.signal
        if validated.market is not None:
            tick = validated.market
        placed = OrderPlaced(
            order_id=order_id,
            strategy_id=signal.strategy_id,
            instrument_token=signal.instrument_token,
            tradingsymbol=signal.tradingsymbol,
            side=signal.side,
            quantity=signal.quantity,
            order_type=signal.order_type,
            limit_price=signal.limit_price,
            tag=order_tag(order_id),
            placed_at=signal.generated_at,
        )
        if signal.order_type in (OrderType.SL, OrderType.SL_M):
            return [placed, self._failed(placed, signal.quantity, "stop orders are not simulated")]
        if tick is None or tick.instrument_token != signal.instrument_token:
            return [placed, self._failed(placed, signal.quantity, "no market data")]
        if signal.order_type is OrderType.LIMIT and signal.limit_price is None:
            return [placed, self._failed(placed, signal.quantity, "limit order without price")]
        limit = signal.limit_price if signal.order_type is OrderType.LIMIT else None
        matches = self._match(signal, tick, limit)
        filled = sum(quantity for quantity, _ in matches)
        if not matches:
            if limit is None:
                reason = f"no {'sellers' if signal.side is Side.BUY else 'buyers'} in the depth"
            else:
                touch = _touch(tick, signal.side)
                reason = f"limit {limit} does not cross the market at {touch}"
            return [placed, self._failed(placed, signal.quantity, reason)]
        if filled < signal.quantity and not self.config.allow_partial_fills:
            reason = f"depth holds {filled} of {signal.quantity} and partial fills are off"
            return [placed, self._failed(placed, signal.quantity, reason)]
        events: list[OrderEvent] = [placed]
        events.extend(self._fills(placed, signal, tick, matches, limit))
        if filled < signal.quantity:
            remainder = signal.quantity - filled
            reason = f"depth exhausted: {remainder} unfilled and cancelled"
            events.append(self._failed(placed, remainder, reason, tick))
        return events

    def _match(
        self, signal: Signal, tick: Tick, limit: Decimal | None
    ) -> list[tuple[int, Decimal]]:
        buying = signal.side is Side.BUY
        levels = tick.asks if buying else tick.bids
        book = [(price, quantity) for price, quantity, _ in levels if quantity > 0]
        if not book and not (tick.bids or tick.asks):
            book = [(tick.last_price, signal.quantity)]
        matches: list[tuple[int, Decimal]] = []
        remaining = signal.quantity
        for price, available in book:
            if limit is not None and (price > limit if buying else price < limit):
                break
            taken = min(remaining, available)
            matches.append((taken, price))
            remaining -= taken
            if not remaining:
                break
        return matches

    def _fills(
        self,
        placed: OrderPlaced,
        signal: Signal,
        tick: Tick,
        matches: list[tuple[int, Decimal]],
        limit: Decimal | None,
    ) -> list[OrderFilled]:
        schedule, product = self.config.charges, self.config.product
        filled_at = max(tick.exchange_timestamp, signal.generated_at) + self._latency
        turnover = ZERO
        charged = ZERO
        cumulative = 0
        fills = []
        for number, (quantity, market_price) in enumerate(matches, start=1):
            price = self._slipped(market_price, signal.side, limit)
            turnover += quantity * price
            cumulative += quantity
            total = schedule.charges(signal.side, turnover, product).total
            fills.append(
                OrderFilled(
                    order_id=placed.order_id,
                    fill_id=f"{placed.order_id}:{number}",
                    strategy_id=signal.strategy_id,
                    instrument_token=signal.instrument_token,
                    tradingsymbol=signal.tradingsymbol,
                    side=signal.side,
                    quantity=quantity,
                    price=price,
                    charges=total - charged,
                    remaining_quantity=signal.quantity - cumulative,
                    filled_at=filled_at,
                )
            )
            charged = total
        return fills

    def _slipped(self, price: Decimal, side: Side, limit: Decimal | None) -> Decimal:
        if not self._slippage:
            return price
        tick_size = self.config.tick_size
        moved = price * (1 + side.sign * self._slippage) / tick_size
        rounding = ROUND_CEILING if side is Side.BUY else ROUND_FLOOR
        slipped = moved.to_integral_value(rounding) * tick_size
        if limit is not None:
            slipped = min(slipped, limit) if side is Side.BUY else max(slipped, limit)
        return slipped

    def _failed(
        self, placed: OrderPlaced, quantity: int, reason: str, tick: Tick | None = None
    ) -> OrderFailed:
        if tick is None:
            return placed.failure(quantity, reason, placed.placed_at)
        failed_at = max(tick.exchange_timestamp, placed.placed_at) + self._latency
        return placed.failure(quantity, reason, failed_at)


def _touch(tick: Tick, side: Side) -> Decimal:
    levels = tick.asks if side is Side.BUY else tick.bids
    if not levels:
        return tick.last_price
    best_price, _quantity, _orders = levels[0]
    return best_price
