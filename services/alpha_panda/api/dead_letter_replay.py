"""Put dead letters back on the topic they failed on, as `alpha-panda dlq replay` does."""

from __future__ import annotations

import asyncio

from alpha_panda.core.streaming.dead_letters import replay_dead_letters, replay_group
from alpha_panda.core.topics import dead_letter_topics, original_of


class DeadLetterReplay:
    """Replay the dead letters of one `.dlq` topic not replayed before.

    The replay group is the command line's, so what either replayed is never replayed again
    by the other; the records go out through the platform's publisher. One replay at a time
    per process, so two clicks cannot send a record twice.
    """

    def __init__(self, bootstrap: str, group_prefix: str, topic_prefix: str) -> None:
        self._bootstrap = bootstrap
        self._group = replay_group(group_prefix)
        self._topics = dead_letter_topics(topic_prefix)
        self._lock = asyncio.Lock()

    async def replay(self, dead_letter_topic: str, limit: int) -> int | None:
        """Replay up to `limit` records; None when the topic is none of the platform's."""
        if dead_letter_topic not in self._topics:
            return None
        async with self._lock:
            return await replay_dead_letters(
                self._bootstrap,
                original_of(dead_letter_topic),
                replay_group=self._group,
                limit=limit,
            )
