import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha_panda.core.events import (
    EventDecodeError,
    EventEnvelope,
    EventType,
    decode,
    encode,
    new_envelope,
)
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import BrokerOrderUpdate, OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.signals import RejectedSignal, Signal, ValidatedSignal
from alpha_panda.domain.strategies.config import StrategyConfig, StrategyDefined, StrategyRemoved
from alpha_panda.domain.values import Namespace, OrderType, Side

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2)
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets
)


def envelope(event_type: EventType, data: object) -> EventEnvelope:
    return new_envelope(
        event_type,
        source="test",
        namespace="paper",
        key="k",
        correlation_id=uuid.uuid4(),
        causation_id=uuid.uuid4(),
        data=data,
    )


@given(
    token=st.integers(min_value=1, max_value=2**32 - 1),
    at=instants,
    price=prices,
    depth=st.lists(st.tuples(prices, st.integers(0, 10**6), st.integers(0, 500)), max_size=5),
)
def test_tick_envelope_round_trips_exactly(token, at, price, depth):
    tick = Tick(instrument_token=token, exchange_timestamp=at, last_price=price, bids=tuple(depth))
    original = envelope(EventType.MARKET_TICK, tick)

    restored = decode(encode(original))

    assert restored == original
    assert encode(original) == original.model_dump_json().encode()
    assert restored.data.last_price == price and str(restored.data.last_price) == str(price)
    assert restored.data.exchange_timestamp == at
    assert restored.data.exchange_timestamp.utcoffset() == timedelta(0)


@given(at=instants, price=prices, quantity=st.integers(1, 10**6))
def test_nested_validated_signal_round_trips(at, price, quantity):
    signal = Signal(
        strategy_id="momentum-1",
        instrument_token=738561,
        side=Side.SELL,
        quantity=quantity,
        order_type=OrderType.LIMIT,
        limit_price=price,
        reference_price=price,
        generated_at=at,
    )
    original = envelope(
        EventType.SIGNAL_VALIDATED, ValidatedSignal(signal=signal, checks_passed=("a",))
    )

    restored = decode(encode(original))

    assert restored == original
    assert encode(original) == original.model_dump_json().encode()
    assert restored.data.signal.strategy_id == "momentum-1"


@given(text=st.text(max_size=20), at=instants, price=prices, quantity=st.integers(1, 10**6))
def test_every_event_type_encodes_as_pydantic_would(text, at, price, quantity):
    signal = Signal(
        strategy_id=text or "s",
        instrument_token=1,
        side=Side.BUY,
        quantity=quantity,
        reference_price=price,
        generated_at=at,
        reason=text,
    )
    order = {"order_id": text, "strategy_id": text, "instrument_token": 1, "side": Side.SELL}
    payloads = {
        EventType.SIGNAL_RAW: signal,
        EventType.SIGNAL_REJECTED: RejectedSignal(signal=signal, rule=text, reason=text),
        EventType.ORDER_PLACED: OrderPlaced(
            **order,
            quantity=quantity,
            order_type=OrderType.SL,
            limit_price=price,
            tag=text,
            placed_at=at,
        ),
        EventType.ORDER_FILLED: OrderFilled(
            **order, fill_id=text, quantity=quantity, price=price, charges=price, filled_at=at
        ),
        EventType.ORDER_FAILED: OrderFailed(**order, quantity=quantity, reason=text, failed_at=at),
        EventType.ORDER_UPDATE: BrokerOrderUpdate(
            broker_order_id=text or "1",
            tag=text or None,
            status="OPEN",
            filled_quantity=quantity,
            updated_at=at,
        ),
        EventType.CONTROL_COMMAND: ControlCommand(
            action=ControlAction.HALT, strategy_id=text or None, reason=text, issued_at=at
        ),
        EventType.STRATEGY_DEFINED: StrategyDefined(
            config=StrategyConfig(
                strategy_id="s1",
                namespace=Namespace.PAPER,
                strategy_type="momentum",
                instruments=(1, quantity),
                parameters={"note": text, "quantity": quantity},
                risk_limits=RiskLimits(max_position_notional=price or None),
            ),
            generation=quantity,
            defined_at=at,
        ),
        EventType.STRATEGY_REMOVED: StrategyRemoved(
            strategy_id=text or "s", namespace=Namespace.ZERODHA, generation=quantity, removed_at=at
        ),
    }
    assert set(payloads) == set(EventType) - {EventType.MARKET_TICK, EventType.SIGNAL_VALIDATED}
    for event_type, data in payloads.items():
        original = envelope(event_type, data)
        assert encode(original) == original.model_dump_json().encode()
        assert decode(encode(original)) == original


def test_money_travels_as_string_not_float():
    fill = OrderFilled(
        order_id="o",
        fill_id="f",
        strategy_id="s",
        instrument_token=1,
        side=Side.BUY,
        quantity=1,
        price=Decimal("0.10"),
        charges=Decimal("0.03"),
        filled_at=datetime.now(UTC),
    )
    assert b'"price":"0.10"' in encode(envelope(EventType.ORDER_FILLED, fill))


def test_payload_must_match_its_type():
    tick = Tick(instrument_token=1, exchange_timestamp=datetime.now(UTC), last_price=Decimal(1))
    raw = encode(envelope(EventType.MARKET_TICK, tick)).replace(b'"market.tick"', b'"order.filled"')
    with pytest.raises(EventDecodeError, match="order_id"):
        decode(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"not json", "Invalid JSON"),
        (b'{"type": "no.such.type"}', "no.such.type"),
        (b"{}", "type"),
    ],
)
def test_malformed_bytes_raise_a_typed_error_with_the_reason(raw, reason):
    with pytest.raises(EventDecodeError, match=reason):
        decode(raw)


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        Tick(instrument_token=1, exchange_timestamp=datetime(2026, 1, 1), last_price=Decimal(1))


def test_unsupported_schema_version_is_refused():
    tick = Tick(instrument_token=1, exchange_timestamp=datetime.now(UTC), last_price=Decimal(1))
    raw = encode(envelope(EventType.MARKET_TICK, tick)).replace(
        b'"schema_version":1', b'"schema_version":9'
    )
    with pytest.raises(EventDecodeError, match="schema_version"):
        decode(raw)
