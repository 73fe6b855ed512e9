"""The isolation rule: names derive from the session; sessions that would share are refused."""

from __future__ import annotations

import pytest

from alpha_panda_operator.isolation import SessionScope, isolation_observation, scope_of


def session(name: str, broker: str, created: str, market_feed: bool = True) -> dict:
    return {
        "metadata": {"name": name, "namespace": "trading", "creationTimestamp": created},
        "spec": {"namespace": broker, "secretRef": {"name": "kite"}, "marketFeed": market_feed},
    }


def test_every_name_of_a_session_carries_its_namespace_and_name():
    scope = scope_of(session("paper", "paper", "2026-12-07T03:00:00Z"))
    assert scope == SessionScope("trading", "paper", "paper")
    assert scope.topic_prefix == "trading.paper."
    assert scope.market_topic_prefix == "trading."
    assert scope.consumer_group("alpha-panda", "risk-manager") == (
        "alpha-panda.trading.paper.paper.risk-manager"
    )


def test_two_sessions_never_share_a_topic_prefix_or_a_group():
    scopes = [
        SessionScope("team-a", "paper", "paper"),
        SessionScope("team-b", "paper", "paper"),
        SessionScope("team-a", "rehearsal", "paper"),
    ]
    assert len({scope.topic_prefix for scope in scopes}) == len(scopes)
    assert len({scope.group_prefix("alpha-panda") for scope in scopes}) == len(scopes)


def test_names_the_services_would_refuse_are_a_problem():
    assert SessionScope("trading", "paper", "paper").problem("alpha-panda") is None
    assert "longer than 63" in SessionScope("t" * 40, "paper", "paper").problem("alpha-panda")
    assert "DNS label" in SessionScope("trading", "a.b", "paper").problem("alpha-panda")


def test_second_session_of_a_broker_namespace_is_refused_and_the_first_kept():
    first = session("paper", "paper", "2026-12-07T03:00:00Z")
    second = session("rehearsal", "paper", "2026-12-07T04:00:00Z", market_feed=False)
    sessions = [second, first]
    assert isolation_observation(first, sessions).status
    refused = isolation_observation(second, sessions)
    assert (refused.status, refused.reason) == (False, "SharesLedger")
    assert "paper" in refused.message


def test_second_market_feed_in_a_namespace_is_refused():
    paper = session("paper", "paper", "2026-12-07T03:00:00Z")
    live = session("live", "zerodha", "2026-12-07T04:00:00Z")
    assert isolation_observation(live, [paper, live]).reason == "SharesMarketFeed"
    quiet = session("live", "zerodha", "2026-12-07T04:00:00Z", market_feed=False)
    assert isolation_observation(quiet, [paper, quiet]).status


@pytest.mark.parametrize("deleting", [True, False])
def test_a_session_being_deleted_no_longer_blocks_the_next(deleting):
    first = session("paper", "paper", "2026-12-07T03:00:00Z")
    if deleting:
        first["metadata"]["deletionTimestamp"] = "2026-12-07T05:00:00Z"
    second = session("rehearsal", "paper", "2026-12-07T04:00:00Z", market_feed=False)
    assert isolation_observation(second, [first, second]).status is deleting
