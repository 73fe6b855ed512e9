"""Status conditions keep their transition time until their status changes."""

from __future__ import annotations

from datetime import UTC, datetime

from alpha_panda_operator.models import StrategyPhase
from alpha_panda_operator.status import Observation, condition_status, strategy_status

EARLIER = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 4, 5, 7, 123456, tzinfo=UTC)


def resource(generation: int, conditions: list[dict] | None = None) -> dict:
    return {"metadata": {"generation": generation}, "status": {"conditions": conditions or []}}


def test_new_condition_gets_the_current_time_and_generation():
    status = strategy_status(
        resource(3),
        [Observation("Ready", False, "Paused", "paused")],
        NOW,
        phase=StrategyPhase.PAUSED,
    )
    assert status["observedGeneration"] == 3
    assert status["phase"] == "Paused"
    assert status["conditions"] == [
        {
            "type": "Ready",
            "status": "False",
            "reason": "Paused",
            "message": "paused",
            "lastTransitionTime": "2026-03-10T04:05:07Z",
            "observedGeneration": 3,
        }
    ]


def test_unchanged_condition_keeps_its_transition_time():
    before = [
        {
            "type": "Ready",
            "status": "False",
            "reason": "Paused",
            "message": "",
            "lastTransitionTime": "2026-03-10T04:00:00Z",
            "observedGeneration": 2,
        }
    ]
    status = strategy_status(
        resource(3, before), [Observation("Ready", False, "SessionNotReady", "expired")], NOW
    )
    assert status["conditions"][0]["lastTransitionTime"] == "2026-03-10T04:00:00Z"
    assert status["conditions"][0]["reason"] == "SessionNotReady"
    assert status["conditions"][0]["observedGeneration"] == 3


def test_flipped_condition_gets_a_new_transition_time():
    before = [
        {
            "type": "Ready",
            "status": "False",
            "reason": "Paused",
            "message": "",
            "lastTransitionTime": "2026-03-10T04:00:00Z",
        }
    ]
    status = strategy_status(
        resource(1, before), [Observation("Ready", True, "RunnerReady", "up")], NOW
    )
    assert status["conditions"][0]["lastTransitionTime"] == "2026-03-10T04:05:07Z"


def test_reconciler_status_leaves_the_live_figures_alone():
    status = strategy_status(resource(1), [], NOW)
    assert "trading" not in status


def test_condition_status_reads_unknown_when_absent():
    assert condition_status({"status": {}}, "Ready") == "Unknown"
    assert (
        condition_status({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, "Ready")
        == "True"
    )
