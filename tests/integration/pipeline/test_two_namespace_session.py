"""Paper and zerodha trading the same ticks at once: exact fills from each, nothing shared.

The zerodha pipeline trades on the Kite simulator replaying the very ticks the test publishes,
its clock moved to each tick before the tick is published, so live orders are matched against
the depth the simulator derives for that tick (seed 0):

- tick 4, last 103.00, asks 7 @ 103.05, 23 @ 103.10, 40 @ 103.15, 39 @ 103.20
- tick 6, last 100.00, bids 40 @ 99.90, 39 @ 99.85, 30 @ 99.80

Paper fills at the last price, as the ticks carry no depth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as redis

from alpha_panda.core.events import SHARED_NAMESPACE, EventType
from alpha_panda.core.streaming import Outgoing
from alpha_panda.domain.execution.tags import order_tag
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFilled, OrderPlaced
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.signals import Signal
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace, Side
from alpha_panda.portfolio_manager.reconciliation import reconcile
from alpha_panda.portfolio_manager.service import PortfolioManager
from kite_sim import KiteSimulator, SimulatorConfig
from tests.integration.core.processors import Source
from tests.integration.pipeline.harness import SESSION_START, Pipeline, tick
from tests.integration.trading_engine.kite import client

pytestmark = pytest.mark.integration

INFY = 408065
PRICES = ["100", "100", "99", "101", "103", "104", "100", "100"]  # buy at 103, sell at 100
TRADES_AT = {4: "the buy", 6: "the sell"}
FILL_CONSUMERS = ("strategy-runner", "risk-manager", "portfolio-manager")


class MarketSource(Source):
    """Publishes ticks to the shared market topic, in the shared namespace, as the feed does."""

    async def publish_tick(self, market: Tick) -> None:
        topic = self.settings.topics.market_ticks
        await self.send([Outgoing(topic, EventType.MARKET_TICK, market, SHARED_NAMESPACE)])


def strategy(strategy_id: str, namespace: Namespace) -> StrategyConfig:
    return StrategyConfig(
        strategy_id=strategy_id,
        namespace=namespace,
        strategy_type="ma_crossover",
        instruments=(INFY,),
        parameters={"fast_window": 2, "slow_window": 3, "quantity": 100, "cooldown_seconds": 0},
        risk_limits=RiskLimits(max_position_quantity=500),
    )


def replay_file(directory: Path) -> Path:
    ticks = [tick(INFY, second, price) for second, price in enumerate(PRICES)]
    path = directory / "ticks.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "instrument_token": t.instrument_token,
                    "timestamp": t.exchange_timestamp.isoformat(),
                    "last_price": str(t.last_price),
                }
            )
            + "\n"
            for t in ticks
        )
    )
    return path


@pytest.fixture
async def session(
    infra, postgres_dsn, unique, tmp_path, caplog
) -> AsyncIterator[tuple[KiteSimulator, Pipeline, Pipeline]]:
    caplog.set_level(logging.INFO, logger="alpha_panda.portfolio_manager.reconciliation")
    settings = {**infra, "ALPHA_PANDA_POSTGRES_DSN": postgres_dsn}
    config = SimulatorConfig(
        speed=0, start=SESSION_START, seed=0, replay_file=replay_file(tmp_path), rate_limits={}
    )
    async with KiteSimulator(config) as simulator:
        kite = {
            "kite_api_key": simulator.api_key,
            "kite_access_token": simulator.login().access_token,
            "kite_root": simulator.urls.rest,
        }
        paper = Pipeline(
            settings,
            "paper",
            unique,
            "cross-paper",
            definitions=[strategy("cross-paper", Namespace.PAPER)],
        )
        live = Pipeline(
            settings,
            "zerodha",
            unique,
            "cross-live",
            overrides=kite,
            definitions=[strategy("cross-live", Namespace.ZERODHA)],
        )
        await paper.start()
        await live.start()
        yield simulator, paper, live
        await live.stop()
        await paper.stop()


async def test_paper_and_zerodha_trade_the_same_ticks_exactly_and_apart(
    session, postgres_dsn, redis_url, caplog
) -> None:
    simulator, paper, live = session
    source = MarketSource(paper.settings("market-feed"))
    await source.start()
    sent = []
    for second, price in enumerate(PRICES):
        sent.append(tick(INFY, second, price))
        simulator.clock.set(sent[-1].exchange_timestamp)
        await source.publish_tick(sent[-1])
        for pipeline in (paper, live):
            await pipeline.wait_all_saw(sent)
            if second in TRADES_AT:  # every fill is known everywhere before the next tick
                fills = 1 if pipeline is paper else (4 if second == 4 else 7)
                for service in FILL_CONSUMERS:
                    await pipeline.wait_for(service, OrderFilled, fills, TRADES_AT[second])
        if second == 4:  # long 100 on both sides of the broker
            manager = live.services["portfolio-manager"].handler
            assert isinstance(manager, PortfolioManager)
            assert await reconcile(manager.portfolio, client(simulator)) == []
    await source.close()

    market = paper.settings("x").topics.market_ticks
    for pipeline in (paper, live):
        signals = [
            (s.side, s.quantity, s.reference_price) for s in pipeline.data("risk-manager", Signal)
        ]
        assert signals == [(Side.BUY, 100, Decimal("103")), (Side.SELL, 100, Decimal("100"))]
        namespaces = {e.namespace for events in pipeline.handled.values() for e in events}
        assert namespaces == {SHARED_NAMESPACE, pipeline.namespace}
        own = f"t{pipeline.prefix}.{pipeline.namespace}."
        for processor in pipeline.services.values():
            assert processor.settings.consumer_group.startswith(own)
            topics = processor.handler.subscription.topics
            assert all(t == market or t.startswith(own) for t in topics)

    orders = simulator.broker.orders(simulator.api_key)
    placed = live.data("portfolio-manager", OrderPlaced)
    assert [(o.transaction_type, o.quantity, o.status) for o in orders] == [
        ("BUY", 100, "COMPLETE"),
        ("SELL", 100, "COMPLETE"),
    ]
    assert [o.tag for o in orders] == [order_tag(p.order_id) for p in placed]

    for pipeline in (paper, live):
        await pipeline.checkpoint()
    ledger = await asyncpg.connect(postgres_dsn)
    fills = {
        ns: [
            tuple(row)
            for row in await ledger.fetch(
                "SELECT side, quantity, price, charges FROM ledger_fills WHERE namespace = $1"
                " ORDER BY filled_at, fill_id",
                ns,
            )
        ]
        for ns in ("paper", "zerodha")
    }
    live_fill_ids = await ledger.fetch(
        "SELECT fill_id FROM ledger_fills WHERE namespace = 'zerodha' ORDER BY fill_id"
    )
    groups = [
        row["consumer_group"]
        for row in await ledger.fetch("SELECT consumer_group FROM service_state")
    ]
    await ledger.close()
    assert fills["paper"] == [
        ("BUY", 100, Decimal("103.0000"), Decimal("4.0200")),
        ("SELL", 100, Decimal("100.0000"), Decimal("6.9100")),
    ]
    assert fills["zerodha"] == [  # one row per Kite trade, charged per order as Zerodha bills
        ("BUY", 7, Decimal("103.0500"), Decimal("0.2800")),
        ("BUY", 23, Decimal("103.1000"), Decimal("0.9200")),
        ("BUY", 40, Decimal("103.1500"), Decimal("1.6200")),
        ("BUY", 30, Decimal("103.2000"), Decimal("1.2000")),
        ("SELL", 40, Decimal("99.9000"), Decimal("2.5600")),
        ("SELL", 39, Decimal("99.8500"), Decimal("2.5200")),
        ("SELL", 21, Decimal("99.8000"), Decimal("0.8300")),
    ]
    trade_ids = sorted(t.trade_id for t in simulator.broker.trades(simulator.api_key))
    assert [row["fill_id"] for row in live_fill_ids] == trade_ids
    t = f"t{paper.prefix}"
    assert sorted(groups) == [  # state rows: one per group, each group inside its namespace
        f"{t}.paper.portfolio-manager",
        f"{t}.paper.risk-manager",
        f"{t}.paper.strategy-runner.cross-paper",
        f"{t}.zerodha.portfolio-manager",
        f"{t}.zerodha.risk-manager",
        f"{t}.zerodha.strategy-runner.cross-live",
    ]

    cache = redis.from_url(redis_url)
    prefix = f"alpha-panda:t{paper.prefix}"
    summaries = {
        ns: json.loads(await cache.get(f"{prefix}.{ns}:portfolio:summary"))
        for ns in ("paper", "zerodha")
    }
    keys = await cache.keys(f"{prefix}.*")
    await cache.aclose()
    figures = {
        ns: {k: summary[k] for k in ("realized_pnl", "charges", "net_pnl", "fills", "namespace")}
        for ns, summary in summaries.items()
    }
    assert figures == {
        "paper": {
            "realized_pnl": "-300",
            "charges": "10.93",
            "net_pnl": "-310.93",
            "fills": 2,
            "namespace": "paper",
        },
        "zerodha": {  # bought 10,314.65, sold 9,985.95; charges 4.02 + 5.91
            "realized_pnl": "-328.70",
            "charges": "9.93",
            "net_pnl": "-338.63",
            "fills": 7,
            "namespace": "zerodha",
        },
    }
    assert {key.decode().split(":")[1] for key in keys} == {
        f"t{paper.prefix}.paper",
        f"t{paper.prefix}.zerodha",
    }
    started = [record.getMessage() for record in caplog.get_records("setup")]
    assert "positions agree with Kite" in started  # the zerodha portfolio manager's start
