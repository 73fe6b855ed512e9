"""The streaming core's test environment: topics under a unique prefix and a ledger pool."""

from __future__ import annotations

import pytest

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from tests.integration.core.processors import ledger_pool, settings_for


@pytest.fixture
async def env(kafka_bootstrap, postgres_dsn, redis_url, unique):
    """Topics under a unique prefix, a ledger pool, and a settings factory."""
    pool = await ledger_pool(postgres_dsn)

    def settings(service: str):
        return settings_for(service, unique, kafka_bootstrap, postgres_dsn, redis_url)

    topics = settings("probe").topics
    await ensure_topics(kafka_bootstrap, topics, TopicConfig(partitions=4))

    def ledger(service: str) -> PostgresCheckpoints:
        return PostgresCheckpoints(pool, settings(service).consumer_group)

    yield settings, topics, ledger
    await pool.close()
