"""Fixtures: the kind cluster of scripts/cluster.sh and the project's images loaded into it."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = ROOT / "scripts" / "cluster.sh"
IMAGE_INPUTS = ["Dockerfile", "pyproject.toml", "services", "operator", "devtools"]
BUILD_TIMEOUT_SECONDS = 3 * 3600


def run_script(*arguments: str, timeout: float = BUILD_TIMEOUT_SECONDS) -> str:
    result = subprocess.run(
        [str(CLUSTER_SCRIPT), *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/cluster.sh {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


def image_tag() -> str:
    """Tag the images by their inputs, as scripts/dev.sh does."""
    listed = subprocess.run(
        [
            "git",
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            *IMAGE_INPUTS,
        ],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    digest = hashlib.sha256()
    for name in sorted(filter(None, listed.split(b"\0"))):
        path = ROOT / name.decode()
        if path.is_file():
            digest.update(name + b"\0" + path.read_bytes())
    return "test-" + digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def cluster() -> dict[str, str]:
    """Start (building on first use) the kind cluster and export its KUBECONFIG."""
    values = dict(line.split("=", 1) for line in run_script("up").split() if "=" in line)
    os.environ.update(values)
    return values


@pytest.fixture(scope="session")
def api_client(cluster: dict[str, str]) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=cluster["KUBECONFIG"])
    yield api
    api.close()


@pytest.fixture(scope="session")
def images(cluster: dict[str, str]) -> dict[str, str]:
    """Build the images of this tree, load them into kind; return the tag and values file."""
    tag = image_tag()
    values_file = run_script("images", tag).strip().splitlines()[-1]
    return {"tag": tag, "values": values_file}
