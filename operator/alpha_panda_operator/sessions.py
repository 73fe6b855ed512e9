"""Reconcile a BrokerSession: credentials, expiry, the shared Deployments and its status."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.values import Namespace
from alpha_panda_operator.cluster import Applied, Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.expiry import next_token_expiry
from alpha_panda_operator.isolation import isolation_observation, scope_of
from alpha_panda_operator.models import BrokerSessionSpec, SessionPhase
from alpha_panda_operator.status import Observation, condition_status, session_status
from alpha_panda_operator.strategies import PLURAL as STRATEGIES
from alpha_panda_operator.strategies import reconcile_strategy
from alpha_panda_operator.tokens import check_token, settled_verdict
from alpha_panda_operator.workloads import (
    LIVE_TRADING,
    SharedService,
    build_service_deployment,
    service_deployment_name,
)

PLURAL = "brokersessions"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    """What the referenced Secret holds: whether it is complete, and its fingerprint."""

    present: Observation
    fingerprint: str
    api_key: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)


def reconcile_session(
    cluster: Cluster,
    config: OperatorConfig,
    resource: Mapping[str, Any],
    now: datetime | None = None,
) -> tuple[bool, datetime | None]:
    """Bring a BrokerSession's Deployments and status in line; return (usable, expiry)."""
    now = now or datetime.now(UTC)
    name, namespace = resource["metadata"]["name"], resource["metadata"]["namespace"]
    spec = BrokerSessionSpec.model_validate(resource["spec"])
    previous = resource.get("status") or {}
    credentials = read_credentials(cluster, namespace, spec)
    valid = _validity(config, spec, previous, credentials)
    isolated = _isolation(cluster, config, resource)
    expires_at = _expiry(spec, previous, credentials.fingerprint, now)
    expired = expires_at is not None and now >= expires_at
    usable = valid.status and isolated.status and not expired
    deployments = _apply_services(
        cluster, config, resource, spec, usable, isolated.status, credentials.fingerprint
    )
    expiry = _expiry_observation(expires_at, expired)
    phase, ready = _readiness(valid, isolated, expiry, usable)
    status = session_status(
        resource,
        [valid, isolated, expiry, ready],
        now,
        phase=phase,
        expires_at=expires_at,
        credentials_hash=credentials.fingerprint or None,
        deployments=deployments,
    )
    if any(previous.get(key) != value for key, value in status.items()):
        cluster.patch_status(PLURAL, namespace, name, status)
    if previous.get("phase") != phase:
        cluster.record_event(resource, str(phase), ready.message, warning=not usable)
        logger.info("BrokerSession %s/%s is %s: %s", namespace, name, phase, ready.message)
    if condition_status(resource, "Ready") != ("True" if usable else "False"):
        _reconcile_strategies(cluster, config, namespace, name, now)
    return usable, expires_at


def _validity(
    config: OperatorConfig,
    spec: BrokerSessionSpec,
    previous: Mapping[str, Any],
    credentials: Credentials,
) -> Observation:
    """Return whether Kite takes the token, asking it once per token the operator sees."""
    if not credentials.present.status:
        return credentials.present
    settled = settled_verdict(previous, credentials.fingerprint)
    if settled is not None:
        return settled
    return check_token(
        credentials.api_key, credentials.access_token, spec.kite_root or config.kite_root
    )


def _isolation(
    cluster: Cluster, config: OperatorConfig, resource: Mapping[str, Any]
) -> Observation:
    problem = scope_of(resource).problem(config.group_prefix)
    if problem is not None:
        return Observation("Isolated", False, "NamesTooLong", problem)
    others = cluster.list_resources(PLURAL, resource["metadata"]["namespace"])
    return isolation_observation(resource, others)


def _apply_services(
    cluster: Cluster,
    config: OperatorConfig,
    resource: Mapping[str, Any],
    spec: BrokerSessionSpec,
    usable: bool,
    isolated: bool,
    fingerprint: str,
) -> list[str]:
    """Create or update the session's shared services; return the Deployments it owns."""
    scope = scope_of(resource)
    name, namespace = scope.session, scope.kubernetes_namespace
    deployments = []
    for service in SharedService:
        deployment = service_deployment_name(name, service)
        if service is SharedService.MARKET_FEED and not spec.market_feed:
            if cluster.delete_deployment(namespace, deployment):
                cluster.record_event(
                    resource, "DeploymentDeleted", f"Deleted {deployment}: spec.marketFeed is false"
                )
            continue
        replicas = service_replicas(service, usable=usable, isolated=isolated)
        feed_definitions = (
            served_definitions(cluster.list_resources(PLURAL, namespace))
            if service is SharedService.MARKET_FEED
            else ()
        )
        desired = build_service_deployment(
            scope, service, spec, config, replicas, fingerprint, feed_definitions
        )
        kopf.adopt(desired, owner=cast(kopf.Body, dict(resource)))  # a plain dict is all kopf reads
        applied = cluster.apply_deployment(namespace, desired)
        if applied is not Applied.UNCHANGED:
            cluster.record_event(
                resource,
                f"Deployment{applied}",
                f"{applied} Deployment {deployment} with {replicas} replica(s)",
            )
        deployments.append(deployment)
    return deployments


def served_definitions(sessions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the definitions topics of every BrokerSession of a Kubernetes namespace: its one
    market feed streams the instruments of all their strategies (ticks are shared)."""
    topics = set()
    for session in sessions:
        try:
            broker_namespace = Namespace(session["spec"]["namespace"])
        except (KeyError, TypeError, ValueError):
            continue  # an invalid spec has no strategies to stream
        topics.add(TopicMap(broker_namespace, scope_of(session).topic_prefix).strategies)
    return sorted(topics)


def service_replicas(service: SharedService, usable: bool, isolated: bool) -> int:
    """Return a shared service's replicas: none when refused, no live trading when unusable."""
    if not isolated:
        return 0
    return 1 if usable or service not in LIVE_TRADING else 0


def _readiness(
    valid: Observation, isolated: Observation, expiry: Observation, usable: bool
) -> tuple[SessionPhase, Observation]:
    if usable:
        return SessionPhase.READY, Observation(
            "Ready", True, "SessionUsable", "live trading may run"
        )
    if not isolated.status:
        return SessionPhase.REFUSED, Observation(
            "Ready", False, "NotIsolated", f"every service scaled to zero: {isolated.message}"
        )
    reason = valid.message if not valid.status else expiry.message
    stopped = Observation(
        "Ready", False, "LiveTradingStopped", f"live trading scaled to zero: {reason}"
    )
    return (SessionPhase.INVALID if not valid.status else SessionPhase.EXPIRED), stopped


def read_credentials(cluster: Cluster, namespace: str, spec: BrokerSessionSpec) -> Credentials:
    """Read the API key and access token from the Secret; fingerprint them."""
    reference = spec.secret_ref
    data = cluster.get_secret_data(namespace, reference.name)
    if data is None:
        return Credentials(
            Observation(
                "Valid", False, "SecretNotFound", f"Secret {reference.name} does not exist"
            ),
            "",
        )
    values = []
    for key in (reference.api_key_key, reference.access_token_key):
        try:
            value = base64.b64decode(data.get(key, ""), validate=True).strip()
        except binascii.Error:
            value = b""
        if not value:
            return Credentials(
                Observation(
                    "Valid",
                    False,
                    "SecretIncomplete",
                    f"Secret {reference.name} has no value for {key}",
                ),
                "",
            )
        values.append(value)
    fingerprint = hashlib.sha256(b"\0".join(values)).hexdigest()[:16]
    return Credentials(
        Observation(
            "Valid",
            True,
            "CredentialsPresent",
            f"Secret {reference.name} holds an API key and access token",
        ),
        fingerprint,
        api_key=values[0].decode(errors="replace"),
        access_token=values[1].decode(errors="replace"),
    )


def _expiry(
    spec: BrokerSessionSpec, previous: Mapping[str, Any], fingerprint: str, now: datetime
) -> datetime | None:
    if spec.expires_at is not None:
        return spec.expires_at.astimezone(UTC)
    if not fingerprint:
        return None
    if previous.get("credentialsHash") == fingerprint and previous.get("expiresAt"):
        return datetime.fromisoformat(previous["expiresAt"]).astimezone(UTC)
    # a token the operator has not seen before was issued at the latest now
    return next_token_expiry(now)


def _expiry_observation(expires_at: datetime | None, expired: bool) -> Observation:
    if expires_at is None:
        return Observation("Expired", False, "NoCredentials", "no token to expire")
    when = expires_at.isoformat()
    if expired:
        return Observation("Expired", True, "TokenExpired", f"the access token expired at {when}")
    return Observation("Expired", False, "TokenCurrent", f"the access token expires at {when}")


def _reconcile_strategies(
    cluster: Cluster, config: OperatorConfig, namespace: str, session: str, now: datetime
) -> None:
    """Start or stop at once the strategies trading through a session whose usability changed."""
    for strategy in cluster.list_resources(STRATEGIES, namespace):
        if strategy["spec"].get("brokerSessionRef", {}).get("name") == session:
            reconcile_strategy(cluster, config, strategy, now)
