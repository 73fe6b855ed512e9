"""Startup fails fast, naming the dependency, when one is missing; Kafka topics are verified."""

from __future__ import annotations

import time

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import SecretStr

from alpha_panda.app.pre_trading_checks import (
    infrastructure_checks,
    kafka_check,
    postgres_check,
    redis_check,
)
from alpha_panda.core.health import HealthRegistry, StartupCheckError
from alpha_panda.core.settings import Settings
from chaos.servers import free_port

pytestmark = pytest.mark.integration


def _settings(infra: dict[str, str], **changes: str) -> Settings:
    values = {
        "service_name": "startup-check",
        "namespace": "paper",
        "kafka_bootstrap": infra["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        "postgres_dsn": infra["ALPHA_PANDA_POSTGRES_DSN"],
        "redis_url": infra["ALPHA_PANDA_REDIS_URL"],
    }
    return Settings(**{**values, **changes})


@pytest.mark.parametrize(
    ("name", "broken", "remedy"),
    [
        ("postgresql", {"postgres_dsn": "postgresql://alpha@127.0.0.1:{port}/x"}, "POSTGRES_DSN"),
        ("redis", {"redis_url": "redis://127.0.0.1:{port}/0"}, "REDIS_URL"),
        ("kafka", {"kafka_bootstrap": "127.0.0.1:{port}"}, "KAFKA_BOOTSTRAP"),
    ],
)
async def test_startup_with_a_missing_dependency_fails_fast_naming_it(infra, name, broken, remedy):
    port = free_port()
    changes = {key: value.format(port=port) for key, value in broken.items()}
    registry = HealthRegistry(infrastructure_checks(_settings(infra, **changes)))
    started = time.monotonic()
    with pytest.raises(StartupCheckError) as raised:
        await registry.require_ready()
    assert time.monotonic() - started < 10
    failed = raised.value.report.failures
    assert failed[0].name == name
    assert f"127.0.0.1:{port}" in failed[0].detail
    message = str(raised.value)
    assert f"[FAIL] {name}:" in message
    assert f"ALPHA_PANDA_{remedy}" in message


async def test_kafka_check_names_each_missing_topic_and_passes_once_they_exist(
    kafka_bootstrap, unique
):
    topics = [f"health-{unique}.a", f"health-{unique}.b"]
    check = kafka_check(kafka_bootstrap, topics)
    report = await HealthRegistry([check]).run()
    assert report.results[0].detail == f"missing topics: {', '.join(topics)}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, 1, 1) for t in topics])
    finally:
        await admin.close()
    report = await HealthRegistry([check]).run()
    assert report.ready, report.render()


async def test_infrastructure_checks_pass_against_the_running_services(postgres_dsn, redis_url):
    checks = [postgres_check(SecretStr(postgres_dsn)), redis_check(SecretStr(redis_url))]
    report = await HealthRegistry(checks).require_ready()
    assert [result.detail.startswith("reachable at") for result in report.results] == [True, True]
