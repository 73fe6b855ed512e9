"""The streaming core: the only code that talks to Kafka producers and consumers."""

from alpha_panda.core.streaming.processor import Outgoing, StreamProcessor, StreamProcessorConfig
from alpha_panda.core.streaming.retry import FatalError, TransientError

__all__ = ["FatalError", "Outgoing", "StreamProcessor", "StreamProcessorConfig", "TransientError"]
