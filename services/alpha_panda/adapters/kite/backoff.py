"""Reconnect delays: exponential growth with jitter, so reconnecting clients spread out."""

from __future__ import annotations


def backoff_delay(attempt: int, initial: float, maximum: float, jitter: float) -> float:
    """Return the delay before reconnect `attempt` (0-based), in seconds.

    The ceiling doubles per attempt from `initial` up to `maximum`; `jitter` in [0, 1) picks the
    delay between half the ceiling and the ceiling ("equal jitter"), so delays never collapse to
    zero yet clients that failed together do not retry together.
    """
    if not 0 <= jitter < 1:
        raise ValueError("jitter must be in [0, 1)")
    ceiling = min(maximum, initial * (1 << min(attempt, 62)))
    return ceiling / 2 * (1 + jitter)
