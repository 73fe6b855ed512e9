"""Pure builders of the Deployments the operator owns: same inputs, same dict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from alpha_panda_operator import GROUP
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.models import BrokerSessionSpec, TradingStrategySpec

Manifest = dict[str, Any]

APPLICATION = "alpha-panda"
MANAGED_BY = "alpha-panda-operator"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
STRATEGY_LABEL = f"{GROUP}/trading-strategy"
SESSION_LABEL = f"{GROUP}/broker-session"
BROKER_NAMESPACE_LABEL = f"{GROUP}/broker-namespace"
CONFIG_HASH_ANNOTATION = f"{GROUP}/config-hash"
STRATEGY_RUNNER = "strategy-runner"
USER_ID = 10001
MAX_STRATEGY_NAME = 63 - len(STRATEGY_RUNNER) - 1


class SharedService(StrEnum):
    """Services a BrokerSession runs for its broker namespace."""

    MARKET_FEED = "market-feed"
    RISK_MANAGER = "risk-manager"
    TRADING_ENGINE = "trading-engine"
    PORTFOLIO_MANAGER = "portfolio-manager"


LIVE_TRADING = frozenset({SharedService.MARKET_FEED, SharedService.TRADING_ENGINE})
"""Services that stop when the session is not usable (expired or invalid credentials)."""

KITE_CLIENTS = frozenset({*LIVE_TRADING, SharedService.PORTFOLIO_MANAGER})
"""Services that receive the Kite credentials (the portfolio reconciles against Kite)."""


def config_hash(*parts: object) -> str:
    """Return a short, stable hash of JSON-serialisable parts."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def strategy_deployment_name(strategy_name: str) -> str:
    """Return the name of a TradingStrategy's runner Deployment."""
    return f"{STRATEGY_RUNNER}-{strategy_name}"


def strategy_service_name(strategy_name: str) -> str:
    """Return the runner's service name, from which its consumer group derives."""
    return f"{STRATEGY_RUNNER}.{strategy_name}"


def service_deployment_name(session_name: str, service: SharedService) -> str:
    """Return the name of a BrokerSession's Deployment of `service`."""
    return f"{session_name}-{service}"


def strategy_scope(kubernetes_namespace: str, spec: TradingStrategySpec) -> SessionScope:
    """Return the scope a strategy runs in: that of the BrokerSession it trades through."""
    return SessionScope(kubernetes_namespace, spec.broker_session_ref.name, str(spec.namespace))


def build_strategy_deployment(
    name: str,
    kubernetes_namespace: str,
    spec: TradingStrategySpec,
    config: OperatorConfig,
    replicas: int,
) -> Manifest:
    """Return the strategy-runner Deployment of the TradingStrategy `name`."""
    runner = json.dumps(runner_configuration(name, spec), sort_keys=True, separators=(",", ":"))
    scope = strategy_scope(kubernetes_namespace, spec)
    env = [
        *_platform_env(strategy_service_name(name), scope, config),
        _value("STRATEGY_ID", name),
        _value("STRATEGY_SPEC", runner),
    ]
    selector = {COMPONENT_LABEL: STRATEGY_RUNNER, STRATEGY_LABEL: name}
    labels = {
        **_common_labels(name),
        **selector,
        SESSION_LABEL: spec.broker_session_ref.name,
        BROKER_NAMESPACE_LABEL: spec.namespace,
    }
    return _deployment(
        strategy_deployment_name(name), STRATEGY_RUNNER, labels, selector, env, replicas, config
    )


def runner_configuration(name: str, spec: TradingStrategySpec) -> Manifest:
    """Return the strategy configuration the runner reads from ALPHA_PANDA_STRATEGY_SPEC.

    `paused` stays out: pausing scales the runner to zero and must not roll its pods.
    """
    return {
        "strategy_id": name,
        "namespace": str(spec.namespace),
        "strategy_type": str(spec.strategy_type),
        "instruments": [instrument.instrument_token for instrument in spec.instruments],
        "parameters": spec.parameters,
        "risk_limits": spec.risk_limits.model_dump(mode="json", exclude_none=True),
    }


def build_service_deployment(
    scope: SessionScope,
    service: SharedService,
    spec: BrokerSessionSpec,
    config: OperatorConfig,
    replicas: int,
    credentials_hash: str,
    feed_definitions: Sequence[str] = (),
) -> Manifest:
    """Return the Deployment of one shared `service` of the BrokerSession of `scope`; the
    market feed follows `feed_definitions` (the definitions topics of the sessions it serves)."""
    session_name = scope.session
    env = _platform_env(str(service), scope, config)
    if service is SharedService.MARKET_FEED and feed_definitions:
        env.append(_value("FEED_DEFINITION_TOPICS", ",".join(feed_definitions)))
    extra_hash_inputs: list[str] = []
    if service in KITE_CLIENTS:
        optional = service not in LIVE_TRADING
        secret = spec.secret_ref
        env += [
            _secret("KITE_API_KEY", secret.name, secret.api_key_key, optional),
            _secret("KITE_ACCESS_TOKEN", secret.name, secret.access_token_key, optional),
        ]
        if spec.kite_root:
            env.append(_value("KITE_ROOT", spec.kite_root))
        if spec.kite_websocket_url:
            env.append(_value("KITE_WS_URL", spec.kite_websocket_url))
        # env from a Secret does not change the pod template: the hash makes a new token roll
        extra_hash_inputs.append(credentials_hash)
    selector = {COMPONENT_LABEL: str(service), SESSION_LABEL: session_name}
    labels = {
        **_common_labels(session_name),
        **selector,
        BROKER_NAMESPACE_LABEL: spec.namespace,
    }
    return _deployment(
        service_deployment_name(session_name, service),
        str(service),
        labels,
        selector,
        env,
        replicas,
        config,
        extra_hash_inputs,
    )


def _deployment(
    name: str,
    service: str,
    labels: dict[str, str],
    selector: dict[str, str],
    env: list[Manifest],
    replicas: int,
    config: OperatorConfig,
    extra_hash_inputs: list[str] | None = None,
) -> Manifest:
    pod_spec = _pod_spec(service, env, config)
    digest = config_hash(labels, pod_spec, *(extra_hash_inputs or []))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            # one consumer per group member at a time: never two trading engines side by side
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 3,
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        CONFIG_HASH_ANNOTATION: digest,
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(config.workload_http_port),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": pod_spec,
            },
        },
    }


def _pod_spec(service: str, env: list[Manifest], config: OperatorConfig) -> Manifest:
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 30,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": USER_ID,
            "runAsGroup": USER_ID,
            "fsGroup": USER_ID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": service,
                "image": config.image,
                "imagePullPolicy": config.image_pull_policy,
                "command": ["alpha-panda", "serve", service],
                "env": env,
                "ports": [
                    {"name": "http", "containerPort": config.workload_http_port, "protocol": "TCP"}
                ],
                # liveness and readiness start once the process answers: a slow start (migrations,
                # topic checks, a cold image) is given two minutes instead of being killed
                "startupProbe": _probe("/healthz", period=2, failures=60),
                "readinessProbe": _probe("/readyz", period=5, failures=3),
                "livenessProbe": _probe("/healthz", period=10, failures=3),
                "resources": {
                    "requests": {"cpu": "50m", "memory": "128Mi"},
                    "limits": {"memory": "512Mi"},
                },
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 (a pod path)
            }
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
    }


def _probe(path: str, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def _platform_env(service_name: str, scope: SessionScope, config: OperatorConfig) -> list[Manifest]:
    env = [
        _value("SERVICE_NAME", service_name),
        _value("NAMESPACE", scope.broker_namespace),
        _value("GROUP_PREFIX", scope.group_prefix(config.group_prefix)),
        _value("TOPIC_PREFIX", scope.topic_prefix),
        _value("MARKET_TOPIC_PREFIX", scope.market_topic_prefix),
        _value("KAFKA_BOOTSTRAP", config.kafka_bootstrap),
        _value("HTTP_PORT", str(config.workload_http_port)),
        _secret("POSTGRES_DSN", config.infra_secret, "postgres-dsn"),
        _secret("REDIS_URL", config.infra_secret, "redis-url"),
    ]
    if config.otlp_endpoint:
        env += [
            {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": config.otlp_endpoint},
            {"name": "OTEL_SERVICE_NAME", "value": service_name},
            {
                "name": "OTEL_RESOURCE_ATTRIBUTES",
                "value": f"k8s.namespace.name={scope.kubernetes_namespace},"
                f"alphapanda.broker_session={scope.session}",
            },
        ]
    return env


def _value(name: str, value: str) -> Manifest:
    return {"name": f"ALPHA_PANDA_{name}", "value": value}


def _secret(name: str, secret: str, key: str, optional: bool = False) -> Manifest:
    reference: Manifest = {"name": secret, "key": key}
    if optional:
        reference["optional"] = True
    return {"name": f"ALPHA_PANDA_{name}", "valueFrom": {"secretKeyRef": reference}}


def _common_labels(instance: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": APPLICATION,
        "app.kubernetes.io/instance": instance,
        MANAGED_BY_LABEL: MANAGED_BY,
    }
