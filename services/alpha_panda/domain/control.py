"""Operator commands that change what a namespace may do: the kill switch."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from alpha_panda.domain.values import Frozen, UtcDatetime


class ControlAction(StrEnum):
    HALT = "halt"
    RESUME = "resume"


class ControlCommand(Frozen):
    """Halt or resume one strategy, or the whole namespace when `strategy_id` is None."""

    action: ControlAction
    strategy_id: str | None = None
    reason: str = Field(default="", max_length=500)
    square_off: bool = False
    issued_at: UtcDatetime
