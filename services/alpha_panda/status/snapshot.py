"""What the status screen shows, as read from the API at one instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alpha_panda.adapters.redis.service_health import ServiceHealth
from alpha_panda.api.schemas import BrokerSessionStatus, StrategyView
from alpha_panda.domain.portfolio.summary import PositionView, StrategySummary
from alpha_panda.domain.values import Namespace


@dataclass(frozen=True)
class StatusSnapshot:
    """A namespace's strategies with their P&L and positions, its services and broker session."""

    api_url: str
    namespace: Namespace
    taken_at: datetime
    strategies: list[StrategyView]
    pnl: list[StrategySummary]
    positions: list[PositionView]
    services: list[ServiceHealth]
    broker_session: BrokerSessionStatus | None
    symbols: dict[int, str] = field(default_factory=dict)
    """`SYMBOL EXCHANGE` of the instruments held, where the instruments master lists them."""

    @property
    def healthy(self) -> bool:
        """Tell whether every service is ready and the broker session (if any) is alive."""
        session_alive = self.broker_session is None or not self.broker_session.expired
        return session_alive and all(service.ready for service in self.services)
