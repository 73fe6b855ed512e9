"""How figures are written for a reader in India: rupees, counts, rates and IST exchange times."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from alpha_panda.domain.values import IST

MINUS = "\u2212"


def indian_grouping(digits: str) -> str:
    """Group an unsigned integer's digits the Indian way: 10,00,000 for ten lakh."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return ",".join([head, *pairs, tail])


def rupees(amount: Decimal) -> str:
    """Return an amount as ₹ with two decimals and Indian digit grouping, e.g. \u2212₹1,949.51."""
    text = f"{abs(amount):.2f}"
    whole, fraction = text.split(".")
    sign = MINUS if amount < 0 else ""
    return f"{sign}₹{indian_grouping(whole)}.{fraction}"


def count(value: int) -> str:
    """Return a count with Indian digit grouping."""
    return indian_grouping(str(value))


def percent(rate: Decimal | None) -> str:
    """Return a 0..1 rate as a percentage with one decimal, or a dash when undefined."""
    return "\u2014" if rate is None else f"{rate * 100:.1f}%"


def ratio(value: Decimal | None) -> str:
    """Return a ratio with two decimals, or a dash when undefined."""
    return "\u2014" if value is None else f"{value:.2f}".replace("-", MINUS)


def exchange_time(instant: datetime, with_day: bool) -> str:
    """Return an instant in IST exchange time, with its day when the report spans several."""
    local = instant.astimezone(IST)
    return local.strftime("%d %b %H:%M:%S" if with_day else "%H:%M:%S")
