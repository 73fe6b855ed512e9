"""skaffold.yaml is valid skaffold v4beta11 config and points at the Dockerfile and the chart.

The schema is skaffold's published JSON schema for v4beta11 (from skaffold's repository,
docs-v2/content/en/schemas/v4beta11.json, Apache License 2.0), kept beside this test because
skaffold cannot be installed or downloaded on the project's machines.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = Path(__file__).with_name("skaffold-v4beta11.schema.json")


def skaffold_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "skaffold.yaml").read_text())


def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


def apply_profile(config: dict[str, Any], name: str) -> dict[str, Any]:
    """Apply a profile's JSON patches (add only, which is all skaffold.yaml uses)."""
    result = copy.deepcopy(config)
    [profile] = [p for p in config["profiles"] if p["name"] == name]
    for patch in profile["patches"]:
        assert patch["op"] == "add", patch
        *parents, last = patch["path"].lstrip("/").split("/")
        node = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            assert last == "-", patch
            node.append(patch["value"])
        else:
            node[last] = patch["value"]
    return result


def test_skaffold_yaml_is_valid_against_the_published_v4beta11_schema():
    config = skaffold_config()
    assert config["apiVersion"] == "skaffold/v4beta11"
    errors = sorted(validator().iter_errors(config), key=str)
    assert not errors, "\n".join(error.message for error in errors)


def test_the_kind_profile_applied_is_still_valid():
    errors = list(validator().iter_errors(apply_profile(skaffold_config(), "kind")))
    assert not errors, "\n".join(error.message for error in errors)


def test_the_schema_rejects_what_skaffold_would_reject():
    config = skaffold_config()
    config["build"]["artifacts"][0]["dockerr"] = {"dockerfile": "Dockerfile"}
    assert not validator().is_valid(config)
    config = skaffold_config()
    config["deploy"]["helm"]["releases"][0].pop("name")
    assert not validator().is_valid(config)


@pytest.mark.parametrize("profile", [None, "kind"])
def test_every_artifact_builds_a_dockerfile_stage_that_exists(profile):
    config = skaffold_config()
    if profile:
        config = apply_profile(config, profile)
    stages = {
        line.split()[-1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("FROM ") and " AS " in line
    }
    for artifact in config["build"]["artifacts"]:
        assert (ROOT / artifact["context"] / artifact["docker"]["dockerfile"]).is_file()
        target = artifact["docker"].get("target")
        assert target is None or target in stages, f"{artifact['image']}: no stage {target}"


def test_every_value_skaffold_sets_is_declared_by_the_chart():
    config = apply_profile(skaffold_config(), "kind")
    [release] = config["deploy"]["helm"]["releases"]
    assert (ROOT / release["chartPath"] / "Chart.yaml").is_file()
    values = yaml.safe_load((ROOT / release["chartPath"] / "values.yaml").read_text())
    images = {artifact["image"].replace("-", "_") for artifact in config["build"]["artifacts"]}
    templates = release["setValueTemplates"]
    assert templates["image.repository"] == "{{.IMAGE_REPO_alpha_panda}}"
    assert templates["image.tag"] == "{{.IMAGE_TAG_alpha_panda}}"
    for template in templates.values():
        assert template.split("_", 2)[-1].rstrip("}") in images, template
    for dotted in [*templates, *release["setValues"]]:
        node = values
        for part in dotted.split("."):
            assert part in node, f"skaffold sets {dotted}, which values.yaml does not declare"
            node = node[part]


def test_the_production_image_builds_from_the_public_python_base_by_default():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in dockerfile
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "devtools" not in final_stage and "--from=build " in final_stage
