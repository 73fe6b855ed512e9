"""The Deployment builders are pure: a spec and settings in, the exact manifest out."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from alpha_panda.domain.strategies.config import StrategyConfig
from alpha_panda_operator.config import OperatorConfig
from alpha_panda_operator.models import BrokerSessionSpec, TradingStrategySpec
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


def env_of(deployment: dict) -> dict[str, object]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def template_hash(deployment: dict) -> str:
    return deployment["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION]


def test_strategy_runner_deployment_is_exactly_the_expected_manifest():
    deployment = build_strategy_deployment("momentum-reliance", STRATEGY, CONFIG, replicas=1)
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
                                {"name": "ALPHA_PANDA_GROUP_PREFIX", "value": "alpha-panda.paper"},
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
                            "readinessProbe": {
                                "httpGet": {"path": "/readyz", "port": "http"},
                                **probe,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                **probe,
                                "periodSeconds": 10,
                                "initialDelaySeconds": 10,
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
    first = build_strategy_deployment("s", STRATEGY, CONFIG, replicas=1)
    assert build_strategy_deployment("s", STRATEGY, CONFIG, replicas=1) == first


def test_spec_change_gives_a_new_pod_template_hash():
    changed = STRATEGY.model_copy(update={"parameters": {"lookback": 30}})
    before = build_strategy_deployment("s", STRATEGY, CONFIG, replicas=1)
    after = build_strategy_deployment("s", changed, CONFIG, replicas=1)
    assert template_hash(before) != template_hash(after)


def test_pause_changes_replicas_but_not_the_pod_template():
    running = build_strategy_deployment("s", STRATEGY, CONFIG, replicas=1)
    paused = build_strategy_deployment(
        "s", STRATEGY.model_copy(update={"paused": True}), CONFIG, replicas=0
    )
    assert paused["spec"]["replicas"] == 0
    assert paused["spec"]["template"] == running["spec"]["template"]


def test_consumer_group_of_a_runner_derives_from_its_resource_name():
    env = env_of(build_strategy_deployment("nifty-rsi", STRATEGY, CONFIG, replicas=1))
    assert f"{env['ALPHA_PANDA_GROUP_PREFIX']}.{env['ALPHA_PANDA_SERVICE_NAME']}" == (
        "alpha-panda.paper.strategy-runner.nifty-rsi"
    )


@pytest.mark.parametrize("service", list(SharedService))
def test_shared_service_gets_its_own_name_group_and_probes(service):
    deployment = build_service_deployment("live", service, SESSION, CONFIG, 1, "abc")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = env_of(deployment)
    assert deployment["metadata"]["name"] == f"live-{service}"
    assert env["ALPHA_PANDA_SERVICE_NAME"] == str(service)
    assert env["ALPHA_PANDA_GROUP_PREFIX"] == "alpha-panda.zerodha"
    assert container["command"] == ["alpha-panda", "serve", str(service)]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_live_trading_services_read_the_token_from_the_secret_never_inline():
    env = env_of(
        build_service_deployment("live", SharedService.TRADING_ENGINE, SESSION, CONFIG, 1, "abc")
    )
    assert env["ALPHA_PANDA_KITE_ACCESS_TOKEN"] == {
        "secretKeyRef": {"name": "kite-credentials", "key": "access_token"}
    }
    assert env["ALPHA_PANDA_KITE_API_KEY"] == {
        "secretKeyRef": {"name": "kite-credentials", "key": "api_key"}
    }


def test_risk_manager_gets_no_broker_credentials():
    env = env_of(
        build_service_deployment("live", SharedService.RISK_MANAGER, SESSION, CONFIG, 1, "abc")
    )
    assert not any(name.startswith("ALPHA_PANDA_KITE_") for name in env)


def test_new_credentials_roll_the_pods_of_kite_clients_only():
    def hashes(fingerprint: str) -> dict[SharedService, str]:
        return {
            service: template_hash(
                build_service_deployment("live", service, SESSION, CONFIG, 1, fingerprint)
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
        build_service_deployment("sim", SharedService.MARKET_FEED, session, CONFIG, 1, "abc")
    )
    assert env["ALPHA_PANDA_KITE_ROOT"] == "http://kite-sim:8000"
    assert env["ALPHA_PANDA_KITE_WS_URL"] == "ws://kite-sim:8001"


def test_runner_reads_the_strategy_spec_as_its_own_configuration():
    env = env_of(build_strategy_deployment("momentum-reliance", STRATEGY, CONFIG, replicas=1))
    configuration = StrategyConfig.model_validate(json.loads(env["ALPHA_PANDA_STRATEGY_SPEC"]))
    assert configuration.strategy_id == env["ALPHA_PANDA_STRATEGY_ID"] == "momentum-reliance"
    assert configuration.instruments == (738561,)
    assert configuration.risk_limits.max_daily_loss == Decimal("5000")
    assert configuration.risk_limits.model_fields_set == {
        "max_position_quantity",
        "max_daily_loss",
        "max_orders_per_day",
    }
