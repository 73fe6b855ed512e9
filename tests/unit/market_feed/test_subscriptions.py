"""Which strategies' instruments the feed cannot stream, from what every definition wants."""

from __future__ import annotations

from alpha_panda.core.topics import TopicMap
from alpha_panda.domain.values import Namespace
from alpha_panda.market_feed.subscriptions import FeedSubscriptions


def subscriptions(wanted: dict[str, tuple[int, ...]]) -> FeedSubscriptions:
    handler = FeedSubscriptions([TopicMap(namespace) for namespace in Namespace])
    handler.wanted = wanted
    return handler


def test_only_the_strategies_wanting_an_overflowing_instrument_are_named_with_those_instruments():
    handler = subscriptions({"paper/a": (1, 2, 3), "zerodha/b": (3, 4), "paper/c": (5,)})
    assert handler.over_capacity((3, 4)) == {"paper/a": (3,), "zerodha/b": (3, 4)}


def test_nothing_is_over_capacity_without_overflow():
    assert subscriptions({"paper/a": (1,)}).over_capacity(()) == {}
