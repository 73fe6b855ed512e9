"""What the API needs from the rest of the platform, as protocols the application injects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from alpha_panda.adapters.redis.service_health import ServiceHealth
from alpha_panda.api.schemas import (
    BrokerSessionStatus,
    DeadLetterView,
    InstrumentView,
    OrderView,
    PnlCurve,
    RejectionView,
    StrategyView,
)
from alpha_panda.auth.broker_session import BrokerSession
from alpha_panda.auth.roles import Role
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio.summary import NamespaceSummary, PositionView, StrategySummary
from alpha_panda.domain.values import Namespace


class StrategyRepository(Protocol):
    """Lists trading strategies and pauses or resumes them (their one kill switch)."""

    async def list_strategies(self, namespace: Namespace | None) -> list[StrategyView]:
        """Return the strategies, of one namespace or of all."""
        ...

    async def set_paused(self, strategy_id: str, paused: bool) -> StrategyView | None:
        """Pause or resume a strategy; return it, or None when no such strategy exists."""
        ...


class TradingReadModel(Protocol):
    """Read-only views of portfolios, positions, orders, fills, P&L and dead letters."""

    async def portfolio(self, namespace: Namespace) -> NamespaceSummary | None:
        """Return the namespace's portfolio summary, or None before its first fill."""
        ...

    async def positions(self, namespace: Namespace, strategy_id: str | None) -> list[PositionView]:
        """Return open positions, of one strategy or of all."""
        ...

    async def orders(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderView]:
        """Return the most recent orders first."""
        ...

    async def fills(
        self, namespace: Namespace, strategy_id: str | None, limit: int
    ) -> list[OrderFilled]:
        """Return the most recent fills first."""
        ...

    async def pnl(self, namespace: Namespace) -> list[StrategySummary]:
        """Return profit and loss per strategy."""
        ...

    async def pnl_curve(self, namespace: Namespace, day: date | None) -> PnlCurve:
        """Return the net P&L curve of an IST trading day (by default the latest one)."""
        ...

    async def rejections(self, namespace: Namespace, limit: int) -> list[RejectionView]:
        """Return the risk manager's most recent rejections first."""
        ...

    async def namespace_dead_letters(
        self, namespace: Namespace, limit: int
    ) -> list[DeadLetterView]:
        """Return the newest dead letters of the namespace's topics first, without payloads."""
        ...

    async def dead_letters(self, topic: str, limit: int) -> list[DeadLetterView] | None:
        """Return up to `limit` records of one dead-letter topic, oldest first.

        None when `topic` is none of the platform's dead-letter topics.
        """
        ...

    async def services(self, namespace: Namespace) -> list[ServiceHealth]:
        """Return the last readiness report of every service that reported recently."""
        ...


class InstrumentMaster(Protocol):
    """Names instruments: trading symbol and exchange of a token."""

    async def lookup(self, tokens: Iterable[int]) -> list[InstrumentView]:
        """Return the listed instruments among `tokens`; unlisted ones are left out."""
        ...


class DeadLetterReplayer(Protocol):
    """Puts dead letters back on the topic they failed on."""

    async def replay(self, dead_letter_topic: str, limit: int) -> int | None:
        """Replay records not replayed before; None when the topic is none of the platform's."""
        ...


class BrokerSessions(Protocol):
    """Tells whose broker session a namespace trades on and when it expires."""

    async def current(self, namespace: Namespace) -> BrokerSessionStatus | None:
        """Return the namespace's session, or None when none is known."""
        ...


class UserAuthenticator(Protocol):
    """Checks an API user's password and tells whether, and with which role, a user may act."""

    async def authenticate(self, username: str, password: str) -> Role | None:
        """Return the role of an enabled user whose password matches, else None."""
        ...

    async def active_role(self, username: str) -> Role | None:
        """Return the current role of an enabled user; None when disabled or deleted."""
        ...


class LoginThrottle(Protocol):
    """Limits password guesses per username and per client address."""

    async def attempt(self, username: str, address: str) -> int | None:
        """Count an attempt; return the seconds to wait when it is over a limit, else None."""
        ...

    async def succeeded(self, username: str, address: str) -> None:
        """Record that the attempt logged in."""
        ...


class BrokerLogin(Protocol):
    """Completes the Kite login redirect (implemented by `AuthManager`)."""

    def login_url(self) -> str:
        """Return the Kite login URL."""
        ...

    async def complete_login(self, request_token: str) -> BrokerSession:
        """Exchange the redirect's request token for a stored session."""
        ...
