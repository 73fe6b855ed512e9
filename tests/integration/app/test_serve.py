"""`alpha-panda serve` refuses bad configuration and unreachable dependencies at once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chaos.servers import free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def serve(service: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALPHA_PANDA_")}
    return subprocess.run(
        [sys.executable, "-m", "alpha_panda.app.cli", "serve", service],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_missing_setting_stops_startup_naming_it(infra):
    result = serve(
        "risk-manager",
        ALPHA_PANDA_SERVICE_NAME="risk-manager",
        ALPHA_PANDA_NAMESPACE="paper",
        ALPHA_PANDA_POSTGRES_DSN=infra["ALPHA_PANDA_POSTGRES_DSN"],
        ALPHA_PANDA_REDIS_URL=infra["ALPHA_PANDA_REDIS_URL"],
    )
    assert result.returncode == 2
    assert "ALPHA_PANDA_KAFKA_BOOTSTRAP: Field required" in result.stderr


def test_an_unreachable_database_stops_startup_with_the_check_report(infra):
    result = serve(
        "risk-manager",
        ALPHA_PANDA_SERVICE_NAME="risk-manager",
        ALPHA_PANDA_NAMESPACE="paper",
        ALPHA_PANDA_KAFKA_BOOTSTRAP=infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        ALPHA_PANDA_POSTGRES_DSN="postgresql://alpha@127.0.0.1:1/alpha_panda",
        ALPHA_PANDA_REDIS_URL=infra["ALPHA_PANDA_REDIS_URL"],
    )
    assert result.returncode == 1
    assert "postgres" in result.stderr.lower() and "cannot start" in result.stderr
    assert "redis" in result.stderr.lower()  # the report lists every check, passed or not


def test_an_unreachable_kafka_stops_startup_with_the_same_check_report(infra):
    result = serve(
        "risk-manager",
        ALPHA_PANDA_SERVICE_NAME="risk-manager",
        ALPHA_PANDA_NAMESPACE="paper",
        ALPHA_PANDA_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
        ALPHA_PANDA_POSTGRES_DSN=infra["ALPHA_PANDA_POSTGRES_DSN"],
        ALPHA_PANDA_REDIS_URL=infra["ALPHA_PANDA_REDIS_URL"],
    )
    assert result.returncode == 1
    report = result.stderr
    assert "cannot start" in report and "kafka" in report.lower()
    assert "postgres" in report.lower() and "redis" in report.lower()  # every check listed
    assert "Traceback" not in report


def test_a_strategy_runner_without_a_configured_strategy_says_which_setting(infra):
    result = serve(
        "strategy-runner",
        ALPHA_PANDA_SERVICE_NAME="strategy-runner.nothing",
        ALPHA_PANDA_NAMESPACE="paper",
        ALPHA_PANDA_KAFKA_BOOTSTRAP=infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        ALPHA_PANDA_POSTGRES_DSN=infra["ALPHA_PANDA_POSTGRES_DSN"],
        ALPHA_PANDA_REDIS_URL=infra["ALPHA_PANDA_REDIS_URL"],
        ALPHA_PANDA_STRATEGY_ID="no-such-strategy",
    )
    assert result.returncode == 2
    assert (
        "ALPHA_PANDA_STRATEGY_ID='no-such-strategy' names no strategy defined on" in result.stderr
    )
