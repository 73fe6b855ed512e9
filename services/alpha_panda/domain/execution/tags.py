"""Kite order tags derived from event ids, used as the idempotency key of live orders."""

from __future__ import annotations

import hashlib
from typing import TypeGuard

TAG_LENGTH = 20
TAG_PREFIX = "AP"


def order_tag(event_id: str) -> str:
    """Return the 20-character alphanumeric Kite tag of the order an event causes.

    The same event id always gives the same tag, so a redelivered validated signal can be
    recognised at the broker before a second order is placed. 72 bits of a SHA-256 digest (18
    hex digits) keep collisions out of reach for any realistic number of orders.
    """
    digest = hashlib.sha256(event_id.encode()).hexdigest()
    return TAG_PREFIX + digest[: TAG_LENGTH - len(TAG_PREFIX)].upper()


def is_order_tag(tag: object) -> TypeGuard[str]:
    """Tell whether a Kite order's tag has the form `order_tag` gives: the platform's order."""
    if not isinstance(tag, str) or len(tag) != TAG_LENGTH or not tag.startswith(TAG_PREFIX):
        return False
    return all(character in "0123456789ABCDEF" for character in tag[len(TAG_PREFIX) :])
