"""The strategy runner's handler, driven with plain builders and no servers."""

from __future__ import annotations

from alpha_panda.core.events import EventType
from alpha_panda.domain.signals import RejectedSignal, Signal
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace, Side
from alpha_panda.strategy_runner.service import StrategyRunner
from tests.unit.domain.conftest import make_fill, make_signal, make_tick
from tests.unit.services.builders import TOPICS, envelope

INFY = 408065
RISING = ["103", "102", "101", "100", "103", "104"]  # the fast average crosses up at [4]


def runner(paused: bool = False) -> StrategyRunner:
    config = StrategyConfig(
        strategy_id="cross",
        namespace=Namespace.PAPER,
        strategy_type="ma_crossover",
        instruments=(INFY,),
        parameters={"fast_window": 2, "slow_window": 3, "quantity": 10, "cooldown_seconds": 0},
        paused=paused,
    )
    return StrategyRunner(TOPICS, config)


async def feed(handler: StrategyRunner, prices: list[str]) -> list:
    events = []
    for second, price in enumerate(prices):
        tick = envelope(EventType.MARKET_TICK, make_tick(price, second, token=INFY))
        events.extend((await handler.handle(tick)).events)
    return events


async def test_a_crossover_emits_one_raw_signal_on_the_namespaces_topic():
    [emitted] = await feed(runner(), RISING)
    assert emitted.topic == TOPICS.signals_raw and emitted.type is EventType.SIGNAL_RAW
    assert isinstance(emitted.data, Signal)
    assert (emitted.data.strategy_id, emitted.data.side) == ("cross", Side.BUY)


async def test_a_paused_strategy_emits_nothing():
    assert await feed(runner(paused=True), RISING) == []


async def test_the_subscription_reads_only_its_instruments_ticks():
    subscription = runner().subscription
    assert subscription.only_keys == {
        TOPICS.market_ticks: [str(INFY)],
        TOPICS.strategies: ["cross"],  # its own definition only
    }
    assert TOPICS.orders_filled in subscription.topics


async def test_the_snapshot_restores_the_indicators_in_a_new_handler():
    first = runner()
    await feed(first, RISING[:4])
    second = runner()
    second.restore(first.snapshot())
    [signal] = [item.data for item in await feed(second, RISING[4:])]
    assert [item.data for item in await feed(first, RISING[4:])] == [signal]


async def test_fills_of_other_strategies_are_ignored_and_rejections_are_learnt():
    handler = runner()
    other = envelope(EventType.ORDER_FILLED, make_fill(strategy_id="other", token=INFY))
    assert list((await handler.handle(other)).events) == []
    rejected = RejectedSignal(
        signal=make_signal(strategy_id="cross", token=INFY), rule="max_position", reason="limit"
    )
    assert list((await handler.handle(envelope(EventType.SIGNAL_REJECTED, rejected))).events) == []
