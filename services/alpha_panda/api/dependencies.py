"""The components the API runs on, injected into the application instead of held in globals."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from alpha_panda.api.ports import (
    BrokerLogin,
    BrokerSessions,
    DeadLetterReplayer,
    InstrumentMaster,
    LoginThrottle,
    StrategyRepository,
    TradingReadModel,
    UserAuthenticator,
)
from alpha_panda.auth.jwt_manager import JwtManager
from alpha_panda.core.health import CachedReadiness


@dataclass(frozen=True)
class ApiDependencies:
    """Everything the routes call; built once by `WiredApi.open`."""

    jwt_manager: JwtManager
    users: UserAuthenticator
    login_throttle: LoginThrottle
    strategies: StrategyRepository
    read_model: TradingReadModel
    readiness: CachedReadiness
    instruments: InstrumentMaster
    dead_letter_replay: DeadLetterReplayer
    broker_login: BrokerLogin | None = None
    """Set only where the login callback is enabled (the API process of a live namespace)."""
    broker_sessions: BrokerSessions | None = None
    """Set where the API process knows its namespace's broker session (stored or configured)."""


def api_dependencies(request: Request) -> ApiDependencies:
    """Return the dependencies of the application serving this request."""
    dependencies: ApiDependencies = request.app.state.dependencies
    return dependencies
