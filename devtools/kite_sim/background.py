"""Run the simulator on its own event loop in a background thread, for synchronous callers.

The official `kiteconnect` client blocks on HTTP, so a test driving it cannot share an event
loop with the server; this runs the server beside it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from kite_sim.simulator import KiteSimulator, SimulatorConfig, SimulatorUrls

Result = TypeVar("Result")


class BackgroundSimulator:
    """Start a `KiteSimulator` in a daemon thread; use as a context manager."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.simulator = KiteSimulator(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kite-sim", daemon=True)

    @property
    def urls(self) -> SimulatorUrls:
        """Return the running simulator's URLs."""
        return self.simulator.urls

    def start(self) -> SimulatorUrls:
        """Start the loop thread and the server; return once it accepts connections."""
        self._thread.start()
        return self.run(self.simulator.start())

    def stop(self) -> None:
        """Stop the server, then the loop and its thread."""
        self.run(self.simulator.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def run(self, coroutine: Coroutine[Any, Any, Result], timeout: float = 30.0) -> Result:
        """Run a coroutine on the simulator's loop and wait for its result."""
        future: Future[Result] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def call(self, function: Callable[[], Result], timeout: float = 30.0) -> Result:
        """Run a plain function on the simulator's loop (its state is not thread-safe)."""

        async def invoke() -> Result:
            return function()

        return self.run(invoke(), timeout)

    def __enter__(self) -> BackgroundSimulator:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
