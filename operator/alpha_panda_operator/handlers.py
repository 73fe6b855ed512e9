"""kopf handlers: each reads the resource and hands it to its reconciler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import kopf

from alpha_panda_operator import GROUP, VERSION
from alpha_panda_operator.cluster import Cluster
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.definitions import retire_soon
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.live_figures import FiguresPublisher
from alpha_panda_operator.resync import Heartbeat, resync_and_record, resync_forever
from alpha_panda_operator.sessions import PLURAL as SESSIONS
from alpha_panda_operator.sessions import reconcile_session
from alpha_panda_operator.strategies import PLURAL as STRATEGIES
from alpha_panda_operator.strategies import reconcile_strategy
from alpha_panda_operator.workloads import MANAGED_BY, MANAGED_BY_LABEL

RETRY_SECONDS = 5
OWNER_PLURALS = {"TradingStrategy": STRATEGIES, "BrokerSession": SESSIONS}


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """Log in as the pod's service account, or else with the kubeconfig of $KUBECONFIG."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Keep kopf's bookkeeping in annotations, connect, resync once and start the loops."""
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=GROUP)
    # no cluster-wide watch of CRDs and namespaces: the Role stays namespaced, and the CRDs
    # exist before the operator starts (the chart installs them first)
    settings.scanning.disabled = True
    settings.posting.level = logging.WARNING
    settings.execution.max_workers = 16
    memo.config = OperatorConfig()
    memo.cluster = Cluster.from_environment()
    memo.ready_replicas = {}
    memo.heartbeat = Heartbeat()
    # the first resync before the probes answer: ready means every resource was reconciled once
    next_expiry = await resync_and_record(memo.cluster, memo.config, memo.heartbeat)
    memo.resync = asyncio.create_task(
        resync_forever(memo.cluster, memo.config, memo.heartbeat, next_expiry)
    )
    memo.figures = asyncio.create_task(FiguresPublisher(memo.cluster, memo.config).run_forever())


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    """Stop the periodic resync and the copying of live figures."""
    memo.resync.cancel()
    memo.figures.cancel()


@kopf.on.probe(id="resync")
def resync_probe(memo: kopf.Memo, **_: Any) -> str:
    """Answer the readiness probe: fail until a resync completes, and when they stop."""
    problem = memo.heartbeat.problem(datetime.now(UTC), memo.config.resync_seconds)
    if problem is not None:
        raise kopf.PermanentError(problem)
    return str(memo.heartbeat.last.isoformat())


@kopf.on.resume(GROUP, VERSION, STRATEGIES, backoff=RETRY_SECONDS)
@kopf.on.create(GROUP, VERSION, STRATEGIES, backoff=RETRY_SECONDS)
@kopf.on.update(GROUP, VERSION, STRATEGIES, backoff=RETRY_SECONDS)
def strategy_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Reconcile a TradingStrategy that appeared or changed."""
    if not body.metadata.get("deletionTimestamp"):
        reconcile_strategy(memo.cluster, memo.config, dict(body))


@kopf.on.delete(GROUP, VERSION, STRATEGIES, optional=True)
def strategy_deleted(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Retire a deleted strategy on its definitions stream (no finalizer: best effort)."""
    spec = body.get("spec") or {}
    session = (spec.get("brokerSessionRef") or {}).get("name")
    if session and spec.get("namespace"):
        scope = SessionScope(body["metadata"]["namespace"], session, str(spec["namespace"]))
        retire_soon(memo.config, scope, dict(body), str(spec["namespace"]))


@kopf.on.resume(GROUP, VERSION, SESSIONS, backoff=RETRY_SECONDS)
@kopf.on.create(GROUP, VERSION, SESSIONS, backoff=RETRY_SECONDS)
@kopf.on.update(GROUP, VERSION, SESSIONS, backoff=RETRY_SECONDS)
def session_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    """Reconcile a BrokerSession that appeared or changed."""
    if not body.metadata.get("deletionTimestamp"):
        reconcile_session(memo.cluster, memo.config, dict(body))


@kopf.on.event("apps", "v1", "deployments", labels={MANAGED_BY_LABEL: MANAGED_BY})
def child_changed(
    type: str,
    body: kopf.Body,
    memo: kopf.Memo,
    **_: Any,
) -> None:
    """Repair a deleted child at once, and refresh the owner's status when readiness moves."""
    uid = body.metadata.uid
    if type == "DELETED":
        memo.ready_replicas.pop(uid, None)
    else:
        ready = int(body.get("status", {}).get("readyReplicas") or 0)
        previous = memo.ready_replicas.get(uid, 0)
        memo.ready_replicas[uid] = ready
        if ready == previous:
            return
    owner = _owner(memo.cluster, str(body.metadata.namespace), body.metadata.get("ownerReferences"))
    if owner is None or owner["metadata"].get("deletionTimestamp"):
        return
    if owner["kind"] == "TradingStrategy":
        reconcile_strategy(memo.cluster, memo.config, owner)
    else:
        reconcile_session(memo.cluster, memo.config, owner)


def _owner(
    cluster: Cluster, namespace: str, references: list[Mapping[str, Any]] | None
) -> dict[str, Any] | None:
    for reference in references or []:
        plural = OWNER_PLURALS.get(reference.get("kind", ""))
        if reference.get("controller") and plural and reference["apiVersion"].startswith(GROUP):
            return cluster.get_resource(plural, namespace, reference["name"])
    return None
