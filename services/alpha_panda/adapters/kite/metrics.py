"""Expose a market feed's counters to Prometheus."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from alpha_panda.adapters.kite.feed import KiteFeed


class FeedCollector(Collector):
    """Read a feed's counters at scrape time, so the hot path only increments integers.

    Each counter becomes `alpha_panda_market_feed_<name>_total`; readiness, the open
    connections, the instruments they carry and those left over Kite's limits become gauges.
    """

    def __init__(self, feed: KiteFeed) -> None:
        self._feed = feed

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """Yield one counter per feed counter, the skipped packets and the gauges."""
        counters = self._feed.counters
        for field in fields(counters):
            yield CounterMetricFamily(
                f"alpha_panda_market_feed_{field.name}",
                f"Market feed {field.name.replace('_', ' ')}.",
                value=getattr(counters, field.name),
            )
        yield CounterMetricFamily(
            "alpha_panda_market_feed_skipped_packets",
            "Market feed packets skipped: uninterpretable, or in another mode than the feed's.",
            value=self._feed.skipped_packets,
        )
        yield GaugeMetricFamily(
            "alpha_panda_market_feed_ready",
            "1 while every feed connection is open and subscribed.",
            value=int(self._feed.ready),
        )
        shards = self._feed.shards
        yield GaugeMetricFamily(
            "alpha_panda_market_feed_connections",
            "Kite connections the feed needs for its instruments (at most 3).",
            value=len(shards),
        )
        yield GaugeMetricFamily(
            "alpha_panda_market_feed_instruments",
            "Instruments the feed subscribes.",
            value=sum(len(shard) for shard in shards),
        )
        yield GaugeMetricFamily(
            "alpha_panda_market_feed_overflow_instruments",
            "Wanted instruments Kite's connection limits leave unsubscribed.",
            value=len(self._feed.overflow),
        )
