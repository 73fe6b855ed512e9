"""Which instruments the market feed streams: those of every defined strategy, of every
broker namespace it serves (ticks are shared), as the definitions streams say."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from alpha_panda.core.events import EventEnvelope
from alpha_panda.core.streaming import NOTHING, Outputs, Snapshot, Subscription
from alpha_panda.domain.strategies.config import StrategyDefined, StrategyRemoved


class FeedSubscriptions:
    """A handler of the definitions topics that keeps the wanted instruments per strategy."""

    def __init__(self, definitions_topics: Sequence[str]) -> None:
        self.subscription = Subscription(topics=definitions_topics)
        self.wanted: dict[str, tuple[int, ...]] = {}
        """Instruments by `namespace/strategy id`."""
        self._changed = False

    def instruments(self) -> list[int]:
        """Return every wanted instrument once, in token order."""
        return sorted({token for tokens in self.wanted.values() for token in tokens})

    def over_capacity(self, overflow: Collection[int]) -> dict[str, tuple[int, ...]]:
        """Return, by `namespace/strategy id`, the wanted instruments that are in `overflow`."""
        if not overflow:
            return {}
        over = set(overflow)
        affected = {
            key: tuple(t for t in tokens if t in over) for key, tokens in self.wanted.items()
        }
        return {key: tokens for key, tokens in sorted(affected.items()) if tokens}

    def deduplicates(self, event: EventEnvelope) -> bool:
        return True

    async def handle(self, event: EventEnvelope) -> Outputs:
        """Take a strategy's instruments from its definition; drop them when it is removed."""
        data = event.data
        if isinstance(data, StrategyDefined):
            config = data.config
            self.wanted[f"{config.namespace}/{config.strategy_id}"] = config.instruments
        elif isinstance(data, StrategyRemoved):
            self.wanted.pop(f"{data.namespace}/{data.strategy_id}", None)
        else:
            raise TypeError(f"unexpected {event.type} on a definitions topic")
        self._changed = True
        return NOTHING

    def snapshot(self) -> Snapshot | None:
        """Return the wanted instruments if a definition changed them."""
        if not self._changed:
            return None
        self._changed = False
        return {"wanted": {key: list(tokens) for key, tokens in self.wanted.items()}}

    def restore(self, snapshot: Snapshot | None) -> None:
        """Take back the instruments wanted when the feed last stopped."""
        if snapshot:
            self.wanted = {key: tuple(tokens) for key, tokens in snapshot["wanted"].items()}
