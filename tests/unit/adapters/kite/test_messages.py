"""Parsing Kite's WebSocket text messages."""

from __future__ import annotations

import json

import pytest

from alpha_panda.adapters.kite.messages import FeedError, OrderUpdate, parse_text_message


def test_order_update_carries_its_data() -> None:
    payload = json.dumps({"type": "order", "data": {"order_id": "1", "status": "COMPLETE"}})
    assert parse_text_message(payload) == OrderUpdate({"order_id": "1", "status": "COMPLETE"})


def test_error_message_is_parsed_from_bytes() -> None:
    assert parse_text_message(b'{"type": "error", "data": "bad mode"}') == FeedError("bad mode")


@pytest.mark.parametrize(
    ("message", "is_token_error"),
    [
        ("Incorrect `api_key` or `access_token`.", True),
        ("TokenException: Token is invalid or has expired.", True),
        ("Invalid mode", False),
    ],
)
def test_token_errors_are_recognised(message: str, is_token_error: bool) -> None:
    assert FeedError(message).is_token_error is is_token_error


@pytest.mark.parametrize(
    "payload", ["not json", "[1, 2]", '{"type": "order", "data": {}}', '{"type": "message"}']
)
def test_malformed_and_ignored_messages_parse_to_none(payload: str) -> None:
    assert parse_text_message(payload) is None
