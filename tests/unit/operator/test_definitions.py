"""What the operator publishes as a TradingStrategy's definition."""

from __future__ import annotations

import threading

from alpha_panda.domain.values import Namespace
from alpha_panda_operator.definitions import Outbox, definition_of, definition_topics
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


def hold(outbox: Outbox, key: str, ran: list[str], name: str) -> threading.Event:
    """Submit a publication that stays running until the returned event is set."""
    busy, release = threading.Event(), threading.Event()

    def held() -> None:
        busy.set()
        release.wait(5)
        ran.append(name)

    outbox.submit(key, held)
    assert busy.wait(5)
    return release


def drain(outbox: Outbox, release: threading.Event) -> None:
    """Let the held publication end and wait until everything asked for before has run."""
    release.set()
    done = threading.Event()
    outbox.submit("end", done.set)
    assert done.wait(5)


def test_the_outbox_keeps_only_the_latest_waiting_publication_of_each_strategy():
    """While Kafka is slow, reconciles keep asking: the backlog stays one per strategy, in the
    order first asked, and a removal replaces a definition still waiting (never resurrected)."""
    outbox, ran = Outbox(), []
    release = hold(outbox, "other", ran, "slow")
    for generation in (1, 2, 3):
        outbox.submit("momo", lambda g=generation: ran.append(f"define momo {g}"))
    outbox.submit("trend", lambda: ran.append("define trend"))
    outbox.submit("trend", lambda: ran.append("remove trend"))
    drain(outbox, release)
    assert ran == ["slow", "define momo 3", "remove trend"]


def test_a_publication_asked_for_while_its_strategys_runs_follows_it():
    outbox, ran = Outbox(), []
    release = hold(outbox, "momo", ran, "define momo 1")
    outbox.submit("momo", lambda: ran.append("remove momo"))
    drain(outbox, release)
    assert ran == ["define momo 1", "remove momo"]
