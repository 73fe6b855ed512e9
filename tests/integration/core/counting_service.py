"""A processor whose effect is a counter in PostgreSQL; run as its own process to be killed."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.core.events import EventEnvelope
from alpha_panda.core.settings import load_settings
from alpha_panda.core.streaming import Outgoing, StreamProcessor
from alpha_panda.core.streaming.ledger import ProcessedLedger, StateWriter


class CountingProcessor(StreamProcessor):
    """Counts handled events into `effect_counter` with each batch, and forwards them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_batch = 0

    async def handle(self, event: EventEnvelope) -> Sequence[Outgoing]:
        self.in_batch += 1
        await asyncio.sleep(0.001)  # some work per event, so a kill lands inside a batch
        return [Outgoing(self.settings.topics.signals_raw, event.type, event.data, event.key)]

    def state_writer(self) -> StateWriter:
        count, self.in_batch = self.in_batch, 0

        async def write(connection) -> None:
            await connection.execute("UPDATE effect_counter SET n = n + $1", count)

        return write


async def main() -> None:
    settings = load_settings()
    pool = await connect(settings.postgres_dsn.get_secret_value())
    processor = CountingProcessor(
        settings,
        input_topics=[settings.topics.market_ticks],
        ledger=ProcessedLedger(pool, settings.consumer_group),
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, processor.stop)
    await processor.start()
    await processor.run()
    await processor.close()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
