"""`alpha-panda serve` on zerodha: an expired or rejected Kite session leaves a service up and
unready, saying why, instead of trading on or exiting."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from alpha_panda.core.settings import load_settings
from alpha_panda.core.streaming.bootstrap import ensure_topics
from alpha_panda.core.streaming.dead_letters import read_dead_letters
from chaos.servers import free_port
from tests.conftest import ROOT, eventually
from tests.integration.trading_engine.kite import SignalSource, frozen_simulator, validated

pytestmark = pytest.mark.integration


async def test_an_expired_session_halts_the_served_engine_which_stays_up_and_unready(
    infra, postgres_dsn, unique, tmp_path
) -> None:
    async with frozen_simulator() as simulator:
        token = simulator.login().access_token
        env = zerodha_env("trading-engine", infra, postgres_dsn, unique, simulator, token)
        settings = load_settings(**{name.lower(): value for name, value in env.items()})
        await ensure_topics(settings.kafka_bootstrap, settings.topics)
        log = tmp_path / "trading-engine.log"
        engine = await serve("trading-engine", env, log)
        readyz = f"http://127.0.0.1:{env['HTTP_PORT']}/readyz"
        try:
            await eventually(lambda: _status(readyz, 200), timeout=60, what="the engine ready")
            await simulator.expire_tokens()
            source = SignalSource(settings.model_copy(update={"service_name": "risk-manager"}))
            await source.start()
            await source.send_signal(validated())
            await source.close()
            await eventually(lambda: _status(readyz, 503), timeout=30, what="the engine unready")
            async with aiohttp.ClientSession() as http, http.get(readyz) as response:
                report = await response.json()
            assert engine.returncode is None  # halted, not exited: the operator sees it unready
        finally:
            engine.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(engine.wait(), timeout=30)

    processing = next(check for check in report["checks"] if check["name"] == "processing")
    assert processing["passed"] is False and "TokenException" in processing["detail"]
    assert code == 0
    assert simulator.broker.orders(simulator.api_key) == []
    topic = settings.topics.signals_validated
    assert await read_dead_letters(settings.kafka_bootstrap, topic) == []
    text = log.read_text()
    assert "halted" in text and token not in text


async def test_a_rejected_token_leaves_the_served_feed_up_and_unready_saying_why(
    infra, postgres_dsn, unique, tmp_path
) -> None:
    async with frozen_simulator() as simulator:
        env = zerodha_env(
            "market-feed", infra, postgres_dsn, unique, simulator, "a-token-kite-never-issued"
        )
        env["KITE_WS_URL"] = simulator.urls.websocket
        log = tmp_path / "market-feed.log"
        feed = await serve("market-feed", env, log)
        readyz = f"http://127.0.0.1:{env['HTTP_PORT']}/readyz"
        try:
            await eventually(lambda: _status(readyz, 503), timeout=60, what="the feed answering")
            await asyncio.sleep(3)  # long enough to have exited, had it given up
            async with aiohttp.ClientSession() as http, http.get(readyz) as response:
                report = await response.json()
            assert feed.returncode is None, log.read_text()[-3000:]
        finally:
            if feed.returncode is None:
                feed.send_signal(signal.SIGTERM)
            await asyncio.wait_for(feed.wait(), timeout=30)

    failed = {check["name"]: check["detail"] for check in report["checks"] if not check["passed"]}
    assert "broker-session" in failed, report
    assert "403" in failed["broker-session"] or "token" in failed["broker-session"].lower()
    assert "a-token-kite-never-issued" not in log.read_text()


def zerodha_env(
    service: str, infra, postgres_dsn: str, unique: str, simulator, token: str
) -> dict[str, str]:
    """Return the settings (without their `ALPHA_PANDA_` prefix) of a zerodha service."""
    return {
        "SERVICE_NAME": service,
        "NAMESPACE": "zerodha",
        "GROUP_PREFIX": f"t{unique}.zerodha",
        "TOPIC_PREFIX": f"t{unique}.",
        "KAFKA_BOOTSTRAP": infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        "POSTGRES_DSN": postgres_dsn,
        "REDIS_URL": infra["ALPHA_PANDA_REDIS_URL"],
        "HTTP_PORT": str(free_port()),
        "KITE_API_KEY": simulator.api_key,
        "KITE_ACCESS_TOKEN": token,
        "KITE_ROOT": simulator.urls.rest,
    }


async def serve(service: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """Start `alpha-panda serve SERVICE` with exactly these settings, its output in `log`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALPHA_PANDA_")}
    with log.open("w") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "alpha_panda.app.cli", "serve", service),
            env={**clean, **{f"ALPHA_PANDA_{k}": v for k, v in env.items()}},
            cwd=ROOT,
            stdout=output,
            stderr=output,
        )


async def _status(url: str, expected: int) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status == expected
    except aiohttp.ClientError:
        return False
