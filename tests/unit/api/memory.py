"""In-memory implementations of the API's ports, for tests only."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from alpha_panda.adapters.redis.service_health import ServiceHealth
from alpha_panda.api.schemas import (
    DeadLetterView,
    InstrumentView,
    OrderStatus,
    OrderView,
    PnlCurve,
    RejectionView,
    StrategyView,
)
from alpha_panda.auth.roles import Role
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio.summary import (
    NamespaceSummary,
    PnlPoint,
    PositionView,
    StrategySummary,
)
from alpha_panda.domain.values import Namespace, OrderType, Side

MOMENT = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


class MemoryUsers:
    def __init__(self, users: dict[str, tuple[str, Role]]) -> None:
        self._users = users

    async def authenticate(self, username: str, password: str) -> Role | None:
        known = self._users.get(username)
        if known is None or not hmac.compare_digest(known[0], password):
            return None
        return known[1]

    async def active_role(self, username: str) -> Role | None:
        known = self._users.get(username)
        return None if known is None else known[1]


class UnlimitedLogins:
    """Admits every login attempt: these tests are not about throttling (see integration)."""

    async def attempt(self, username: str, address: str) -> int | None:
        return None

    async def succeeded(self, username: str, address: str) -> None:
        return None


@dataclass
class MemoryStrategies:
    strategies: dict[str, StrategyView] = field(
        default_factory=lambda: {
            "momentum-1": StrategyView(
                strategy_id="momentum-1",
                strategy_type="momentum",
                namespace=Namespace.PAPER,
                instruments=(256265,),
                paused=False,
            )
        }
    )

    async def list_strategies(self, namespace: Namespace | None) -> list[StrategyView]:
        return [s for s in self.strategies.values() if namespace in (None, s.namespace)]

    async def set_paused(self, strategy_id: str, paused: bool) -> StrategyView | None:
        if strategy_id not in self.strategies:
            return None
        updated = self.strategies[strategy_id].model_copy(update={"paused": paused})
        self.strategies[strategy_id] = updated
        return updated


def _summary_numbers() -> dict[str, Decimal | int]:
    return {
        "realized_pnl": Decimal("120.50"),
        "unrealized_pnl": Decimal("-20.25"),
        "gross_pnl": Decimal("100.25"),
        "charges": Decimal("3.10"),
        "net_pnl": Decimal("97.15"),
        "exposure": Decimal("2500"),
        "margin_used": Decimal("2500"),
        "fills": 2,
    }


class MemoryReadModel:
    async def portfolio(self, namespace: Namespace) -> NamespaceSummary | None:
        if namespace is Namespace.ZERODHA:
            return None
        return NamespaceSummary(
            namespace=namespace,
            cash=Decimal("97500"),
            equity=Decimal("100097.15"),
            available_margin=Decimal("97500"),
            **_summary_numbers(),
        )

    async def positions(self, namespace: Namespace, strategy_id: str | None) -> list[PositionView]:
        return [
            PositionView(
                strategy_id=strategy_id or "momentum-1",
                instrument_token=256265,
                quantity=10,
                average_price=Decimal("250.0000"),
                last_price=Decimal("248"),
                realized_pnl=Decimal(0),
                unrealized_pnl=Decimal("-20"),
                charges=Decimal("1.5"),
            )
        ]

    async def orders(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderView]:
        order = OrderView(
            order_id="o1",
            strategy_id="momentum-1",
            instrument_token=256265,
            side=Side.BUY,
            quantity=10,
            order_type=OrderType.MARKET,
            tag="t1",
            placed_at=MOMENT,
            status=OrderStatus.FILLED,
            filled_quantity=10,
        )
        return [order][:limit]

    async def fills(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderFilled]:
        fill = OrderFilled(
            order_id="o1",
            fill_id="f1",
            strategy_id="momentum-1",
            instrument_token=256265,
            side=Side.BUY,
            quantity=10,
            price=Decimal("250.05"),
            filled_at=MOMENT,
        )
        return [fill][:limit]

    async def pnl(self, namespace: Namespace) -> list[StrategySummary]:
        return [StrategySummary(strategy_id="momentum-1", **_summary_numbers())]

    async def pnl_curve(self, namespace: Namespace, day: date | None) -> PnlCurve:
        point = PnlPoint(
            at=MOMENT, net_pnl=Decimal("97.15"), strategies={"momentum-1": Decimal("97.15")}
        )
        return PnlCurve(namespace=namespace, day=day or MOMENT.date(), points=[point])

    async def rejections(self, namespace: Namespace, limit: int) -> list[RejectionView]:
        rejection = RejectionView(
            event_id="e1",
            decided_at=MOMENT,
            strategy_id="momentum-1",
            instrument_token=256265,
            side=Side.BUY,
            quantity=10,
            generated_at=MOMENT,
            rule="max_orders_per_day",
            reason="12 orders today, the limit is 12",
        )
        return [rejection][:limit]

    async def namespace_dead_letters(
        self, namespace: Namespace, limit: int
    ) -> list[DeadLetterView]:
        letters = await self.dead_letters(f"{namespace}.orders.placed.dlq", limit)
        return [letter.model_copy(update={"value": None}) for letter in letters]

    async def dead_letters(self, topic: str, limit: int) -> list[DeadLetterView]:
        letter = DeadLetterView(
            topic=topic.removesuffix(".dlq"),
            dead_letter_topic=topic,
            partition=0,
            offset=42,
            error_class="ValueError",
            error_message="bad payload",
            attempts=1,
            consumer_group="alpha-panda.risk-manager",
            failed_at=MOMENT.isoformat(),
            value='{"broken": true}',
        )
        return [letter][:limit]

    async def services(self, namespace: Namespace) -> list[ServiceHealth]:
        return []


class MemoryInstruments:
    """Lists the one instrument the other memory ports trade."""

    async def lookup(self, tokens: Iterable[int]) -> list[InstrumentView]:
        listed = InstrumentView(
            instrument_token=256265, tradingsymbol="NIFTY 50", exchange="NSE", name="NIFTY 50"
        )
        return [listed] if 256265 in tokens else []


@dataclass
class MemoryReplay:
    """Counts replays of the one dead-letter topic it knows."""

    replayed: list[str] = field(default_factory=list)

    async def replay(self, dead_letter_topic: str, limit: int) -> int | None:
        if dead_letter_topic != "paper.orders.placed.dlq":
            return None
        self.replayed.append(dead_letter_topic)
        return 1
