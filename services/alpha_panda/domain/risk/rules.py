"""The pre-trade rules: each judges a proposed order against the state and the limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from alpha_panda.domain.risk.limits import RiskEngineConfig, RiskLimits
from alpha_panda.domain.risk.state import RiskState
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.values import IST, OrderType

ZERO = Decimal(0)

UNKNOWN_STRATEGY = "unknown_strategy"
STALE_SIGNAL = "stale_signal"
KILL_SWITCH = "kill_switch"
NAMESPACE_DAILY_LOSS = "namespace_max_daily_loss"
DAILY_LOSS = "max_daily_loss"
MARKET_HOURS = "market_hours"
PRICE_BAND = "price_band"
ORDERS_PER_DAY = "max_orders_per_day"
POSITION_QUANTITY = "max_position_quantity"
POSITION_NOTIONAL = "max_position_notional"
STRATEGY_QUANTITY = "max_strategy_quantity"
STRATEGY_NOTIONAL = "max_strategy_notional"
RATE_LIMIT = "order_rate"


class Proposal:
    """A signal being judged, with its strategy's limits and its effect on the holding.

    `held` counts the orders in flight on the signal's side as if they were filled: the
    holding in the signal's direction, were everything asked for so far to fill, before
    (`held`) and after (`projected`) this signal. Orders in flight on the other side are
    left out, as they may still fail. A signal `reduces` when it moves that holding toward
    zero without crossing it, so a strategy can always get out.
    """

    __slots__ = ("held", "limits", "price", "projected", "reduces", "signal")

    def __init__(self, signal: Signal, limits: RiskLimits, state: RiskState) -> None:
        strategy_id, token, side = signal.strategy_id, signal.instrument_token, signal.side
        held = state.position(strategy_id, token)
        held += side.sign * state.in_flight.quantity(strategy_id, token, side)
        projected = held + side.sign * signal.quantity
        self.signal = signal
        self.limits = limits
        self.price = order_price(signal)
        self.held = held
        self.projected = projected
        self.reduces = abs(projected) < abs(held) and projected * held >= 0


Rule = Callable[[RiskState, RiskEngineConfig, Proposal], str | None]


def order_price(signal: Signal) -> Decimal:
    """Return the price a signal's order is expected to trade at."""
    if signal.order_type in (OrderType.LIMIT, OrderType.SL) and signal.limit_price:
        return signal.limit_price
    return signal.reference_price


def kill_switch(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse every signal of a halted namespace or of a halted or paused strategy."""
    if state.namespace_halt is not None:
        return f"namespace halted: {state.namespace_halt}"
    reason = state.halted_strategies.get(proposal.signal.strategy_id)
    return None if reason is None else f"strategy halted: {reason}"


def namespace_daily_loss(
    state: RiskState, config: RiskEngineConfig, proposal: Proposal
) -> str | None:
    """Refuse new exposure once the namespace's daily P&L, orders in flight marked to the
    last price included, reaches its loss limit; the halt lasts the rest of the day."""
    ceiling = config.namespace_max_daily_loss
    if ceiling is None or proposal.reduces:
        return None
    pnl = state.namespace_daily_pnl() + state.in_flight.unrealized_pnl(None, state.last_prices)
    if state.namespace_loss_halted or pnl <= -ceiling:
        state.namespace_loss_halted = True
        return f"namespace daily P&L {pnl} breached the loss limit {ceiling}"
    return None


def daily_loss(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse new exposure once a strategy's daily P&L, its orders in flight marked to the
    last price included, reaches its loss limit; the halt lasts the rest of the day."""
    ceiling = proposal.limits.max_daily_loss
    if ceiling is None or proposal.reduces:
        return None
    strategy_id = proposal.signal.strategy_id
    pnl = state.daily_pnl(strategy_id)
    pnl += state.in_flight.unrealized_pnl(strategy_id, state.last_prices)
    if strategy_id in state.loss_halted or pnl <= -ceiling:
        state.loss_halted.add(strategy_id)
        return f"daily P&L {pnl} breached the loss limit {ceiling}"
    return None


def market_hours(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse a signal stamped outside the trading session."""
    hours = proposal.limits.market_hours
    stamp = proposal.signal.generated_at
    if hours is None or hours.contains(stamp):
        return None
    local = stamp.astimezone(IST)
    return f"{local:%a %Y-%m-%d %H:%M:%S} IST is outside {hours.open}-{hours.close} IST"


def price_band(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse an order price too far from the last traded price, or with none to compare."""
    band = proposal.limits.price_band_percent
    if band is None:
        return None
    last = state.last_prices.get(proposal.signal.instrument_token)
    if last is None:
        return "no last traded price to check the band against"
    price = proposal.price
    if abs(price - last) * 100 > band * last:
        return f"price {price} is more than {band}% away from last price {last}"
    return None


def orders_per_day(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse a strategy's order beyond its daily count (every validated order counts)."""
    ceiling = proposal.limits.max_orders_per_day
    count = state.orders_today.get(proposal.signal.strategy_id, 0)
    if ceiling is None or count < ceiling:
        return None
    return f"{count} orders today reached the limit of {ceiling}"


def position_quantity(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse a holding in one instrument, orders in flight included, above the limit."""
    if proposal.reduces:
        return None
    quantity = abs(proposal.projected)
    return _above(proposal.limits.max_position_quantity, quantity, "position")


def position_notional(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse a holding's value in one instrument, orders in flight included, above the limit."""
    if proposal.reduces:
        return None
    notional = abs(proposal.projected) * proposal.price
    return _above(proposal.limits.max_position_notional, notional, "position value")


def strategy_quantity(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse a strategy's gross holding across instruments above the limit."""
    if proposal.reduces:
        return None
    others = sum(quantity for _, quantity, _ in _other_holdings(state, proposal.signal))
    total = abs(proposal.projected) + others
    return _above(proposal.limits.max_strategy_quantity, total, "strategy quantity")


def strategy_notional(state: RiskState, config: RiskEngineConfig, proposal: Proposal) -> str | None:
    """Refuse a strategy's gross exposure across instruments above the limit."""
    if proposal.reduces:
        return None
    others = sum(
        (quantity * price for _, quantity, price in _other_holdings(state, proposal.signal)),
        ZERO,
    )
    total = abs(proposal.projected) * proposal.price + others
    return _above(proposal.limits.max_strategy_notional, total, "strategy exposure")


def _above(ceiling: int | Decimal | None, amount: int | Decimal, what: str) -> str | None:
    if ceiling is None or amount <= ceiling:
        return None
    return f"{what} {amount} (orders in flight included) would exceed {ceiling}"


RULES: tuple[tuple[str, Rule], ...] = (
    (KILL_SWITCH, kill_switch),
    (NAMESPACE_DAILY_LOSS, namespace_daily_loss),
    (DAILY_LOSS, daily_loss),
    (MARKET_HOURS, market_hours),
    (PRICE_BAND, price_band),
    (ORDERS_PER_DAY, orders_per_day),
    (POSITION_QUANTITY, position_quantity),
    (POSITION_NOTIONAL, position_notional),
    (STRATEGY_QUANTITY, strategy_quantity),
    (STRATEGY_NOTIONAL, strategy_notional),
)
"""Every limit rule in the order it runs; the first that fires names the rejection."""


def active_rules(limits: RiskLimits, config: RiskEngineConfig) -> tuple[tuple[str, Rule], ...]:
    """Return the rules that can fire under these limits (an inactive rule never fires)."""
    return tuple(entry for entry in RULES if _is_active(entry[0], limits, config))


def _is_active(rule: str, limits: RiskLimits, config: RiskEngineConfig) -> bool:
    if rule == KILL_SWITCH:
        return True
    if rule == NAMESPACE_DAILY_LOSS:
        return config.namespace_max_daily_loss is not None
    if rule == MARKET_HOURS:
        return limits.market_hours is not None
    value: object = getattr(limits, "price_band_percent" if rule == PRICE_BAND else rule)
    return value is not None


def _other_holdings(state: RiskState, signal: Signal) -> Iterator[tuple[int, int, Decimal]]:
    """Yield (token, quantity, price) of the strategy's other instruments: the larger of the
    long and the short holding it could reach were its orders in flight filled, priced at
    the last price (else the position's mark, else the price of an order in flight)."""
    strategy_id, excluded = signal.strategy_id, signal.instrument_token
    holdings = {
        token: (quantity, mark) for token, quantity, mark in state.book.holdings(strategy_id)
    }
    flights = {
        token: (bought, sold, price)
        for token, bought, sold, price in state.in_flight.instruments(strategy_id)
    }
    for token in sorted(holdings.keys() | flights.keys()):
        if token == excluded:
            continue
        held, mark = holdings.get(token, (0, None))
        bought, sold, in_flight_price = flights.get(token, (0, 0, None))
        quantity = max(abs(held + bought), abs(held - sold))
        price = state.last_prices.get(token, mark if mark is not None else in_flight_price)
        if quantity and price is not None:
            yield token, quantity, price
