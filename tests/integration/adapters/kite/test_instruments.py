"""Loading the instruments dump from the simulator's REST API, cached per IST day."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from alpha_panda.adapters.kite.instruments import InstrumentsLoader, TokenRejectedError
from kite_sim.simulator import KiteSimulator

# 20:00 UTC is already the next IST day (01:30 IST).
LATE_EVENING_UTC = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def _files(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def _loader(root: str, simulator: KiteSimulator, token: str, cache: Path) -> InstrumentsLoader:
    return InstrumentsLoader(root, simulator.api_key, SecretStr(token), cache)


async def test_dump_is_parsed_into_instruments_and_cached_per_ist_day(
    simulator: KiteSimulator, tmp_path: Path
) -> None:
    token = simulator.login().access_token
    loader = _loader(simulator.urls.rest, simulator, token, tmp_path)

    instruments = await loader.load(LATE_EVENING_UTC)

    assert len(instruments) == len(simulator.registry)
    listed = {item.instrument_token: item for item in simulator.registry}
    for instrument in instruments:
        source = listed[instrument.instrument_token]
        assert instrument.tradingsymbol == source.tradingsymbol
        assert instrument.tick_size == source.tick_size
        assert instrument.lot_size == source.lot_size
        assert instrument.expiry == (source.expiry.isoformat() if source.expiry else None)
        assert isinstance(instrument.strike, Decimal)
    assert loader.cache_path(LATE_EVENING_UTC).name == "instruments-2026-11-26.csv"

    unreachable = _loader("http://127.0.0.1:1", simulator, token, tmp_path)
    assert await unreachable.load(LATE_EVENING_UTC) == instruments


async def test_expired_token_is_reported_as_rejected(
    simulator: KiteSimulator, tmp_path: Path
) -> None:
    token = simulator.login().access_token
    await simulator.expire_tokens()

    with pytest.raises(TokenRejectedError):
        await _loader(simulator.urls.rest, simulator, token, tmp_path).load(LATE_EVENING_UTC)
    assert _files(tmp_path) == []
