"""The Deployment builders are pure: a spec and settings in, the exact manifest out."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.models import BrokerSessionSpec, TradingStrategySpec
from alpha_panda_operator.strategies import pause_requested, runner_replicas
from alpha_panda_operator.workloads import (
    CONFIG_HASH_ANNOTATION,
    SharedService,
    build_service_deployment,
    build_strategy_deployment,
)

CONFIG = OperatorConfig(
    image="registry.local/alpha-panda:1.2.3", kafka_bootstrap="kafka.infra:9092", http_port=8080
)
STRATEGY = TradingStrategySpec.model_validate(
    {
        "strategyType": "momentum",
        "namespace": "paper",
        "brokerSessionRef": {"name": "paper-session"},
        "instruments": [
            {"instrumentToken": 738561, "tradingSymbol": "RELIANCE", "exchange": "NSE"}
        ],
        "parameters": {"lookback": 20},
        "riskLimits": {"maxPositionQuantity": 100, "maxDailyLoss": "5000"},
    }
)
SESSION = BrokerSessionSpec.model_validate(
    {"namespace": "zerodha", "secretRef": {"name": "kite-credentials"}}
)
LIVE = SessionScope("trading", "live", "zerodha")


def env_of(deployment: dict) -> dict[str, object]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def template_hash(deployment: dict) -> str:
    return deployment["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION]


def test_strategy_runner_deployment_is_exactly_the_expected_manifest():
    deployment = build_strategy_deployment(
        "momentum-reliance", "trading", STRATEGY, CONFIG, replicas=1
    )
    labels = {
        "app.kubernetes.io/name": "alpha-panda",
        "app.kubernetes.io/instance": "momentum-reliance",
        "app.kubernetes.io/managed-by": "alpha-panda-operator",
        "app.kubernetes.io/component": "strategy-runner",
        "alphapanda.io/trading-strategy": "momentum-reliance",
        "alphapanda.io/broker-session": "paper-session",
        "alphapanda.io/broker-namespace": "paper",
    }
    runner_spec = {
        "strategy_id": "momentum-reliance",
        "namespace": "paper",
        "strategy_type": "momentum",
        "instruments": [738561],
        "parameters": {"lookback": 20},
        "risk_limits": {
            "max_position_quantity": 100,
            "max_daily_loss": "5000",
            "max_orders_per_day": 200,
        },
    }
    probe = {"periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 3}
    assert deployment == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "strategy-runner-momentum-reliance", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/component": "strategy-runner",
                    "alphapanda.io/trading-strategy": "momentum-reliance",
                }
            },
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 3,
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "alphapanda.io/config-hash": template_hash(deployment),
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": "8080",
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "strategy-runner",
                            "image": "registry.local/alpha-panda:1.2.3",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["alpha-panda", "serve", "strategy-runner"],
                            "env": [
                                {
                                    "name": "ALPHA_PANDA_SERVICE_NAME",
                                    "value": "strategy-runner.momentum-reliance",
                                },
                                {"name": "ALPHA_PANDA_NAMESPACE", "value": "paper"},
                                {
                                    "name": "ALPHA_PANDA_GROUP_PREFIX",
                                    "value": "alpha-panda.trading.paper-session.paper",
                                },
                                {
                                    "name": "ALPHA_PANDA_TOPIC_PREFIX",
                                    "value": "trading.paper-session.",
                                },
                                {"name": "ALPHA_PANDA_MARKET_TOPIC_PREFIX", "value": "trading."},
                                {
                                    "name": "ALPHA_PANDA_KAFKA_BOOTSTRAP",
                                    "value": "kafka.infra:9092",
                                },
                                {"name": "ALPHA_PANDA_HTTP_PORT", "value": "8080"},
                                {
                                    "name": "ALPHA_PANDA_POSTGRES_DSN",
                                    "valueFrom": {
                                        "secretKeyRef": {
                                            "name": "alpha-panda-infra",
                                            "key": "postgres-dsn",
                                        }
                                    },
                                },
                                {
                                    "name": "ALPHA_PANDA_REDIS_URL",
                                    "valueFrom": {
                                        "secretKeyRef": {
                                            "name": "alpha-panda-infra",
                                            "key": "redis-url",
                                        }
                                    },
                                },
                                {"name": "ALPHA_PANDA_STRATEGY_ID", "value": "momentum-reliance"},
                                {
                                    "name": "ALPHA_PANDA_STRATEGY_SPEC",
                                    "value": json.dumps(
                                        runner_spec, sort_keys=True, separators=(",", ":")
                                    ),
                                },
                            ],
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "startupProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                **probe,
                                "periodSeconds": 2,
                                "failureThreshold": 60,
                            },
                            "readinessProbe": {
                                "httpGet": {"path": "/readyz", "port": "http"},
                                **probe,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                **probe,
                                "periodSeconds": 10,
                            },
                            "resources": {
                                "requests": {"cpu": "50m", "memory": "128Mi"},
                                "limits": {"memory": "512Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def test_same_inputs_give_the_same_manifest():
    first = build_strategy_deployment("s", "trading", STRATEGY, CONFIG, replicas=1)
    assert build_strategy_deployment("s", "trading", STRATEGY, CONFIG, replicas=1) == first


def test_spec_change_gives_a_new_pod_template_hash():
    changed = STRATEGY.model_copy(update={"parameters": {"lookback": 30}})
    before = build_strategy_deployment("s", "trading", STRATEGY, CONFIG, replicas=1)
    after = build_strategy_deployment("s", "trading", changed, CONFIG, replicas=1)
    assert template_hash(before) != template_hash(after)


@pytest.mark.parametrize(
    ("paused", "session_usable", "expected"),
    [(False, True, 1), (True, True, 0), (False, False, 0), (True, False, 0)],
)
def test_runner_runs_only_unpaused_on_a_usable_session(paused, session_usable, expected):
    assert runner_replicas(paused=paused, session_usable=session_usable) == expected


def test_pause_scales_the_runner_without_touching_its_pod_template():
    paused_spec = STRATEGY.model_copy(update={"paused": True})
    running = build_strategy_deployment(
        "s", "trading", STRATEGY, CONFIG, runner_replicas(paused=False, session_usable=True)
    )
    paused = build_strategy_deployment(
        "s", "trading", paused_spec, CONFIG, runner_replicas(paused=True, session_usable=True)
    )
    assert (running["spec"]["replicas"], paused["spec"]["replicas"]) == (1, 0)
    assert paused["spec"]["template"] == running["spec"]["template"]


def test_pause_is_read_from_a_spec_the_models_refuse():
    invalid = {"strategyType": "martingale", "paused": True, "instruments": []}
    assert pause_requested(invalid)
    assert not pause_requested({**invalid, "paused": "yes"})
    assert not pause_requested({"strategyType": "momentum"})


def test_strategies_of_one_name_in_two_kubernetes_namespaces_get_two_groups():
    def group(kubernetes_namespace: str) -> str:
        env = env_of(build_strategy_deployment("momo", kubernetes_namespace, STRATEGY, CONFIG, 1))
        return f"{env['ALPHA_PANDA_GROUP_PREFIX']}.{env['ALPHA_PANDA_SERVICE_NAME']}"

    assert group("team-a") != group("team-b")
    assert group("team-a") == "alpha-panda.team-a.paper-session.paper.strategy-runner.momo"


def test_every_workload_has_a_startup_probe_before_liveness():
    deployments = [
        build_strategy_deployment("s", "trading", STRATEGY, CONFIG, 1),
        *(
            build_service_deployment(LIVE, service, SESSION, CONFIG, 1, "f")
            for service in SharedService
        ),
    ]
    for deployment in deployments:
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        startup = container["startupProbe"]
        assert startup["httpGet"]["path"] == "/healthz"
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 60
        assert "initialDelaySeconds" not in container["livenessProbe"]


def test_workload_port_is_set_apart_from_the_operators_own():
    config = CONFIG.model_copy(update={"http_port": 9090, "workload_http_port": 8000})
    deployment = build_strategy_deployment("s", "trading", STRATEGY, config, 1)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8000
    assert env_of(deployment)["ALPHA_PANDA_HTTP_PORT"] == "8000"
    assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "8000"


def test_otlp_endpoint_reaches_every_workload_only_when_set():
    config = CONFIG.model_copy(update={"otlp_endpoint": "http://otel-collector:4318"})
    for deployment in (
        build_strategy_deployment("s", "trading", STRATEGY, config, 1),
        build_service_deployment(LIVE, SharedService.RISK_MANAGER, SESSION, config, 1, "f"),
    ):
        env = env_of(deployment)
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert env["OTEL_SERVICE_NAME"] == env["ALPHA_PANDA_SERVICE_NAME"]
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in env_of(
        build_strategy_deployment("s", "trading", STRATEGY, CONFIG, 1)
    )


def test_consumer_group_of_a_runner_derives_from_its_resource_name():
    env = env_of(build_strategy_deployment("nifty-rsi", "trading", STRATEGY, CONFIG, replicas=1))
    assert f"{env['ALPHA_PANDA_GROUP_PREFIX']}.{env['ALPHA_PANDA_SERVICE_NAME']}" == (
        "alpha-panda.trading.paper-session.paper.strategy-runner.nifty-rsi"
    )


@pytest.mark.parametrize("service", list(SharedService))
def test_shared_service_gets_its_own_name_group_and_probes(service):
    deployment = build_service_deployment(LIVE, service, SESSION, CONFIG, 1, "abc")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = env_of(deployment)
    assert deployment["metadata"]["name"] == f"live-{service}"
    assert env["ALPHA_PANDA_SERVICE_NAME"] == str(service)
    assert env["ALPHA_PANDA_GROUP_PREFIX"] == "alpha-panda.trading.live.zerodha"
    assert env["ALPHA_PANDA_TOPIC_PREFIX"] == "trading.live."
    assert container["command"] == ["alpha-panda", "serve", str(service)]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_live_trading_services_read_the_token_from_the_secret_never_inline():
    env = env_of(
        build_service_deployment(LIVE, SharedService.TRADING_ENGINE, SESSION, CONFIG, 1, "abc")
    )
    assert env["ALPHA_PANDA_KITE_ACCESS_TOKEN"] == {
        "secretKeyRef": {"name": "kite-credentials", "key": "access_token"}
    }
    assert env["ALPHA_PANDA_KITE_API_KEY"] == {
        "secretKeyRef": {"name": "kite-credentials", "key": "api_key"}
    }


def test_risk_manager_gets_no_broker_credentials():
    env = env_of(
        build_service_deployment(LIVE, SharedService.RISK_MANAGER, SESSION, CONFIG, 1, "abc")
    )
    assert not any(name.startswith("ALPHA_PANDA_KITE_") for name in env)


def test_new_credentials_roll_the_pods_of_kite_clients_only():
    def hashes(fingerprint: str) -> dict[SharedService, str]:
        return {
            service: template_hash(
                build_service_deployment(LIVE, service, SESSION, CONFIG, 1, fingerprint)
            )
            for service in SharedService
        }

    before, after = hashes("token-one"), hashes("token-two")
    assert before[SharedService.TRADING_ENGINE] != after[SharedService.TRADING_ENGINE]
    assert before[SharedService.MARKET_FEED] != after[SharedService.MARKET_FEED]
    assert before[SharedService.RISK_MANAGER] == after[SharedService.RISK_MANAGER]


def test_simulator_endpoints_reach_the_kite_clients():
    session = SESSION.model_copy(
        update={"kite_root": "http://kite-sim:8000", "kite_websocket_url": "ws://kite-sim:8001"}
    )
    env = env_of(
        build_service_deployment(
            SessionScope("trading", "sim", "zerodha"),
            SharedService.MARKET_FEED,
            session,
            CONFIG,
            1,
            "abc",
        )
    )
    assert env["ALPHA_PANDA_KITE_ROOT"] == "http://kite-sim:8000"
    assert env["ALPHA_PANDA_KITE_WS_URL"] == "ws://kite-sim:8001"


def test_runner_reads_the_strategy_spec_as_its_own_configuration():
    env = env_of(
        build_strategy_deployment("momentum-reliance", "trading", STRATEGY, CONFIG, replicas=1)
    )
    configuration = StrategyConfig.model_validate(json.loads(env["ALPHA_PANDA_STRATEGY_SPEC"]))
    assert configuration.strategy_id == env["ALPHA_PANDA_STRATEGY_ID"] == "momentum-reliance"
    assert configuration.instruments == (738561,)
    assert configuration.risk_limits.max_daily_loss == Decimal("5000")
    assert configuration.risk_limits.model_fields_set == {
        "max_position_quantity",
        "max_daily_loss",
        "max_orders_per_day",
    }
