"""Simulators on free ports for the official kiteconnect client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from kiteconnect import KiteConnect

from alpha_panda.domain.values import IST
from alpha_panda.kite_sim.background import BackgroundSimulator
from alpha_panda.kite_sim.simulator import SimulatorConfig

START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
"""A Wednesday mid-session; the clock stays frozen there unless a test moves it."""


def frozen_config(**overrides: object) -> SimulatorConfig:
    settings: dict[str, object] = {"speed": 0.0, "start": START, "seed": 11, "rate_limits": {}}
    settings.update(overrides)
    return SimulatorConfig(**settings)  # type: ignore[arg-type]


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
