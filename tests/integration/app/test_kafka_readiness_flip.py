"""/readyz turns false when Kafka goes away and true again when it returns."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from alpha_panda.app.health_server import HealthServer
from alpha_panda.app.pre_trading_checks import kafka_check
from alpha_panda.core.health import CachedReadiness, HealthRegistry
from chaos.servers import KafkaServer
from tests.conftest import eventually

pytestmark = pytest.mark.integration

TOPIC = "readiness.probe"


@pytest.fixture(scope="module")
def private_kafka(infra, tmp_path_factory) -> Iterator[KafkaServer]:
    """A broker of our own to stop; `infra` has cached the Kafka jars it runs from."""
    server = KafkaServer(tmp_path_factory.mktemp("kafka"))
    server.initialise()
    server.start()
    yield server
    server.stop()


async def _create_topic(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 1, 1)])
    finally:
        await admin.close()


async def test_readiness_follows_kafka_going_away_and_returning(private_kafka):
    registry = HealthRegistry([kafka_check(private_kafka.bootstrap, [TOPIC], timeout=3.0)])
    server = HealthServer(
        CachedReadiness(registry, max_age=0.0), service="test", host="127.0.0.1", port=0
    )
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            missing = (await client.get("/readyz")).json()
            assert missing["checks"][0]["detail"] == f"missing topics: {TOPIC}"
            await _create_topic(private_kafka.bootstrap)
            await eventually(ready, what="readiness once the topic exists")

            private_kafka.stop()
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"][0]["detail"].startswith(
                f"cannot reach {private_kafka.bootstrap}"
            )

            private_kafka.start()
            await eventually(ready, timeout=60, what="readiness after Kafka returned")
    finally:
        await server.stop()
