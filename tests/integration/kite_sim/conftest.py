"""Simulators on free ports for the official kiteconnect client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kiteconnect import KiteConnect

from kite_sim.background import BackgroundSimulator
from tests.integration.kite_sim.support import frozen_config


@pytest.fixture(scope="module")
def background() -> Iterator[BackgroundSimulator]:
    with BackgroundSimulator(frozen_config(tick_interval=0.1)) as running:
        yield running


@pytest.fixture
def kite(background: BackgroundSimulator) -> KiteConnect:
    session = background.call(background.simulator.login)
    return KiteConnect(
        background.simulator.api_key, session.access_token, root=background.urls.rest
    )
