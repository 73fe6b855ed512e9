"""Spec and status models of the custom resources; the CRD schemas in crds/ mirror them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from alpha_panda.domain.strategies.registry import STRATEGY_TYPES
from alpha_panda.domain.values import Namespace

ResourceName = Annotated[
    str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", min_length=1, max_length=63)
]
Rupees = Annotated[
    str,
    Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$", description="Rupees as a decimal string."),
]
SignedRupees = Annotated[
    str,
    Field(pattern=r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$", description="Rupees, rounded to paise."),
]


class Exchange(StrEnum):
    """Exchanges of the Kite instruments dump."""

    NSE = "NSE"
    BSE = "BSE"
    NFO = "NFO"
    BFO = "BFO"
    CDS = "CDS"
    MCX = "MCX"


StrategyType = StrEnum(  # type: ignore[misc]
    "StrategyType", {name.upper(): name for name in STRATEGY_TYPES}
)
"""Strategy types the strategy runner knows: the names in its registry."""


class Resource(BaseModel):
    """Base of the models: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class Instrument(Resource):
    """One instrument a strategy trades."""

    instrument_token: int = Field(ge=1, description="Kite instrument token.")
    trading_symbol: str = Field(
        pattern=r"^[A-Z0-9][A-Z0-9&_.-]{0,39}$", description="Exchange trading symbol."
    )
    exchange: Exchange


class RiskLimits(Resource):
    """Per-strategy limits the risk manager enforces."""

    max_position_quantity: int = Field(ge=1, le=10_000_000, description="Shares per instrument.")
    max_daily_loss: Rupees
    max_position_notional: Rupees | None = Field(
        default=None, description="Rupees of exposure per instrument; unlimited when absent."
    )
    max_orders_per_day: int = Field(default=200, ge=1, le=100_000)
    max_strategy_quantity: int | None = Field(
        default=None, ge=1, le=100_000_000, description="Shares across all instruments."
    )
    max_strategy_notional: Rupees | None = Field(
        default=None, description="Rupees of exposure across all instruments."
    )
    price_band_percent: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$",
        description="Refuse orders priced further than this percentage from the last price.",
    )


class ObjectReference(Resource):
    """A reference to an object in the same Kubernetes namespace."""

    name: ResourceName


class TradingStrategySpec(Resource):
    """What a user asks for: one strategy over some instruments in one broker namespace."""

    strategy_type: StrategyType
    namespace: Namespace = Field(description="Broker namespace: paper or zerodha.")
    broker_session_ref: ObjectReference = Field(
        description="BrokerSession whose session this strategy trades through."
    )
    instruments: list[Instrument] = Field(min_length=1, max_length=3000)
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Strategy parameters, checked by the strategy type."
    )
    risk_limits: RiskLimits
    paused: bool = Field(default=False, description="Kill switch: scale the runner to zero.")


class SecretReference(Resource):
    """A Secret holding the Kite API key and access token."""

    name: ResourceName
    api_key_key: str = Field(default="api_key", pattern=r"^[-._a-zA-Z0-9]+$")
    access_token_key: str = Field(default="access_token", pattern=r"^[-._a-zA-Z0-9]+$")


class BrokerSessionSpec(Resource):
    """A day's Kite session of one broker namespace and the shared services using it."""

    namespace: Namespace = Field(description="Broker namespace: paper or zerodha.")
    secret_ref: SecretReference
    market_feed: bool = Field(
        default=True,
        description="Run the market feed with this session's credentials. Every broker "
        "namespace shares its ticks: enable it on one session per Kubernetes namespace.",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="Override of the expiry; by default the next 06:00 IST."
    )
    kite_root: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    kite_websocket_url: str | None = Field(default=None, pattern=r"^wss?://[^\s]+$")


ConditionStatus = Literal["True", "False", "Unknown"]


class Condition(Resource):
    """One observation of the resource's state, in the Kubernetes condition convention."""

    type: str
    status: ConditionStatus
    reason: str = Field(pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    message: str = Field(min_length=1)
    last_transition_time: datetime
    observed_generation: int = Field(default=0, ge=0)


class StrategyPhase(StrEnum):
    """Summary of a TradingStrategy for `kubectl get`."""

    PENDING = "Pending"
    RUNNING = "Running"
    PAUSED = "Paused"
    HALTED = "Halted"
    FAILED = "Failed"


class SessionPhase(StrEnum):
    """Summary of a BrokerSession for `kubectl get`."""

    PENDING = "Pending"
    READY = "Ready"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    REFUSED = "Refused"


class PositionFigures(Resource):
    """One open position of a strategy, from the portfolio manager's read cache."""

    instrument_token: int
    quantity: int
    average_price: str
    last_price: str
    unrealized_pnl: SignedRupees


class TradingFigures(Resource):
    """A strategy's live trading figures, as the portfolio manager last published them."""

    realized_pnl: SignedRupees
    unrealized_pnl: SignedRupees
    charges: SignedRupees
    net_pnl: SignedRupees
    fills: int = Field(ge=0, description="Fills booked since the portfolio manager's day start.")
    orders_today: int = Field(default=0, ge=0, description="Orders placed this IST trading day.")
    fills_today: int = Field(default=0, ge=0, description="Fills booked this IST trading day.")
    last_signal_at: datetime | None = Field(
        default=None, description="When the strategy last signalled (exchange time, UTC)."
    )
    positions: list[PositionFigures] = Field(default_factory=list, max_length=3000)
    updated_at: datetime = Field(description="When the operator last read the figures.")


class TradingStrategyStatus(Resource):
    """What the operator observed for a TradingStrategy."""

    phase: StrategyPhase = StrategyPhase.PENDING
    observed_generation: int = Field(default=0, ge=0)
    conditions: list[Condition] = Field(default_factory=list)
    deployment: str | None = None
    consumer_group: str | None = None
    replicas: int = Field(default=0, ge=0)
    ready_replicas: int = Field(default=0, ge=0)
    config_hash: str | None = None
    trading: TradingFigures | None = Field(
        default=None, description="Live P&L and positions, refreshed every few seconds."
    )
    instruments_over_capacity: list[int] | None = Field(
        default=None,
        max_length=3000,
        description="Instruments of this strategy the market feed cannot stream: beyond Kite's"
        " 3 connections x 3,000 instruments. Empty when every one streams.",
    )


class BrokerSessionStatus(Resource):
    """What the operator observed for a BrokerSession."""

    phase: SessionPhase = SessionPhase.PENDING
    observed_generation: int = Field(default=0, ge=0)
    conditions: list[Condition] = Field(default_factory=list)
    expires_at: AwareDatetime | None = None
    credentials_hash: str | None = None
    deployments: list[str] = Field(default_factory=list)
