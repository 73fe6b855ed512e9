"""Bad input to any route is a clear 4xx on the real stores, never a 500 or a long wait."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.auth.roles import Role
from tests.integration.api.stack import api_settings, login, opened_api, seed_users

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(unique, kafka_bootstrap, postgres_dsn, redis_url) -> AsyncIterator[httpx.AsyncClient]:
    settings = api_settings(unique, kafka_bootstrap, postgres_dsn, redis_url)
    pool = await connect(postgres_dsn)
    await seed_users(pool)
    await pool.close()
    async with opened_api(settings) as wired:
        transport = httpx.ASGITransport(app=wired.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


def _problem_fields(response: httpx.Response) -> tuple[int, tuple[str, ...]]:
    fields = tuple(p["field"] for p in response.json().get("problems", []))
    return response.status_code, fields


async def test_a_username_no_user_can_have_is_422_naming_the_field(api):
    answers = {
        repr(username): _problem_fields(
            await api.post(
                "/api/v1/auth/token", json={"username": username, "password": "whatever-it-is"}
            )
        )
        for username in ("\x00", "Admin", "a" * 65, "")
    }

    assert set(answers.values()) == {(422, ("body.username",))}, answers


async def test_a_strategy_filter_that_names_no_possible_strategy_is_422(api):
    headers = await login(api, Role.VIEWER)
    answers = {}
    for view in ("orders", "fills", "positions"):
        for strategy_id in ("\x00", "Momentum", "-x", "a" * 64, ""):
            response = await api.get(
                f"/api/v1/paper/{view}", params={"strategy_id": strategy_id}, headers=headers
            )
            answers[f"{view} {strategy_id!r}"] = _problem_fields(response)

    assert set(answers.values()) == {(422, ("query.strategy_id",))}, answers


async def test_dead_letter_topics_kafka_would_refuse_or_the_platform_lacks_are_4xx_at_once(api):
    headers = await login(api, Role.ADMIN)
    refused = {
        repr(topic): _problem_fields(
            await api.get("/api/v1/dead-letters", params={"topic": topic}, headers=headers)
        )
        for topic in ("bad name!.dlq", "\x00.dlq", "x" * 246 + ".dlq")
    }
    started = time.monotonic()
    unknown = [
        await api.get("/api/v1/dead-letters", params={"topic": topic}, headers=headers)
        for topic in ("no.such.topic.dlq", "paper.signals.raw.dlq")
    ]
    elapsed = time.monotonic() - started

    assert set(refused.values()) == {(422, ("query.topic",))}, refused
    assert [(r.status_code, r.json()) for r in unknown] == [
        (404, {"detail": "no dead-letter topic of that name"})
    ] * 2
    assert elapsed < 2, "answered without waiting for Kafka's metadata timeout"
