"""What the operator publishes as a TradingStrategy's definition."""

from __future__ import annotations

from alpha_panda.domain.values import Namespace
from alpha_panda_operator.definitions import definition_of, definition_topics
from alpha_panda_operator.isolation import SessionScope
from alpha_panda_operator.models import TradingStrategySpec


def spec(paused: bool) -> TradingStrategySpec:
    return TradingStrategySpec.model_validate(
        {
            "strategyType": "momentum",
            "namespace": "paper",
            "brokerSessionRef": {"name": "paper"},
            "instruments": [
                {"instrumentToken": 408065, "tradingSymbol": "INFY", "exchange": "NSE"}
            ],
            "parameters": {"lookback": 5},
            "riskLimits": {"maxPositionQuantity": 10, "maxDailyLoss": "5000"},
            "paused": paused,
        }
    )


def test_the_definition_carries_the_spec_the_pause_and_the_limits():
    paused = definition_of("momo", spec(paused=True))
    assert (paused.strategy_id, paused.namespace, paused.instruments) == (
        "momo",
        Namespace.PAPER,
        (408065,),
    )
    assert paused.paused and paused.risk_limits.max_position_quantity == 10
    assert not definition_of("momo", spec(paused=False)).paused


def test_the_definition_goes_to_the_sessions_own_topic():
    topics = definition_topics(SessionScope("team-a", "paper", "paper"), spec(paused=False))
    assert topics.strategies == "team-a.paper.paper.strategies"
