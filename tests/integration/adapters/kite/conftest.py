"""An in-process Kite simulator whose ticker hub records every client command."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from alpha_panda.adapters.kite.feed import KiteFeedConfig
from kite_sim.simulator import KiteSimulator, SimulatorConfig
from kite_sim.websocket import Connection


class CommandLog:
    """Every command the simulator's ticker hub received, per client connection."""

    def __init__(self) -> None:
        self.by_connection: dict[Connection, list[dict[str, Any]]] = defaultdict(list)

    def actions(self, connection: Connection) -> list[str]:
        """Return the actions one connection sent, in order."""
        return [command["a"] for command in self.by_connection[connection]]

    def count(self, action: str) -> int:
        """Return how many commands of this action all connections sent together."""
        return sum(
            command["a"] == action
            for commands in self.by_connection.values()
            for command in commands
        )


def record_commands(simulator: KiteSimulator) -> CommandLog:
    """Wrap the hub's command handler so the test can see the server's view of each client."""
    log = CommandLog()
    handle = simulator.hub._on_command

    async def recording(connection: Connection, data: str | bytes) -> None:
        log.by_connection[connection].append(json.loads(data))
        await handle(connection, data)

    simulator.hub._on_command = recording  # type: ignore[method-assign]
    return log


def feed_config(simulator: KiteSimulator, **overrides: Any) -> KiteFeedConfig:
    """Return a feed configuration for a fresh session on the simulator, with quick retries."""
    session = simulator.login()
    values: dict[str, Any] = {
        "ws_url": simulator.urls.websocket,
        "api_key": simulator.api_key,
        "access_token": session.access_token,
        "initial_backoff_seconds": 0.05,
        "max_backoff_seconds": 0.2,
        "watchdog_seconds": 5.0,
    }
    return KiteFeedConfig(**{**values, **overrides})


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    """Run a simulator with a fast tick interval on a free port."""
    async with KiteSimulator(SimulatorConfig(tick_interval=0.1, rate_limits={})) as running:
        yield running


@pytest.fixture
def commands(simulator: KiteSimulator) -> CommandLog:
    return record_commands(simulator)


def equity_tokens(simulator: KiteSimulator, count: int) -> list[int]:
    """Return up to `count` tradable instrument tokens of the simulator's registry."""
    return [item.instrument_token for item in simulator.registry if not item.is_index][:count]


def holds(condition: Callable[[], object]) -> Callable[[], Awaitable[bool]]:
    """Return `condition` as the async predicate `eventually` polls."""

    async def check() -> bool:
        return bool(condition())

    return check
