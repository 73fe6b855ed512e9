"""Which strategies' instruments the feed cannot stream, from what every definition wants."""

from __future__ import annotations

from alpha_panda.core.settings import load_settings
from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.values import Namespace
from alpha_panda.market_feed.service import definitions_followed
from alpha_panda.market_feed.subscriptions import FeedSubscriptions


def subscriptions(wanted: dict[str, tuple[int, ...]]) -> FeedSubscriptions:
    handler = FeedSubscriptions([TopicMap(namespace).strategies for namespace in Namespace])
    handler.wanted = wanted
    return handler


def test_only_the_strategies_wanting_an_overflowing_instrument_are_named_with_those_instruments():
    handler = subscriptions({"paper/a": (1, 2, 3), "zerodha/b": (3, 4), "paper/c": (5,)})
    assert handler.over_capacity((3, 4)) == {"paper/a": (3,), "zerodha/b": (3, 4)}


def test_nothing_is_over_capacity_without_overflow():
    assert subscriptions({"paper/a": (1,)}).over_capacity(()) == {}


def test_the_feed_follows_the_listed_definitions_topics_or_else_its_own_namespaces():
    base = load_settings(
        service_name="market-feed",
        namespace="zerodha",
        topic_prefix="team.live.",
        kafka_bootstrap="127.0.0.1:9092",
        postgres_dsn="postgresql://x@127.0.0.1/x",
        redis_url="redis://127.0.0.1/0",
    )
    assert definitions_followed(base) == [
        "team.live.paper.strategies",
        "team.live.zerodha.strategies",
    ]
    listed = base.model_copy(
        update={
            "feed_definition_topics": "team.live.zerodha.strategies, team.paper.paper.strategies"
        }
    )
    assert definitions_followed(listed) == [
        "team.live.zerodha.strategies",
        "team.paper.paper.strategies",
    ]
