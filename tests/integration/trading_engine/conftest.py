"""A frozen Kite simulator per test, for the trader's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kite_sim import KiteSimulator
from tests.integration.trading_engine.kite import frozen_simulator


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with frozen_simulator() as running:
        yield running
