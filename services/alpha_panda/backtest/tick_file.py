"""Tick files: JSON lines (one Tick per line, depth included) or CSV (top of book only).

Both also accept the Kite simulator's replay records (`timestamp` instead of
`exchange_timestamp`, naive times in IST), so one file can drive the simulator and a backtest.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alpha_panda.domain.market import DepthLevel, Tick
from alpha_panda.domain.values import IST

CSV_COLUMNS = (
    "instrument_token",
    "exchange_timestamp",
    "last_price",
    "last_quantity",
    "volume",
    "bid_price",
    "bid_quantity",
    "ask_price",
    "ask_quantity",
)
"""CSV header; the first three columns are required, the others may be empty or absent."""


def parse_jsonl(lines: Iterable[str]) -> Iterator[Tick]:
    """Yield the ticks of JSON lines as written by `Tick.model_dump_json`; skip blank lines."""
    for line in lines:
        if '"exchange_timestamp"' in line:
            yield Tick.model_validate_json(line)
        elif line.strip():
            yield _from_record(json.loads(line))


def parse_csv(lines: Iterable[str]) -> Iterator[Tick]:
    """Yield the ticks of CSV rows with a `CSV_COLUMNS` header (ISO-8601 timestamps)."""
    for row in csv.DictReader(lines):
        yield _from_record(row)


def read_ticks(path: Path) -> Iterator[Tick]:
    """Yield the ticks of a `.jsonl`/`.json` or `.csv` file, in file order."""
    parse = parse_csv if path.suffix.lower() == ".csv" else parse_jsonl
    with path.open(encoding="utf-8", newline="") as handle:
        yield from parse(handle)


def write_jsonl(ticks: Iterable[Tick], path: Path) -> int:
    """Write ticks as JSON lines; return how many were written."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for tick in ticks:
            handle.write(tick.model_dump_json(exclude_defaults=True))
            handle.write("\n")
            count += 1
    return count


def _from_record(record: dict[str, Any]) -> Tick:
    stamp = datetime.fromisoformat(str(record.get("exchange_timestamp") or record["timestamp"]))
    return Tick(
        instrument_token=int(record["instrument_token"]),
        exchange_timestamp=stamp if stamp.tzinfo else stamp.replace(tzinfo=IST),
        last_price=str(record["last_price"]),
        last_quantity=int(record.get("last_quantity") or 0),
        volume=int(record.get("volume") or 0),
        bids=_level(record.get("bid_price"), record.get("bid_quantity")),
        asks=_level(record.get("ask_price"), record.get("ask_quantity")),
    )


def _level(price: Any, quantity: Any) -> tuple[DepthLevel, ...]:
    if price in (None, ""):
        return ()
    return ((Decimal(str(price)), int(quantity or 0), 0),)
