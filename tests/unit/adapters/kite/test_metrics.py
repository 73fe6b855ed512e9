"""Prometheus exposition of the market feed's counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed, KiteFeedConfig
from alpha_panda.adapters.kite.metrics import FeedCollector


def test_counters_and_readiness_are_exposed_at_scrape_time() -> None:
    config = KiteFeedConfig(ws_url="ws://127.0.0.1:1", api_key="key", access_token=SecretStr("t"))
    feed = KiteFeed(config, [408065])
    registry = CollectorRegistry()
    registry.register(FeedCollector(feed))

    feed.counters.ticks = 7
    feed.counters.dropped_ticks = 2
    text = generate_latest(registry).decode()

    assert "alpha_panda_market_feed_ticks_total 7.0" in text
    assert "alpha_panda_market_feed_dropped_ticks_total 2.0" in text
    assert "alpha_panda_market_feed_reconnects_total 0.0" in text
    assert "alpha_panda_market_feed_ready 0.0" in text
