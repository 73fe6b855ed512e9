"""The streaming core: the only code that talks to Kafka producers and consumers."""

from alpha_panda.core.streaming.handler import (
    NOTHING,
    Handler,
    Outgoing,
    Outputs,
    Snapshot,
    Subscription,
)
from alpha_panda.core.streaming.publish import PublishConfig, Publisher
from alpha_panda.core.streaming.retry import FatalError, TransientError
from alpha_panda.core.streaming.runtime import Runtime, RuntimeConfig

__all__ = [
    "NOTHING",
    "FatalError",
    "Handler",
    "Outgoing",
    "Outputs",
    "PublishConfig",
    "Publisher",
    "Runtime",
    "RuntimeConfig",
    "Snapshot",
    "Subscription",
    "TransientError",
]
