"""Spread instrument subscriptions over Kite's WebSocket connection limits."""

from __future__ import annotations

from collections.abc import Iterable

MAX_CONNECTIONS = 3
"""Kite allows at most three WebSocket connections per API key."""

MAX_INSTRUMENTS_PER_CONNECTION = 3000
"""Kite allows at most 3,000 instrument subscriptions per connection."""


class TooManyInstrumentsError(ValueError):
    """More instruments were requested than Kite's connection limits can carry."""


def shard_instruments(
    tokens: Iterable[int],
    max_connections: int = MAX_CONNECTIONS,
    per_connection: int = MAX_INSTRUMENTS_PER_CONNECTION,
) -> list[tuple[int, ...]]:
    """Split instrument tokens over as few connections as the limits allow, evenly.

    Duplicates are dropped (first occurrence kept) and the input order is preserved within and
    across shards. Raise `TooManyInstrumentsError` when the distinct tokens exceed
    `max_connections * per_connection`.
    """
    unique = tuple(dict.fromkeys(tokens))
    capacity = max_connections * per_connection
    if len(unique) > capacity:
        raise TooManyInstrumentsError(
            f"{len(unique)} instruments exceed Kite's limit of {max_connections} connections"
            f" x {per_connection} instruments = {capacity}"
        )
    if not unique:
        return []
    connections = -(-len(unique) // per_connection)
    base, extra = divmod(len(unique), connections)
    shards = []
    start = 0
    for index in range(connections):
        end = start + base + (1 if index < extra else 0)
        shards.append(unique[start:end])
        start = end
    return shards
