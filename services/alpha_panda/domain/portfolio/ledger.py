"""What the trade ledger books: every order event, under the id of the event that carried it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from alpha_panda.domain.orders import OrderFailed, OrderFilled, OrderPlaced
from alpha_panda.domain.values import Namespace


@dataclass(frozen=True)
class LedgerEntry:
    """One order event to book: the placement, a fill or a failure."""

    namespace: Namespace
    event_id: uuid.UUID
    event: OrderPlaced | OrderFilled | OrderFailed
