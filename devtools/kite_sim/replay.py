"""Replay market: play recorded ticks from a CSV or JSON-lines file instead of generated paths.

Each record needs `instrument_token`, `timestamp` (ISO 8601; naive times are IST) and
`last_price` (rupees); `last_quantity`, `volume` and `oi` are optional. At any instant an
instrument shows its latest record at or before that instant, with day open/high/low,
previous close and depth derived from the records.
"""

from __future__ import annotations

import bisect
import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alpha_panda.backtest.generated_market.instruments import InstrumentRegistry
from alpha_panda.backtest.generated_market.quotes import (
    Quote,
    depth_shape,
    synthetic_depth,
    to_paise,
)
from alpha_panda.domain.values import IST

_DEFAULT_TICK_PAISE = 5


@dataclass(frozen=True, slots=True)
class TickRecord:
    """One recorded tick as read from a replay file."""

    instrument_token: int
    timestamp: datetime
    last_price: Decimal
    last_quantity: int = 0
    volume: int | None = None
    oi: int = 0


def _parse_time(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=IST)


def _record(fields: dict[str, Any]) -> TickRecord:
    volume = fields.get("volume")
    return TickRecord(
        instrument_token=int(fields["instrument_token"]),
        timestamp=_parse_time(str(fields["timestamp"])),
        last_price=Decimal(str(fields["last_price"])),
        last_quantity=int(fields.get("last_quantity") or 0),
        volume=int(volume) if volume not in (None, "") else None,
        oi=int(fields.get("oi") or 0),
    )


def read_tick_file(path: Path) -> list[TickRecord]:
    """Read a replay file: `.csv` with a header row, anything else as JSON lines."""
    with path.open(encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            return [_record(row) for row in csv.DictReader(handle)]
        return [_record(json.loads(line)) for line in handle if line.strip()]


def first_instant(records: Iterable[TickRecord]) -> datetime | None:
    """Return the earliest recorded instant, where a replay clock naturally starts."""
    return min((record.timestamp for record in records), default=None)


class ReplayMarket:
    """A market that replays recorded ticks; quotes are precomputed per record."""

    def __init__(
        self, registry: InstrumentRegistry, records: Iterable[TickRecord], seed: int = 0
    ) -> None:
        by_token: dict[int, list[TickRecord]] = defaultdict(list)
        for record in records:
            by_token[record.instrument_token].append(record)
        self._times: dict[int, list[datetime]] = {}
        self._quotes: dict[int, list[Quote]] = {}
        for token, rows in by_token.items():
            rows.sort(key=lambda row: row.timestamp)
            instrument = registry.by_token(token)
            tick = to_paise(instrument.tick_size) if instrument else 0
            lot = instrument.lot_size if instrument else 1
            index = instrument.is_index if instrument else False
            self._times[token] = [row.timestamp for row in rows]
            self._quotes[token] = list(
                _quotes(token, rows, tick or _DEFAULT_TICK_PAISE, lot, index, seed)
            )

    def quote(self, instrument_token: int, instant: datetime) -> Quote | None:
        """Return the latest recorded state at or before `instant`, or None before the first."""
        times = self._times.get(instrument_token)
        if not times:
            return None
        position = bisect.bisect_right(times, instant)
        if position == 0:
            return None
        return self._quotes[instrument_token][position - 1]


def _quotes(
    token: int, rows: list[TickRecord], tick: int, lot: int, index: bool, seed: int
) -> Iterator[Quote]:
    shape = depth_shape(seed, token, max(lot, 1))
    day = None
    close = opening = high = low = volume = turnover = last_price = 0
    oi_high = oi_low = 0
    for sequence, row in enumerate(rows, start=1):
        price = to_paise(row.last_price)
        row_day = row.timestamp.astimezone(IST).date()
        if row_day != day:
            close = price if day is None else last_price
            day, opening, high, low = row_day, price, price, price
            volume = turnover = 0
            oi_high = oi_low = row.oi
        last_price = price
        high, low = max(high, price), min(low, price)
        volume = row.volume if row.volume is not None else volume + row.last_quantity
        turnover += price * row.last_quantity
        oi_high, oi_low = max(oi_high, row.oi), min(oi_low, row.oi)
        bids, asks = ((), ()) if index else synthetic_depth(shape, token, sequence, price, tick)
        yield Quote(
            instrument_token=token,
            sequence=sequence,
            timestamp=row.timestamp,
            last_price=price,
            last_quantity=row.last_quantity,
            average_price=turnover // volume if volume and turnover else price,
            volume=volume,
            buy_quantity=sum(level[1] for level in bids),
            sell_quantity=sum(level[1] for level in asks),
            open=opening,
            high=high,
            low=low,
            close=close,
            oi=row.oi,
            oi_day_high=oi_high,
            oi_day_low=oi_low,
            lower_circuit=0,
            upper_circuit=0,
            bids=bids,
            asks=asks,
            is_index=index,
        )
