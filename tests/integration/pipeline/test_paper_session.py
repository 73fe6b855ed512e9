"""A scripted paper session: known ticks to exact signals, fills, charges and P&L."""

from __future__ import annotations

import json
from decimal import Decimal

import asyncpg
import pytest
import redis.asyncio as redis
from aiokafka import AIOKafkaConsumer, TopicPartition

from alpha_panda.backtest.config import BacktestConfig, StrategySpec
from alpha_panda.backtest.engine import Backtest
from alpha_panda.core.streaming.lag import group_lag
from alpha_panda.domain.orders import OrderFilled, OrderPlaced
from alpha_panda.domain.risk.limits import RiskEngineConfig, RiskLimits
from alpha_panda.domain.signals import Signal, ValidatedSignal
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace, Side
from tests.conftest import eventually
from tests.integration.core.processors import Source
from tests.integration.pipeline.harness import Pipeline, tick

pytestmark = pytest.mark.integration

INFY = 408065
# Crossover fast=2/slow=3: the fast average crosses above at 103 (buy 100) and below at 100
# (sell 100, flat: shorting is off).
PRICES = ["100", "100", "99", "101", "103", "104", "100", "100"]
CROSSOVER = {"fast_window": 2, "slow_window": 3, "quantity": 100, "cooldown_seconds": 0}
LIMITS = RiskLimits(max_position_quantity=500)


@pytest.fixture
async def pipeline(infra, postgres_dsn, unique):
    settings = {**infra, "ALPHA_PANDA_POSTGRES_DSN": postgres_dsn}
    config = StrategyConfig(
        strategy_id="cross-infy",
        namespace=Namespace.PAPER,
        strategy_type="ma_crossover",
        instruments=(INFY,),
        parameters=CROSSOVER,
        risk_limits=LIMITS,
    )
    pipeline = Pipeline(settings, "paper", unique, "cross-infy", definitions=[config])
    await pipeline.start()
    yield pipeline
    await pipeline.stop()


FILL_CONSUMERS = ("strategy-runner", "risk-manager", "portfolio-manager")


async def play(pipeline: Pipeline, restart_after_buy: bool) -> list:
    """Publish the script tick by tick, waiting for every service; return the ticks.

    After a signalling tick it also waits until every consumer of fills has seen the fill:
    the strategy keeps asking for its target until a fill tells it the target is reached.
    """
    source = Source(pipeline.settings("market-feed"))
    await source.start()
    topic = pipeline.settings("x").topics.market_ticks
    sent, fills = [], 0
    for second, price in enumerate(PRICES):
        sent.append(tick(INFY, second, price))
        await source.publish(topic, [sent[-1]])
        await pipeline.wait_all_saw(sent if second < 5 or not restart_after_buy else sent[5:])
        if second in (4, 6):  # the buy, then the sell
            fills += 1
            for service in FILL_CONSUMERS:
                await pipeline.wait_for(service, OrderFilled, fills, f"fill {fills} at {service}")
        if second == 4 and restart_after_buy:
            await pipeline.stop()
            pipeline.handled.clear()
            await pipeline.start()
            fills = 0
    await source.close()
    await pipeline.checkpoint()
    return sent


async def ledger_fills(dsn: str) -> list[tuple]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT side, quantity, price, charges, filled_at FROM ledger_fills ORDER BY filled_at"
        )
    finally:
        await connection.close()
    return [tuple(row) for row in rows]


async def test_scripted_session_gives_exact_signals_fills_and_pnl_across_a_restart(
    pipeline, postgres_dsn, redis_url
):
    await play(pipeline, restart_after_buy=True)

    runner_signals = [
        (s.side, s.quantity, s.reference_price) for s in pipeline.data("risk-manager", Signal)
    ]
    assert runner_signals == [(Side.SELL, 100, Decimal("100"))]  # the buy came before the restart
    validated = pipeline.data("trading-engine", ValidatedSignal)
    assert [v.signal.strategy_id for v in validated] == ["cross-infy"]
    # The buy's OrderPlaced may reach the portfolio only after the restart (it travels on
    # its own topic); the sell is placed after it, exactly once.
    placed = [order.side for order in pipeline.data("portfolio-manager", OrderPlaced)]
    assert placed.count(Side.SELL) == 1

    ledger = await asyncpg.connect(postgres_dsn)
    fills = await ledger.fetch(
        "SELECT side, quantity, price, charges FROM ledger_fills WHERE namespace = 'paper' ORDER BY filled_at"
    )
    orders = await ledger.fetch("SELECT status FROM ledger_orders WHERE namespace = 'paper'")
    risk = json.loads(
        await ledger.fetchval(
            "SELECT state FROM service_state WHERE consumer_group LIKE '%.risk-manager'"
        )
    )
    await ledger.close()
    assert [tuple(row) for row in fills] == [
        ("BUY", 100, Decimal("103.0000"), Decimal("4.0200")),
        ("SELL", 100, Decimal("100.0000"), Decimal("6.9100")),
    ]
    assert [row["status"] for row in orders] == ["COMPLETE", "COMPLETE"]
    assert risk  # the risk engine's state was persisted with the batches that changed it

    cache = redis.from_url(redis_url)
    summary = json.loads(await cache.get(f"alpha-panda:t{pipeline.prefix}.paper:portfolio:summary"))
    zerodha_keys = await cache.keys(f"alpha-panda:t{pipeline.prefix}.zerodha:*")
    await cache.aclose()
    assert Decimal(summary["realized_pnl"]) == Decimal("-300.00")
    assert Decimal(summary["charges"]) == Decimal("10.93")
    assert Decimal(summary["net_pnl"]) == Decimal("-310.93")
    assert summary["fills"] == 2
    assert zerodha_keys == []


async def test_the_backtest_of_the_same_ticks_makes_the_same_trades(pipeline, postgres_dsn):
    ticks = await play(pipeline, restart_after_buy=False)
    live = await ledger_fills(postgres_dsn)

    report = Backtest(
        BacktestConfig(
            strategies=(
                StrategySpec(
                    strategy_id="cross-infy",
                    strategy_type="ma_crossover",
                    instruments=(INFY,),
                    parameters=CROSSOVER,
                ),
            ),
            risk=RiskEngineConfig(namespace=Namespace.PAPER, strategies={"cross-infy": LIMITS}),
        )
    ).run(ticks)

    [strategy] = report.strategies
    assert strategy.signals == len(pipeline.data("risk-manager", Signal)) == 2
    backtested = [
        (t.side.value, t.quantity, t.price, t.charges, t.filled_at) for t in strategy.trades
    ]
    assert backtested == live


async def test_replaying_validated_signals_from_offset_zero_places_nothing_twice(
    pipeline, postgres_dsn, kafka_bootstrap
):
    await play(pipeline, restart_after_buy=False)
    before = await ledger_fills(postgres_dsn)
    placed_before = len(pipeline.data("portfolio-manager", OrderPlaced))
    await pipeline.stop()

    engine = pipeline.settings("trading-engine")
    topic = engine.topics.signals_validated
    rewind = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=engine.consumer_group, enable_auto_commit=False
    )
    await rewind.start()
    partitions = [TopicPartition(topic, p) for p in range(3)]
    rewind.assign(partitions)
    await rewind.commit(dict.fromkeys(partitions, 0))
    await rewind.stop()

    pipeline.handled.clear()
    await pipeline.start()

    async def caught_up() -> bool:
        lag = await group_lag(kafka_bootstrap, [engine.consumer_group], [topic])
        return not any(lag.values())

    await eventually(caught_up, what="the engine to re-read the validated signals")
    # The engine saw both validated signals again and skipped them as already handled.
    assert pipeline.data("trading-engine", ValidatedSignal) == []
    assert await ledger_fills(postgres_dsn) == before
    assert len(pipeline.data("portfolio-manager", OrderPlaced)) == 0 < placed_before
