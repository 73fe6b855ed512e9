"""The chart's values.yaml, its values.schema.json and its dashboard agree with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from prometheus_client import REGISTRY

import alpha_panda.api.metrics
import alpha_panda.core.streaming.metrics
import alpha_panda.trading_engine.live  # noqa: F401 (registers its metrics)
from alpha_panda.adapters.kite.feed import FeedCounters
from alpha_panda.adapters.kite.metrics import FeedCollector

CHART = Path(__file__).resolve().parents[3] / "charts" / "alpha-panda"
FREE_FORM = {"resources", "labels", "requests", "limits"}
"""Values whose keys are the user's, not the chart's."""


def declared_keys(values: dict[str, Any], schema: dict[str, Any], path: str = "") -> list[str]:
    """Return the paths where values.yaml and the schema declare different keys."""
    mismatches = []
    properties = schema.get("properties", {})
    extra_schema = set(properties) - set(values) - {"global", "imagePullSecrets"}
    mismatches += [f"{path}{key} (schema only)" for key in sorted(extra_schema)]
    for key, value in values.items():
        if key not in properties:
            mismatches.append(f"{path}{key} (values.yaml only)")
        elif isinstance(value, dict) and key not in FREE_FORM:
            mismatches += declared_keys(value, properties[key], f"{path}{key}.")
    return mismatches


def test_every_value_is_declared_in_the_schema_and_every_declared_value_has_a_default():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert declared_keys(values, schema) == []


def test_every_value_is_documented_with_a_comment():
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = [
        line.strip()
        for previous, line in zip(["# --", *lines], lines, strict=False)
        if re.match(r"^\s*[a-zA-Z]+:\s*\S", line)
        and line.split(":")[0].strip() not in FREE_FORM
        and not previous.strip().startswith("#")
        and not line.strip().startswith("#")
    ]
    assert undocumented == []


def test_dashboard_queries_only_metrics_the_services_export():
    dashboard = json.loads((CHART / "files" / "dashboards" / "pipeline.json").read_text())
    feed = SimpleNamespace(
        counters=FeedCounters(), skipped_packets=0, ready=False, shards=[], overflow=()
    )
    feed_metrics = FeedCollector(feed).collect()  # type: ignore[arg-type]
    exported = {metric.name for metric in [*REGISTRY.collect(), *feed_metrics]}
    queried = {
        re.sub(r"_(bucket|total|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"alpha_panda_[a-z_]+", target["expr"])
    }
    assert queried, "the dashboard queries nothing"
    assert queried <= exported, queried - exported
