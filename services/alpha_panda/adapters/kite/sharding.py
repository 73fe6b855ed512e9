"""Spread instrument subscriptions over Kite's WebSocket connection limits, changing little."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

MAX_CONNECTIONS = 3
"""Kite allows at most three WebSocket connections per API key."""

MAX_INSTRUMENTS_PER_CONNECTION = 3000
"""Kite allows at most 3,000 instrument subscriptions per connection."""

_MAX_TOKEN = 2**32 - 1
"""Kite's binary packets carry the instrument token as an unsigned 32-bit integer."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """Which instruments each connection carries after a change, and which fit nowhere.

    `shards[i]` for an existing connection `i` is its new set (empty: close it); entries past
    the existing connections are connections to open. `overflow` keeps the wanted order.
    """

    shards: tuple[tuple[int, ...], ...]
    overflow: tuple[int, ...]


def instrument_tokens(tokens: Iterable[int]) -> tuple[int, ...]:
    """Return the distinct tokens in their first order; raise `ValueError` on a non-token."""
    unique = tuple(dict.fromkeys(tokens))
    for token in unique:
        if isinstance(token, bool) or not isinstance(token, int) or not 0 < token <= _MAX_TOKEN:
            raise ValueError(f"{token!r} is not a Kite instrument token (an integer 1..2^32-1)")
    return unique


def allocate(
    current: Sequence[Collection[int]],
    wanted: Iterable[int],
    max_connections: int = MAX_CONNECTIONS,
    per_connection: int = MAX_INSTRUMENTS_PER_CONNECTION,
) -> Allocation:
    """Move connections carrying `current` to carry `wanted`, moving as few instruments as can be.

    Each connection keeps the wanted instruments it already carries (in its order). The others,
    in the wanted order, fill the existing connections that have room, first to last, and only
    then new connections, up to `max_connections`; what is left overflows. A connection left
    with nothing is to be closed.
    """
    unique = instrument_tokens(wanted)
    wanted_set = set(unique)
    kept = [[token for token in shard if token in wanted_set] for shard in current]
    carried = {token for shard in kept for token in shard}
    fresh = iter([token for token in unique if token not in carried])
    shards = [(*shard, *islice(fresh, max(0, per_connection - len(shard)))) for shard in kept]
    while len(shards) < max_connections:
        shard = tuple(islice(fresh, per_connection))
        if not shard:
            break
        shards.append(shard)
    return Allocation(tuple(shards), tuple(fresh))
