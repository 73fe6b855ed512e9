"""Tick files: JSON lines (one Tick per line, depth included) or CSV (top of book only)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from alpha_panda.domain.market import DepthLevel, Tick

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
        if line.strip():
            yield Tick.model_validate_json(line)


def parse_csv(lines: Iterable[str]) -> Iterator[Tick]:
    """Yield the ticks of CSV rows with a `CSV_COLUMNS` header (ISO-8601 timestamps)."""
    for row in csv.DictReader(lines):
        yield Tick(
            instrument_token=int(row["instrument_token"]),
            exchange_timestamp=row["exchange_timestamp"],
            last_price=row["last_price"],
            last_quantity=int(row.get("last_quantity") or 0),
            volume=int(row.get("volume") or 0),
            bids=_level(row.get("bid_price"), row.get("bid_quantity")),
            asks=_level(row.get("ask_price"), row.get("ask_quantity")),
        )


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


def _level(price: str | None, quantity: str | None) -> tuple[DepthLevel, ...]:
    if not price:
        return ()
    return (DepthLevel(price=price, quantity=int(quantity or 0), orders=0),)
