"""`alpha-panda serve api` as a process: refuses bad settings, serves probes and metrics, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from alpha_panda.auth.key_generation import generate_hmac_key
from chaos.servers import free_port
from tests.conftest import ROOT, eventually

pytestmark = pytest.mark.integration


def environment(**settings: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALPHA_PANDA_")}
    return {
        **clean,
        "ALPHA_PANDA_SERVICE_NAME": "api",
        "ALPHA_PANDA_NAMESPACE": "paper",
        **settings,
    }


def api_command() -> list[str]:
    return [sys.executable, "-m", "alpha_panda.app.cli", "serve", "api"]


def test_missing_signing_keys_stop_startup_naming_the_variable(infra):
    result = subprocess.run(
        api_command(),
        env=environment(**infra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "ALPHA_PANDA_AUTH_JWT_KEYS" in result.stderr


async def test_the_process_serves_probes_and_metrics_and_stops_cleanly_on_sigterm(
    infra, postgres_dsn, unique, tmp_path: Path
):
    key = generate_hmac_key("k1")
    secret = key.secret.get_secret_value()
    port = free_port()
    env = environment(
        ALPHA_PANDA_KAFKA_BOOTSTRAP=infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        ALPHA_PANDA_REDIS_URL=infra["ALPHA_PANDA_REDIS_URL"],
        ALPHA_PANDA_POSTGRES_DSN=postgres_dsn,
        ALPHA_PANDA_TOPIC_PREFIX=f"t{unique}.",
        ALPHA_PANDA_GROUP_PREFIX=f"t{unique}",
        ALPHA_PANDA_HTTP_PORT=str(port),
        ALPHA_PANDA_LOG_LEVEL="DEBUG",
        ALPHA_PANDA_AUTH_JWT_KEYS=json.dumps(
            [{"kid": "k1", "algorithm": key.algorithm, "secret": secret}]
        ),
        ALPHA_PANDA_AUTH_JWT_ACTIVE_KID="k1",
    )
    log_path = tmp_path / "api.log"
    with log_path.open("w") as log:
        process = await asyncio.create_subprocess_exec(
            *api_command(), env=env, cwd=ROOT, stdout=log, stderr=log
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                if process.returncode is not None:
                    pytest.fail(f"api exited with {process.returncode}:\n{log_path.read_text()}")
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=60, what="the API to become ready")
            alive = await client.get("/healthz")
            unauthenticated = await client.get("/api/v1/paper/pnl")
            docs = await client.get("/openapi.json")
            metrics = await client.get("/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)

    output = log_path.read_text()
    assert alive.json() == {"status": "alive"}
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "python_gc_objects_collected_total" in metrics.text
    assert (
        'alpha_panda_api_requests_total{method="GET",route="/api/v1/{namespace}/pnl",status="401"} 1.0'
        in metrics.text
    )
    assert unauthenticated.status_code == 401
    assert "/api/v1/{namespace}/pnl" in docs.json()["paths"]
    assert code == 0, output
    assert "api stopped" in output
    assert secret not in output and postgres_dsn not in output
