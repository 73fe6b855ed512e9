"""Prometheus metrics of the streaming core, labelled by service and topic."""

import functools
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "alpha_panda_events_consumed_total", "Events read from Kafka", ["service", "topic"]
)
EVENTS_EMITTED = Counter(
    "alpha_panda_events_emitted_total", "Events published to Kafka", ["service", "topic"]
)
EVENTS_SKIPPED = Counter(
    "alpha_panda_events_skipped_total",
    "Records not decoded: superseded by a newer one with their key, or of a key not read",
    ["service", "reason"],
)
DUPLICATES_SKIPPED = Counter(
    "alpha_panda_duplicates_skipped_total", "Redelivered events already handled", ["service"]
)
HANDLER_SECONDS = Histogram(
    "alpha_panda_handler_seconds",
    "Time spent in a service's event handler",
    ["service"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
RETRIES = Counter("alpha_panda_retries_total", "Handler attempts retried", ["service"])
DEAD_LETTERS = Counter(
    "alpha_panda_dead_letters_total", "Events sent to a dead-letter topic", ["service", "topic"]
)
CONSUMER_LAG = Gauge(
    "alpha_panda_consumer_lag", "High watermark minus position", ["service", "topic", "partition"]
)


@functools.cache
def child(metric: Counter | Histogram | Gauge, *labels: str) -> Any:
    """Return the labelled child of a metric, cached: `labels()` is too slow for the hot path."""
    return metric.labels(*labels)
