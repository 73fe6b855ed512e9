"""Simulator settings shared by the simulator's integration tests."""

from __future__ import annotations

from datetime import datetime

from alpha_panda.domain.values import IST
from kite_sim.simulator import SimulatorConfig

START = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
"""A Wednesday mid-session; the clock stays frozen there unless a test moves it."""


def frozen_config(**overrides: object) -> SimulatorConfig:
    """Return a simulator config with its clock frozen at START and no rate limits."""
    settings: dict[str, object] = {"speed": 0.0, "start": START, "seed": 11, "rate_limits": {}}
    settings.update(overrides)
    return SimulatorConfig(**settings)  # type: ignore[arg-type]
