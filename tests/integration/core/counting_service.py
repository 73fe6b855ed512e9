"""A service whose effect is a counter in PostgreSQL; run as its own process to be killed."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import asyncpg

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.events import EventEnvelope
from alpha_panda.core.settings import load_settings
from alpha_panda.core.streaming import Outgoing, Outputs, Runtime, Snapshot, Subscription
from alpha_panda.core.topics import TopicMap


class Counting:
    """Forwards every event and counts it, as a ledger record, in the checkpoint's transaction."""

    def __init__(self, topics: TopicMap) -> None:
        self.topics = topics
        self.subscription = Subscription(topics=[topics.market_ticks])

    def deduplicates(self, event: EventEnvelope) -> bool:
        return True

    def snapshot(self) -> Snapshot | None:
        return None

    def restore(self, snapshot: Snapshot | None) -> None:
        pass

    async def handle(self, event: EventEnvelope) -> Outputs:
        await asyncio.sleep(0.001)  # some work per event, so a kill lands inside a batch
        forward = Outgoing(self.topics.signals_raw, event.type, event.data)
        return Outputs([forward], records=[event.id])


async def count(connection: asyncpg.Connection, records: Sequence[object]) -> None:
    await connection.execute("UPDATE effect_counter SET n = n + $1", len(records))


async def main() -> None:
    settings = load_settings()
    pool = await connect(settings.postgres_dsn.get_secret_value())
    store = PostgresCheckpoints(pool, settings.consumer_group, records=count)
    runtime = Runtime(Counting(settings.topics), settings, store)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, runtime.stop)
    await runtime.start()
    await runtime.run()
    await runtime.close()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
