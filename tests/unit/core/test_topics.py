import pytest

from alpha_panda.core.topics import TopicMap, dlq, is_dlq, original_of
from alpha_panda.domain.values import Namespace


def test_paper_and_zerodha_share_only_the_market_topic():
    paper, live = TopicMap(Namespace.PAPER), TopicMap(Namespace.ZERODHA)
    shared = set(paper.all_topics()) & set(live.all_topics())
    assert shared == {paper.market_ticks, dlq(paper.market_ticks)}
    assert all(topic.startswith("paper.") for topic in paper.namespaced())


def test_every_topic_has_a_dead_letter_companion():
    topics = TopicMap(Namespace.PAPER).all_topics()
    main = [t for t in topics if not is_dlq(t)]
    assert sorted(dlq(t) for t in main) == sorted(t for t in topics if is_dlq(t))
    assert all(original_of(dlq(t)) == t for t in main)


def test_prefix_isolates_deployments():
    staging = TopicMap(Namespace.PAPER, "staging.")
    assert staging.market_ticks == "staging.market.ticks"
    assert staging.orders_filled == "staging.paper.orders.filled"


def test_original_of_refuses_a_non_dlq_topic():
    with pytest.raises(ValueError, match="not a dead-letter topic"):
        original_of("paper.orders.filled")


def test_sessions_of_one_deployment_share_the_market_topic_and_nothing_else():
    first = TopicMap(Namespace.PAPER, "trading.paper.", market_prefix="trading.")
    second = TopicMap(Namespace.PAPER, "trading.rehearsal.", market_prefix="trading.")
    assert first.market_ticks == second.market_ticks == "trading.market.ticks"
    assert not set(first.namespaced()) & set(second.namespaced())
    assert first.signals_raw == "trading.paper.paper.signals.raw"
