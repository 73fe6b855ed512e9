"""Closing a service after an outage: a client's stray cancellation never ends the process."""

from __future__ import annotations

import asyncio

import pytest

from alpha_panda.app.supervisor import _quietly


async def close_like_aiokafka() -> None:
    """Cancel a pending task and await it unguarded, as aiokafka's fetcher does on close."""
    pending = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    pending.cancel()
    await pending


async def test_a_cancellation_raised_by_a_close_is_logged_not_raised(caplog) -> None:
    await _quietly(close_like_aiokafka(), "closing the service")
    assert "closing the service was cut short" in caplog.text


async def test_cancelling_the_supervisor_itself_still_cancels_it() -> None:
    started = asyncio.Event()

    async def slow_close() -> None:
        started.set()
        await asyncio.sleep(10)

    closing = asyncio.create_task(_quietly(slow_close(), "closing the service"))
    await started.wait()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
