"""The invariants a run must keep, read after the drain from the broker's book, the topics,
the PostgreSQL ledger and the portfolio cache."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import asyncpg
from aiokafka import AIOKafkaConsumer

from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from alpha_panda.core.events import decode
from alpha_panda.core.streaming.consume import assign_all, drain
from alpha_panda.core.streaming.dead_letters import read_dead_letters
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.execution.tags import is_order_tag, order_tag
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda.domain.values import Namespace
from chaos.bad_records import BadRecord
from kite_sim.simulator import KiteSimulator

Holding = tuple[str, int]
"""(strategy id, instrument token)."""


@dataclass
class Findings:
    """Counts the report prints; `problems` names every broken invariant."""

    broker_orders: int = 0
    broker_trades: int = 0
    fills: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    missing_orders: int = 0
    missing_trades: int = 0
    dead_letters: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def ledger_fills(dsn: str) -> list[asyncpg.Record]:
    """Return every ledger fill in booking order."""
    connection = await asyncpg.connect(dsn)
    try:
        return list(
            await connection.fetch(
                "SELECT namespace, fill_id, order_id, strategy_id, instrument_token, side,"
                " quantity, price FROM ledger_fills ORDER BY filled_at, fill_id"
            )
        )
    finally:
        await connection.close()


async def ledger_orders(dsn: str) -> list[asyncpg.Record]:
    """Return every ledger order."""
    connection = await asyncpg.connect(dsn)
    try:
        return list(
            await connection.fetch("SELECT namespace, order_id, strategy_id FROM ledger_orders")
        )
    finally:
        await connection.close()


def signed(side: str, quantity: int) -> int:
    return quantity if side.upper() == "BUY" else -quantity


def check_broker(
    found: Findings,
    simulator: KiteSimulator,
    fills: list[asyncpg.Record],
    orders: list[asyncpg.Record],
) -> None:
    """Zerodha: one broker order per tag, every order and trade in the ledger, same positions."""
    book = [o for o in simulator.broker.orders(simulator.api_key) if is_order_tag(o.tag)]
    trades = simulator.broker.trades(simulator.api_key)
    found.broker_orders, found.broker_trades = len(book), len(trades)
    tags = Counter(str(o.tag) for o in book)
    found.duplicates = sum(count - 1 for count in tags.values())
    if found.duplicates:
        twice = sorted(tag for tag, count in tags.items() if count > 1)
        found.problems.append(f"{found.duplicates} duplicate broker orders, tags {twice[:5]}")
    booked = {order_tag(row["order_id"]) for row in orders if row["namespace"] == "zerodha"}
    missing = sorted(tag for tag in tags if tag not in booked)
    found.missing_orders = len(missing)
    if missing:
        found.problems.append(
            f"{len(missing)} broker orders missing from the ledger: {missing[:5]}"
        )
    filled = {row["fill_id"] for row in fills if row["namespace"] == "zerodha"}
    lost = [t.trade_id for t in trades if t.trade_id not in filled]
    found.missing_trades = len(lost)
    if lost:
        found.problems.append(f"{len(lost)} broker trades missing from the ledger: {lost[:5]}")
    at_broker: Counter[int] = Counter()
    for trade in trades:
        token = trade.order.instrument.instrument_token
        at_broker[token] += signed(trade.order.transaction_type, trade.quantity)
    in_ledger: Counter[int] = Counter()
    for row in fills:
        if row["namespace"] == "zerodha":
            in_ledger[row["instrument_token"]] += signed(row["side"], row["quantity"])
    if +at_broker != +in_ledger or -at_broker != -in_ledger:
        found.problems.append(
            f"broker positions {dict(at_broker)} differ from the ledger's {dict(in_ledger)}"
        )


async def check_positions(
    found: Findings, cache: PortfolioCache, fills: list[asyncpg.Record], ns: str
) -> None:
    """The portfolio's positions are the sums of the ledger's fills, holding by holding."""
    from_fills: Counter[Holding] = Counter()
    for row in fills:
        if row["namespace"] == ns:
            holding = (row["strategy_id"], row["instrument_token"])
            from_fills[holding] += signed(row["side"], row["quantity"])
    shown = {(p.strategy_id, p.instrument_token): p.quantity for p in await cache.positions()}
    for holding in set(from_fills) | set(shown):
        if from_fills.get(holding, 0) != shown.get(holding, 0):
            found.problems.append(
                f"{ns} position {holding} is {shown.get(holding, 0)} but its fills sum to "
                f"{from_fills.get(holding, 0)}"
            )


def check_limits(
    found: Findings,
    configs: list[StrategyConfig],
    fills: list[asyncpg.Record],
    orders: list[asyncpg.Record],
) -> None:
    """No position ever went past its limit and no strategy placed more orders than allowed."""
    running: Counter[Holding] = Counter()
    worst: dict[Holding, int] = defaultdict(int)
    for row in fills:
        holding = (row["strategy_id"], row["instrument_token"])
        running[holding] += signed(row["side"], row["quantity"])
        worst[holding] = max(worst[holding], abs(running[holding]))
    placed = Counter(row["strategy_id"] for row in orders)
    for config in configs:
        limits = config.risk_limits
        for (strategy, token), peak in worst.items():
            cap = limits.max_position_quantity
            if strategy == config.strategy_id and cap is not None and peak > cap:
                found.problems.append(f"{strategy} held {peak} of {token}, limit {cap}")
        cap = limits.max_orders_per_day
        if cap is not None and placed[config.strategy_id] > cap:
            found.problems.append(
                f"{config.strategy_id} placed {placed[config.strategy_id]} orders, limit {cap}"
            )


async def check_fill_topics(
    found: Findings, bootstrap: str, prefix: str, fills: list[asyncpg.Record]
) -> None:
    """Every fill on the topics is in the ledger, and a redelivered fill is the same fill."""
    for namespace in (Namespace.PAPER, Namespace.ZERODHA):
        topic = TopicMap(namespace, prefix).orders_filled
        seen: dict[str, set[tuple[int, Decimal]]] = defaultdict(set)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            ends = await assign_all(consumer, bootstrap, topic)
            async for records in drain(consumer, ends, 1_000_000):
                for record in records:
                    fill = decode(record.value).data
                    assert isinstance(fill, OrderFilled)
                    seen[fill.fill_id].add((fill.quantity, fill.price))
        finally:
            await consumer.stop()
        found.fills[namespace.value] = len(seen)
        differing = sorted(fill_id for fill_id, versions in seen.items() if len(versions) > 1)
        if differing:
            found.problems.append(f"{namespace.value} fills emitted differently: {differing[:5]}")
        booked = {row["fill_id"] for row in fills if row["namespace"] == namespace.value}
        if set(seen) != booked:
            found.problems.append(
                f"{namespace.value}: {len(set(seen) - booked)} fills on {topic} not in the "
                f"ledger, {len(booked - set(seen))} in the ledger not on the topic"
            )


async def check_dead_letters(found: Findings, bootstrap: str, sent: list[BadRecord]) -> None:
    """Each bad record is in its topic's dead letters, with the reason it was refused."""
    letters = {
        topic: await read_dead_letters(bootstrap, topic) for topic in {b.topic for b in sent}
    }
    for bad in sent:
        match = [
            letter
            for letter in letters[bad.topic]
            if letter.value is not None and bad.marker in letter.value
        ]
        if not match or not match[0].error_message:
            found.problems.append(f"{bad.what} on {bad.topic} is not in its dead letters")
            continue
        reason = f"{match[0].error_class}: {match[0].error_message}".splitlines()[0][:110]
        found.dead_letters.append(f"{bad.what} on {bad.topic} -> {reason}")
