"""The API's instruments master: the day's Kite dump, read through `InstrumentsLoader`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from alpha_panda.adapters.kite.instruments import InstrumentsLoader
from alpha_panda.api.instruments import InstrumentDirectory, InstrumentsUnavailableError

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
DUMP = (
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,"
    "lot_size,instrument_type,segment,exchange\n"
    "738561,2885,RELIANCE,RELIANCE INDUSTRIES,0,,0,0.05,1,EQ,NSE,NSE\n"
    "256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE\n"
)


def unreachable(cache: Path) -> InstrumentsLoader:
    """A loader whose Kite cannot be reached: only its disk copy can answer."""
    return InstrumentsLoader("http://127.0.0.1:1", "key", SecretStr("token"), cache)


async def test_tokens_are_named_from_the_days_dump_in_the_order_asked(tmp_path):
    loader = unreachable(tmp_path)
    loader.cache_path(NOW).write_text(DUMP)
    directory = InstrumentDirectory(lambda: loader, clock=lambda: NOW)

    listed = await directory.lookup([256265, 999, 738561, 256265])

    assert [(i.instrument_token, i.tradingsymbol, i.exchange) for i in listed] == [
        (256265, "NIFTY 50", "NSE"),
        (738561, "RELIANCE", "NSE"),
    ]


async def test_without_a_configured_kite_nothing_is_listed():
    assert await InstrumentDirectory(lambda: None).lookup([738561]) == []


async def test_a_master_that_cannot_be_loaded_is_unavailable_and_not_fetched_again_at_once(
    tmp_path,
):
    asked: list[InstrumentsLoader] = []

    def loader() -> InstrumentsLoader:
        asked.append(unreachable(tmp_path))
        return asked[-1]

    directory = InstrumentDirectory(loader, clock=lambda: NOW)
    for _ in range(2):
        with pytest.raises(InstrumentsUnavailableError):
            await directory.lookup([738561])

    assert len(asked) == 1
