"""The CRDs in crds/ are the models' schemas: a drift between the two fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alpha_panda.domain.strategies.registry import STRATEGY_TYPES
from alpha_panda_operator.crds import DEFINITIONS, render

ROOT = Path(__file__).resolve().parents[3]
FIX = "regenerate with `python -m alpha_panda_operator.crds crds`"


def stored(file_name: str) -> dict:
    return yaml.safe_load((ROOT / "crds" / file_name).read_text())


def schema_nodes(node: dict, path: str = ""):
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from schema_nodes(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from schema_nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from schema_nodes(node["additionalProperties"], f"{path}{{}}")


@pytest.mark.parametrize("file_name", sorted(DEFINITIONS))
def test_stored_crd_matches_the_models(file_name):
    assert stored(file_name) == DEFINITIONS[file_name](), f"crds/{file_name} drifted: {FIX}"
    assert (ROOT / "crds" / file_name).read_text() == render(DEFINITIONS[file_name]()), FIX


@pytest.mark.parametrize("file_name", sorted(DEFINITIONS))
def test_schema_is_structural(file_name):
    version = stored(file_name)["spec"]["versions"][0]
    root = version["schema"]["openAPIV3Schema"]
    untyped = [
        path or "<root>"
        for path, node in schema_nodes(root)
        if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields")
    ]
    assert untyped == []
    forbidden = {"$ref", "anyOf", "oneOf", "allOf", "title", "$defs"}
    assert [path for path, node in schema_nodes(root) if forbidden & node.keys()] == []


def test_strategy_types_are_exactly_the_runner_registry():
    spec = stored("tradingstrategies.yaml")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert spec["properties"]["spec"]["properties"]["strategyType"]["enum"] == list(STRATEGY_TYPES)


def test_both_kinds_have_status_subresource_printer_columns_and_short_names():
    for file_name in DEFINITIONS:
        crd = stored(file_name)
        version = crd["spec"]["versions"][0]
        columns = {column["name"] for column in version["additionalPrinterColumns"]}
        assert version["subresources"] == {"status": {}}
        assert {"Broker", "Phase", "Ready", "Age"} <= columns
        assert crd["spec"]["names"]["shortNames"]
