"""The risk manager's handler, driven with plain builders and no servers."""

from __future__ import annotations

from alpha_panda.core.events import EventType
from alpha_panda.domain.control import ControlAction, ControlCommand
from alpha_panda.domain.orders import OrderFailed
from alpha_panda.domain.risk.engine import RiskEngine
from alpha_panda.domain.risk.limits import RiskEngineConfig, RiskLimits
from alpha_panda.domain.signals import RejectedSignal, ValidatedSignal
from alpha_panda.domain.values import Namespace, Side
from alpha_panda.risk_manager.service import RiskManager
from tests.unit.domain.conftest import at, make_fill, make_signal, make_tick
from tests.unit.services.builders import TOPICS, envelope

LIMITS = RiskLimits(max_position_quantity=10, market_hours=None)


def manager() -> RiskManager:
    config = RiskEngineConfig(namespace=Namespace.PAPER, strategies={"alpha": LIMITS})
    return RiskManager(TOPICS, RiskEngine(config))


async def judge(handler: RiskManager, quantity: int, side: Side = Side.BUY):
    outputs = await handler.handle(envelope(EventType.SIGNAL_RAW, make_signal(side, quantity)))
    [verdict] = outputs.events
    return verdict


async def test_a_signal_within_its_limit_is_validated_on_the_validated_topic():
    handler = manager()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("100")))
    verdict = await judge(handler, 10)
    assert verdict.topic == TOPICS.signals_validated and isinstance(verdict.data, ValidatedSignal)


async def test_a_signal_past_the_position_limit_is_rejected_counting_fills():
    handler = manager()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("100")))
    await handler.handle(envelope(EventType.ORDER_FILLED, make_fill(quantity=8)))
    verdict = await judge(handler, 5)
    assert verdict.topic == TOPICS.signals_rejected and isinstance(verdict.data, RejectedSignal)
    assert (await judge(handler, 5, Side.SELL)).topic == TOPICS.signals_validated


async def test_a_halt_command_rejects_later_signals_and_the_snapshot_keeps_it():
    handler = manager()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("100")))
    halt = ControlCommand(
        action=ControlAction.HALT, strategy_id="alpha", reason="test", issued_at=at(1)
    )
    await handler.handle(envelope(EventType.CONTROL_COMMAND, halt))
    snapshot = handler.snapshot()
    assert snapshot is not None and handler.snapshot() is None  # only when something moved
    restored = manager()
    restored.restore(snapshot)
    await restored.handle(envelope(EventType.MARKET_TICK, make_tick("100")))
    assert (await judge(restored, 1)).topic == TOPICS.signals_rejected


async def test_ticks_alone_leave_nothing_to_save():
    handler = manager()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("100")))
    assert handler.snapshot() is None


async def test_an_order_in_flight_counts_until_its_failure_releases_it():
    handler = manager()
    await handler.handle(envelope(EventType.MARKET_TICK, make_tick("100")))
    assert (await judge(handler, 10)).topic == TOPICS.signals_validated
    assert (await judge(handler, 1)).topic == TOPICS.signals_rejected  # 10 already on its way
    failed = OrderFailed(
        order_id="o1",
        strategy_id="alpha",
        instrument_token=408065,
        side=Side.BUY,
        quantity=10,
        reason="rejected by the exchange",
        failed_at=at(1),
    )
    await handler.handle(envelope(EventType.ORDER_FAILED, failed))
    assert (await judge(handler, 1)).topic == TOPICS.signals_validated
