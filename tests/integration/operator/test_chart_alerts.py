"""The chart's optional PrometheusRule alerts on the metric the reconciler exports."""

from __future__ import annotations

import pytest
import yaml

from alpha_panda.trading_engine.reconciler import ORDERS_WITHOUT_EVENT
from tests.integration.operator.test_chart import CHART, helm

pytestmark = pytest.mark.kube


def rendered(kube: dict[str, str], *values: str) -> list[dict]:
    output = helm(kube, "template", "alpha-panda", str(CHART), "--namespace", "trading", *values)
    return [doc for doc in yaml.safe_load_all(output) if doc]


def test_the_alert_rule_is_off_by_default(kube):
    assert not [doc for doc in rendered(kube) if doc["kind"] == "PrometheusRule"]


def test_the_rule_fires_when_broker_orders_stay_without_an_event(kube):
    values = "monitoring.prometheusRule.enabled=true,monitoring.prometheusRule.labels.release=prom"
    [rule] = [doc for doc in rendered(kube, "--set", values) if doc["kind"] == "PrometheusRule"]

    assert rule["metadata"]["labels"]["release"] == "prom"
    [group] = rule["spec"]["groups"]
    [alert] = group["rules"]
    assert alert["alert"] == "AlphaPandaBrokerOrdersWithoutEvent"
    assert f"({ORDERS_WITHOUT_EVENT._name}) > 0" in alert["expr"]
    assert alert["for"] == "5m"
    assert "{{ $labels.broker_namespace }}" in alert["annotations"]["description"]


def test_a_malformed_duration_is_refused_by_the_values_schema(kube):
    with pytest.raises(AssertionError, match="ordersWithoutEventFor"):
        rendered(kube, "--set", "monitoring.prometheusRule.ordersWithoutEventFor=soon")
