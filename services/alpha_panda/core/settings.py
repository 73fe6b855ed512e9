"""Environment settings of a service process: addresses, identity and broker credentials."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.values import Namespace

ENV_PREFIX = "ALPHA_PANDA_"

Name = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")]


class SettingsError(RuntimeError):
    """Raised when the environment holds a missing or invalid setting; names each one."""


class Settings(BaseSettings):
    """Every environment value a service reads; component tuning lives next to each component."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    service_name: Name = Field(description="service identity; the consumer group derives from it")
    namespace: Namespace = Field(description="broker namespace: paper or zerodha")
    group_prefix: Name = "alpha-panda"
    topic_prefix: str = Field(
        default="",
        pattern=r"^([a-z0-9-]+\.){0,3}$",
        description="prefix of every topic and cache key, e.g. `staging.` or `trading.paper.`",
    )
    market_topic_prefix: str | None = Field(
        default=None,
        pattern=r"^([a-z0-9-]+\.){0,3}$",
        description="prefix of the shared market topic; the topic prefix when unset",
    )
    kafka_bootstrap: str = Field(description="host:port[,host:port...]")
    postgres_dsn: SecretStr
    redis_url: SecretStr
    http_port: int = Field(default=8080, ge=0, le=65535)
    kite_api_key: str = ""
    kite_access_token: SecretStr = SecretStr("")
    kite_access_token_file: Path | None = None
    kite_root: str = "https://api.kite.trade"
    kite_ws_url: str = "wss://ws.kite.trade"
    strategy_id: str = ""
    strategy_warmup_seconds: float = Field(
        default=300.0,
        ge=0,
        description="how far back a new strategy runner starts on the market topic",
    )
    outage_seconds: float = Field(
        default=300.0,
        ge=0,
        description="how long a service waits out a lost PostgreSQL or Kafka before it exits",
    )
    reconcile_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how often the live engine compares Kite's books with the ledger",
    )
    order_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often the live engine reads its working orders"
    )
    feed_definition_topics: str = Field(
        default="",
        description="comma-separated definitions topics the market feed follows: the operator"
        " lists those of every BrokerSession sharing the feed; empty: this deployment's own,"
        " of every broker namespace",
    )
    strategy_resources_namespace: str = Field(
        default="",
        description="the Kubernetes namespace whose TradingStrategy resources the API pauses and"
        " resumes (under the operator, spec.paused is the one kill switch); empty: the API"
        " publishes definitions itself",
    )
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_form(cls, value: str) -> str:
        if not re.fullmatch(r"[^,\s:]+:\d+(,[^,\s:]+:\d+)*", value):
            raise ValueError("expected host:port[,host:port...]")
        return value

    @field_validator("postgres_dsn")
    @classmethod
    def _postgres_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("expected postgresql://user@host:port/database")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError("expected redis://host:port/db")
        return value

    @property
    def topics(self) -> TopicMap:
        """Return the topic names of this process's namespace."""
        return TopicMap(self.namespace, self.topic_prefix, self.market_topic_prefix)

    @property
    def consumer_group(self) -> str:
        """Return this service's own consumer group: `{group_prefix}.{service_name}`."""
        return f"{self.group_prefix}.{self.service_name}"

    def access_token(self) -> SecretStr:
        """Return the Kite access token, read from the mounted file when one is configured."""
        if self.kite_access_token_file is not None:
            return SecretStr(self.kite_access_token_file.read_text().strip())
        return self.kite_access_token


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, raising `SettingsError` naming every bad one."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            env = ENV_PREFIX + field.upper()
            described = Settings.model_fields.get(field)
            hint = f" ({described.description})" if described and described.description else ""
            lines.append(f"  {env}: {problem['msg']}{hint}")
        raise SettingsError("invalid configuration:\n" + "\n".join(lines)) from None
