"""Reconcile a TradingStrategy: its runner Deployment and its status."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import kopf
from pydantic import ValidationError

from alpha_panda.adapters.kubernetes.strategy_resources import PLURAL as STRATEGY_RESOURCES
from alpha_panda.domain.risk.limits import RiskLimits
from alpha_panda.domain.strategies.registry import StrategyConfigError, build_strategy
from alpha_panda_operator.cluster import Applied, Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.definitions import publish_soon
from alpha_panda_operator.models import StrategyPhase, TradingStrategySpec
from alpha_panda_operator.status import Observation, condition_status, strategy_status
from alpha_panda_operator.workloads import (
    CONFIG_HASH_ANNOTATION,
    MAX_STRATEGY_NAME,
    build_strategy_deployment,
    runner_configuration,
    strategy_deployment_name,
    strategy_scope,
    strategy_service_name,
)

PLURAL = STRATEGY_RESOURCES
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
SESSIONS = "brokersessions"

logger = logging.getLogger(__name__)


def reconcile_strategy(
    cluster: Cluster,
    config: OperatorConfig,
    resource: Mapping[str, Any],
    now: datetime | None = None,
) -> None:
    """Bring a TradingStrategy's runner Deployment and status in line with its spec."""
    now = now or datetime.now(UTC)
    name, namespace = resource["metadata"]["name"], resource["metadata"]["namespace"]
    paused = pause_requested(resource["spec"])
    spec, problem = _parse(name, resource["spec"])
    if spec is None:
        _hold_invalid(cluster, resource, problem, paused, now)
        return
    session = cluster.get_resource(SESSIONS, namespace, spec.broker_session_ref.name)
    session_ready = session_observation(session, spec)
    replicas = runner_replicas(paused=spec.paused, session_usable=session_ready.status)
    desired = build_strategy_deployment(name, namespace, spec, config, replicas)
    kopf.adopt(desired, owner=cast(kopf.Body, dict(resource)))  # a plain dict is all kopf reads
    publish_soon(cluster, config, strategy_scope(namespace, spec), resource, spec)
    applied = cluster.apply_deployment(namespace, desired)
    deployment = desired["metadata"]["name"]
    if applied is not Applied.UNCHANGED:
        cluster.record_event(
            resource,
            f"Deployment{applied}",
            f"{applied} Deployment {deployment} with {replicas} replica(s)",
        )
    current = (
        cluster.get_deployment(namespace, deployment) if applied is Applied.UNCHANGED else None
    )
    ready_replicas = int(((current or {}).get("status") or {}).get("readyReplicas") or 0)
    phase, ready = _phase(spec, session_ready, ready_replicas)
    scope = strategy_scope(namespace, spec)
    _write_status(
        cluster,
        resource,
        [session_ready, _pause_observation(spec.paused), ready],
        now,
        phase=phase,
        deployment=deployment,
        consumer_group=scope.consumer_group(config.group_prefix, strategy_service_name(name)),
        replicas=replicas,
        ready_replicas=ready_replicas,
        config_hash=desired["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION],
    )


def runner_replicas(paused: bool, session_usable: bool) -> int:
    """Return how many runners a strategy gets: none while paused or its session is unusable."""
    return 0 if paused or not session_usable else 1


def pause_requested(raw_spec: Mapping[str, Any]) -> bool:
    """Tell whether the spec asks for a pause, whatever else in it is valid or not."""
    return raw_spec.get("paused") is True


def _hold_invalid(
    cluster: Cluster, resource: Mapping[str, Any], problem: str, paused: bool, now: datetime
) -> None:
    """Fail an invalid spec; its runner keeps the last valid spec unless the edit also pauses."""
    metadata = resource["metadata"]
    deployment = strategy_deployment_name(metadata["name"])
    if paused and cluster.scale_deployment(metadata["namespace"], deployment, 0):
        cluster.record_event(resource, "RunnerPaused", f"Scaled {deployment} to 0: spec.paused")
    held = "spec.paused holds the runner at zero" if paused else "the runner keeps its last spec"
    ready = Observation("Ready", False, "InvalidSpec", f"{problem}; {held}")
    _write_status(
        cluster, resource, [_pause_observation(paused), ready], now, phase=StrategyPhase.FAILED
    )


def _pause_observation(paused: bool) -> Observation:
    if paused:
        return Observation("Paused", True, "PausedBySpec", "spec.paused scales the runner to zero")
    return Observation("Paused", False, "NotPaused", "spec.paused is false")


def session_observation(
    session: Mapping[str, Any] | None, spec: TradingStrategySpec
) -> Observation:
    """Return whether the referenced BrokerSession lets this strategy trade, and why."""
    reference = spec.broker_session_ref.name
    if session is None:
        return Observation(
            "SessionReady", False, "SessionNotFound", f"BrokerSession {reference} does not exist"
        )
    if session["spec"].get("namespace") != spec.namespace:
        return Observation(
            "SessionReady",
            False,
            "NamespaceMismatch",
            f"BrokerSession {reference} trades in {session['spec'].get('namespace')}, "
            f"this strategy in {spec.namespace}",
        )
    if condition_status(session, "Ready") != "True":
        phase = (session.get("status") or {}).get("phase", "Pending")
        return Observation(
            "SessionReady", False, "SessionNotReady", f"BrokerSession {reference} is {phase}"
        )
    return Observation("SessionReady", True, "SessionReady", f"BrokerSession {reference} is Ready")


def _parse(name: str, raw_spec: Mapping[str, Any]) -> tuple[TradingStrategySpec | None, str]:
    if not DNS_LABEL.fullmatch(name):
        return None, "name must be a DNS label (lowercase letters, digits and '-', no dots)"
    if len(name) > MAX_STRATEGY_NAME:
        return (
            None,
            f"name longer than {MAX_STRATEGY_NAME} characters: the consumer group "
            "would exceed Kafka-safe length",
        )
    try:
        spec = TradingStrategySpec.model_validate(raw_spec)
        runner = runner_configuration(name, spec)
        build_strategy(name, spec.strategy_type, runner["instruments"], spec.parameters)
        RiskLimits.model_validate(runner["risk_limits"])
    except ValidationError as error:
        problem = error.errors()[0]
        location = ".".join(str(part) for part in problem["loc"])
        return None, f"invalid spec: {location}: {problem['msg']}"
    except StrategyConfigError as error:
        return None, str(error)
    return spec, ""


def _phase(
    spec: TradingStrategySpec, session_ready: Observation, ready_replicas: int
) -> tuple[StrategyPhase, Observation]:
    if spec.paused:
        return StrategyPhase.PAUSED, Observation(
            "Ready", False, "Paused", "spec.paused scales the runner to zero"
        )
    if not session_ready.status:
        return StrategyPhase.HALTED, Observation(
            "Ready", False, session_ready.reason, session_ready.message
        )
    if ready_replicas > 0:
        return StrategyPhase.RUNNING, Observation(
            "Ready", True, "RunnerReady", "the runner passes its readiness probe"
        )
    return StrategyPhase.PENDING, Observation(
        "Ready", False, "RunnerStarting", "waiting for the runner's readiness probe"
    )


def _write_status(
    cluster: Cluster,
    resource: Mapping[str, Any],
    observations: list[Observation],
    now: datetime,
    **fields: Any,
) -> None:
    status = strategy_status(resource, observations, now, **fields)
    previous = resource.get("status") or {}
    if all(previous.get(key) == value for key, value in status.items()):
        return
    metadata = resource["metadata"]
    cluster.patch_status(PLURAL, metadata["namespace"], metadata["name"], status)
    if previous.get("phase") != status["phase"]:
        ready = next(item for item in observations if item.type == "Ready")
        cluster.record_event(
            resource,
            str(status["phase"]),
            ready.message,
            warning=status["phase"] == StrategyPhase.FAILED,
        )
        logger.info(
            "TradingStrategy %s/%s is %s: %s",
            metadata["namespace"],
            metadata["name"],
            status["phase"],
            ready.message,
        )
