import json
from decimal import Decimal

import pytest

from alpha_panda.domain.risk import RiskEngine, RiskEngineConfig, RiskLimits
from alpha_panda.domain.signals import RejectedSignal
from alpha_panda.domain.values import Namespace, Side
from tests.unit.domain.conftest import at, make_fill, make_signal, make_tick

TOKEN = 408065
NO_HOURS = RiskLimits(market_hours=None)


def engine(**config):
    settings = {"defaults": NO_HOURS, "orders_per_second": None} | config
    return RiskEngine(RiskEngineConfig(namespace=Namespace.PAPER, **settings))


def rule_of(verdict):
    return verdict.rule if isinstance(verdict, RejectedSignal) else "validated"


# -- fail closed -------------------------------------------------------------------------


def test_signal_of_a_strategy_without_definition_is_rejected_unknown_strategy():
    risk = engine()
    verdict = risk.evaluate(make_signal(Side.BUY, 1_000_000))
    assert rule_of(verdict) == "unknown_strategy"
    assert "'alpha'" in verdict.reason
    assert risk.halted("alpha") == "no definition in force"


def test_applied_definition_is_in_force_for_the_next_signal():
    risk = engine()
    assert risk.apply_definition(
        "alpha", RiskLimits(max_position_quantity=10), paused=False, generation=1
    )
    refused = risk.evaluate(make_signal(Side.BUY, 1000))
    assert rule_of(refused) == "max_position_quantity"
    assert rule_of(risk.evaluate(make_signal(Side.BUY, 10, seconds=1))) == "validated"


def test_changed_limits_judge_the_next_signal():
    risk = engine()
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=10), paused=False, generation=1)
    assert rule_of(risk.evaluate(make_signal(Side.BUY, 15))) == "max_position_quantity"
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=20), paused=False, generation=2)
    assert rule_of(risk.evaluate(make_signal(Side.BUY, 15, seconds=1))) == "validated"
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=5), paused=False, generation=3)
    assert rule_of(risk.evaluate(make_signal(Side.SELL, 9, seconds=2))) == "max_position_quantity"


def test_definition_limits_merge_over_the_namespace_defaults():
    risk = engine(defaults=RiskLimits(max_orders_per_day=1))  # market hours on by default
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=10), paused=False, generation=1)
    assert rule_of(risk.evaluate(make_signal(seconds=1))) == "validated"
    assert rule_of(risk.evaluate(make_signal(seconds=2))) == "max_orders_per_day"
    assert rule_of(risk.evaluate(make_signal(seconds=6 * 3600))) == "market_hours"  # 16:00 IST


def test_removed_strategy_is_rejected_unknown_strategy_and_keeps_its_positions():
    risk = engine()
    risk.apply_definition("alpha", RiskLimits(), paused=False, generation=1)
    risk.on_fill(make_fill(Side.BUY, 10))
    assert risk.remove_strategy("alpha")
    assert rule_of(risk.evaluate(make_signal(Side.SELL, 10, seconds=1))) == "unknown_strategy"
    assert risk.position("alpha", TOKEN) == 10
    assert not risk.remove_strategy("alpha")
    assert risk.apply_definition("alpha", RiskLimits(), paused=False, generation=1)  # re-created
    assert rule_of(risk.evaluate(make_signal(Side.SELL, 10, seconds=2))) == "validated"


def test_configured_strategies_are_known_from_the_start_and_a_definition_replaces_them():
    risk = engine(strategies={"alpha": RiskLimits(max_position_quantity=10)})
    assert rule_of(risk.evaluate(make_signal(Side.BUY, 11))) == "max_position_quantity"
    assert rule_of(risk.evaluate(make_signal(strategy_id="beta"))) == "unknown_strategy"
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=20), paused=False, generation=1)
    assert rule_of(risk.evaluate(make_signal(Side.BUY, 11, seconds=1))) == "validated"


# -- generations and the one kill switch -------------------------------------------------


def test_older_or_replayed_generation_changes_nothing():
    risk = engine()
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=20), paused=False, generation=2)
    assert not risk.apply_definition(
        "alpha", RiskLimits(max_position_quantity=5), paused=False, generation=1
    )
    assert risk.definition("alpha").limits.max_position_quantity == 20
    risk.halt("operator request", strategy_id="alpha")
    assert not risk.apply_definition(
        "alpha", RiskLimits(max_position_quantity=20), paused=False, generation=2
    )
    assert rule_of(risk.evaluate(make_signal())) == "kill_switch"


def test_paused_definition_rejects_with_a_clear_reason_and_unpausing_resumes():
    risk = engine()
    risk.apply_definition("alpha", RiskLimits(), paused=True, generation=4)
    verdict = risk.evaluate(make_signal())
    assert rule_of(verdict) == "kill_switch"
    assert verdict.reason == "strategy halted: paused (definition generation 4)"
    risk.apply_definition("alpha", RiskLimits(), paused=False, generation=5)
    assert rule_of(risk.evaluate(make_signal(seconds=1))) == "validated"


def test_halt_and_paused_are_one_flag():
    risk = engine()
    risk.apply_definition("alpha", RiskLimits(), paused=True, generation=1)
    risk.resume("alpha")  # the API's resume lifts the definition's pause
    assert risk.halted("alpha") is None
    risk.halt("operator request", strategy_id="alpha")
    risk.apply_definition("alpha", RiskLimits(), paused=False, generation=2)  # unpaused edit
    assert risk.halted("alpha") is None
    assert rule_of(risk.evaluate(make_signal())) == "validated"


def test_pause_is_kept_while_the_limits_change():
    risk = engine()
    risk.apply_definition("alpha", RiskLimits(), paused=True, generation=1)
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=3), paused=True, generation=2)
    assert rule_of(risk.evaluate(make_signal())) == "kill_switch"


def test_definitions_and_pauses_survive_a_snapshot_and_outrank_the_configuration():
    config = {"strategies": {"alpha": RiskLimits(max_position_quantity=100)}}
    risk = engine(**config)
    risk.apply_definition("alpha", RiskLimits(max_position_quantity=10), paused=False, generation=3)
    risk.apply_definition("beta", RiskLimits(max_daily_loss=Decimal(50)), paused=True, generation=1)
    restored = engine(**config)
    restored.restore(json.loads(json.dumps(risk.snapshot())))
    assert restored.snapshot() == risk.snapshot()
    assert restored.definition("alpha").generation == 3
    assert rule_of(restored.evaluate(make_signal(Side.BUY, 11))) == "max_position_quantity"
    assert rule_of(restored.evaluate(make_signal(strategy_id="beta"))) == "kill_switch"


# -- signal age --------------------------------------------------------------------------


def test_signal_older_than_the_maximum_age_against_now_is_rejected_stale_signal():
    risk = engine(strategies={"alpha": RiskLimits()}, max_signal_age_seconds=300)
    verdict = risk.evaluate(make_signal(seconds=0), now=at(300.5))
    assert rule_of(verdict) == "stale_signal"
    assert "0:05:00.500000 old" in verdict.reason
    fresh = risk.evaluate(make_signal(seconds=1), now=at(301))
    assert rule_of(fresh) == "validated"
    assert "stale_signal" in fresh.checks_passed


def test_signal_age_without_now_is_measured_against_the_latest_event_seen():
    risk = engine(strategies={"alpha": RiskLimits()}, max_signal_age_seconds=60)
    risk.on_tick(make_tick("100", seconds=3600))
    assert rule_of(risk.evaluate(make_signal(seconds=3000))) == "stale_signal"
    assert rule_of(risk.evaluate(make_signal(seconds=3540))) == "validated"


@pytest.mark.parametrize("age", [None, 600])
def test_signal_age_rule_off_or_generous_validates_an_old_signal(age):
    risk = engine(strategies={"alpha": RiskLimits()}, max_signal_age_seconds=age)
    assert rule_of(risk.evaluate(make_signal(seconds=0), now=at(500))) == "validated"
