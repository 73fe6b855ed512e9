"""Settings of the operator process, from `ALPHA_PANDA_OPERATOR_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorConfig(BaseSettings):
    """Where the workloads find the shared infrastructure, and how the operator runs."""

    model_config = SettingsConfigDict(env_prefix="ALPHA_PANDA_OPERATOR_", frozen=True)

    image: str = Field(default="alpha-panda:latest", description="Image of every service pod.")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    group_prefix: str = Field(
        default="alpha-panda",
        pattern=r"^[a-z0-9]([a-z0-9.-]{0,40}[a-z0-9])?$",
        description="Consumer group prefix; each BrokerSession's scope is appended to it.",
    )
    kafka_bootstrap: str = Field(default="kafka:9092", pattern=r"^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$")
    infra_secret: str = Field(
        default="alpha-panda-infra",
        description="Secret in each workload namespace with keys postgres-dsn and redis-url.",
    )
    http_port: int = Field(
        default=8080, ge=1, le=65535, description="Port of the operator's own health endpoint."
    )
    workload_http_port: int = Field(
        default=8080,
        ge=1,
        le=65535,
        description="Port every workload serves /healthz, /readyz and /metrics on.",
    )
    otlp_endpoint: str = Field(
        default="",
        pattern=r"^(https?://[^\s]+)?$",
        description="OTLP endpoint every workload exports spans to; none when empty.",
    )
    kite_root: str = Field(
        default="https://api.kite.trade",
        pattern=r"^https?://[^\s]+$",
        description="Kite REST root the operator checks tokens at when a BrokerSession names none.",
    )
    resync_seconds: float = Field(
        default=30.0, gt=0, description="Period of the level-based repair of every resource."
    )
    figures_seconds: float = Field(
        default=5.0,
        gt=0,
        le=10,
        description="Period of copying each strategy's P&L and positions into its status.",
    )
    namespaces: str = Field(
        default="", description="Comma-separated namespaces to watch; empty watches all."
    )

    @property
    def watched_namespaces(self) -> list[str]:
        """Return the namespaces to watch, or an empty list for the whole cluster."""
        return [name.strip() for name in self.namespaces.split(",") if name.strip()]
