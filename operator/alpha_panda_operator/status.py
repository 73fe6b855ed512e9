"""Status helpers: conditions that keep their transition time, phase and observedGeneration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from alpha_panda_operator.models import BrokerSessionStatus, Condition, TradingStrategyStatus

WRITTEN_BY_OTHERS = {"trading", "instruments_over_capacity"}
"""Status fields the live-figures loop writes; the reconciler leaves them alone."""


@dataclass(frozen=True)
class Observation:
    """One condition as the reconciler sees it now."""

    type: str
    status: bool
    reason: str
    message: str


def merge_conditions(
    previous: Sequence[Mapping[str, Any]],
    observations: Sequence[Observation],
    generation: int,
    now: datetime,
) -> list[Condition]:
    """Return the conditions after `observations`, keeping lastTransitionTime when unchanged."""
    now = now.replace(microsecond=0)
    known = {item.get("type"): item for item in previous}
    merged = []
    for observation in observations:
        status = "True" if observation.status else "False"
        before = known.get(observation.type) or {}
        unchanged = before.get("status") == status
        merged.append(
            Condition(
                type=observation.type,
                status=status,
                reason=observation.reason,
                message=observation.message,
                last_transition_time=before["lastTransitionTime"] if unchanged else now,
                observed_generation=generation,
            )
        )
    return merged


def strategy_status(
    resource: Mapping[str, Any], observations: Sequence[Observation], now: datetime, **fields: Any
) -> dict[str, Any]:
    """Return the status patch of a TradingStrategy, with only declared fields."""
    return _status(TradingStrategyStatus, resource, observations, now, fields)


def session_status(
    resource: Mapping[str, Any], observations: Sequence[Observation], now: datetime, **fields: Any
) -> dict[str, Any]:
    """Return the status patch of a BrokerSession, with only declared fields."""
    return _status(BrokerSessionStatus, resource, observations, now, fields)


def _status(
    model: type[BaseModel],
    resource: Mapping[str, Any],
    observations: Sequence[Observation],
    now: datetime,
    fields: dict[str, Any],
) -> dict[str, Any]:
    generation = int(resource["metadata"].get("generation", 0))
    previous = (resource.get("status") or {}).get("conditions") or []
    status = model(
        observed_generation=generation,
        conditions=merge_conditions(previous, observations, generation, now),
        **fields,
    )
    # null removes a field in a merge patch; fields others write are left out altogether
    return status.model_dump(mode="json", by_alias=True, exclude=WRITTEN_BY_OTHERS)


def condition_status(resource: Mapping[str, Any], condition_type: str) -> str:
    """Return "True", "False" or "Unknown" for a condition of a resource's status."""
    for condition in (resource.get("status") or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return str(condition.get("status", "Unknown"))
    return "Unknown"
