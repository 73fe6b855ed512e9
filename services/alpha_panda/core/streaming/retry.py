"""Which failures are worth retrying, and how long to wait between attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass


class TransientError(Exception):
    """Raise from a handler for a failure that may pass on its own (a dependency hiccup)."""


class FatalError(Exception):
    """Raise from a handler when no later event can succeed either (an expired broker session).

    The processor halts at once: the event is neither retried, dead-lettered nor recorded as
    handled, and its offset is not committed, so it is handled again after a restart.
    """


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (TransientError, ConnectionError, TimeoutError)


def is_transient(error: BaseException) -> bool:
    """Tell whether a handler failure should be retried rather than dead-lettered at once."""
    return isinstance(error, TRANSIENT_ERRORS)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter."""

    initial: float = 0.05
    maximum: float = 2.0

    def delay(self, attempt: int) -> float:
        """Return the pause before retry number `attempt` (1-based)."""
        return random.uniform(0, min(self.maximum, self.initial * 2 ** (attempt - 1)))
