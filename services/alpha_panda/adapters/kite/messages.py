"""Kite's JSON text messages on the market-data WebSocket: order updates and errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A postback-style order update pushed over the WebSocket (`type: order`)."""

    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FeedError:
    """An error Kite reports over the WebSocket (`type: error`)."""

    message: str

    @property
    def is_token_error(self) -> bool:
        """Return whether the error says the session's access token is invalid or expired."""
        text = self.message.lower()
        return "token" in text and any(
            word in text for word in ("invalid", "expired", "incorrect", "tokenexception")
        )


TextMessage = OrderUpdate | FeedError


def parse_text_message(payload: str | bytes) -> TextMessage | None:
    """Parse a text frame; return None for malformed JSON and message types the feed ignores."""
    try:
        message = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    kind, data = message.get("type"), message.get("data")
    if kind == "order" and isinstance(data, dict) and data:
        return OrderUpdate(data)
    if kind == "error":
        return FeedError(str(data))
    return None
