"""Which strategies' instruments the market feed cannot stream, for their status: the feed of a
deployment writes it after every change of its subscriptions, the operator reads it."""

from __future__ import annotations

import json

import redis.asyncio as redis

from alpha_panda.adapters.redis.portfolio_cache import KEY_ROOT


class FeedCapacity:
    """Key `alpha-panda:{market prefix}feed:over-capacity`: a hash from `namespace/strategy id`
    to the JSON list of that strategy's instruments beyond Kite's connection limits."""

    def __init__(self, client: redis.Redis, market_prefix: str) -> None:
        self._client = client
        self._key = f"{KEY_ROOT}:{market_prefix}feed:over-capacity"

    async def publish(self, over: dict[str, tuple[int, ...]]) -> None:
        """Replace what is over capacity, atomically (an empty mapping clears it)."""
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(self._key)
            if over:
                pipe.hset(self._key, mapping={k: json.dumps(list(v)) for k, v in over.items()})
            await pipe.execute()

    async def read(self) -> dict[str, tuple[int, ...]]:
        """Return the instruments over capacity by `namespace/strategy id`."""
        raw = await self._client.hgetall(self._key)
        return {_text(key): tuple(json.loads(value)) for key, value in raw.items()}


def _text(key: bytes | str) -> str:
    return key.decode() if isinstance(key, bytes) else key
