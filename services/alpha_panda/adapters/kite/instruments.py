"""Load Kite's daily instruments dump into domain instruments, cached on disk per IST day."""

from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from alpha_panda.domain.market import Instrument
from alpha_panda.domain.values import ist_date


class InstrumentsError(RuntimeError):
    """The instruments dump could not be fetched."""


class TokenRejectedError(InstrumentsError):
    """Kite refused the access token (HTTP 403 TokenException); retrying will not help."""


def parse_instruments(text: str) -> list[Instrument]:
    """Parse the CSV dump (Kite's column names in its header) into instruments."""
    return [
        Instrument(
            instrument_token=int(row["instrument_token"]),
            exchange_token=int(row["exchange_token"]),
            tradingsymbol=row["tradingsymbol"],
            name=row["name"],
            exchange=row["exchange"],
            segment=row["segment"],
            instrument_type=row["instrument_type"],
            tick_size=Decimal(row["tick_size"]),
            lot_size=int(row["lot_size"]),
            expiry=row["expiry"] or None,
            strike=Decimal(row["strike"] or 0),
        )
        for row in csv.DictReader(io.StringIO(text))
    ]


class InstrumentsLoader:
    """Fetch `{root}/instruments` once per IST trading day and keep the CSV in `cache_dir`."""

    def __init__(self, root: str, api_key: str, access_token: SecretStr, cache_dir: Path) -> None:
        self._url = root.rstrip("/") + "/instruments"
        self._api_key = api_key
        self._access_token = access_token
        self._cache_dir = cache_dir

    def cache_path(self, now: datetime) -> Path:
        """Return the cache file of the IST trading day `now` falls on."""
        return self._cache_dir / f"instruments-{ist_date(now)}.csv"

    async def load(self, now: datetime) -> list[Instrument]:
        """Return the day's instruments, downloading the dump unless today's copy is cached."""
        path = self.cache_path(now)
        cached = await asyncio.to_thread(_read_if_present, path)
        if cached is not None:
            return parse_instruments(cached)
        text = await self._download()
        instruments = parse_instruments(text)
        await asyncio.to_thread(_write_atomically, path, text)
        return instruments

    async def _download(self) -> str:
        headers = {
            "X-Kite-Version": "3",
            "Authorization": f"token {self._api_key}:{self._access_token.get_secret_value()}",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.get(self._url, headers=headers) as response,
        ):
            if response.status == 403:
                raise TokenRejectedError("Kite rejected the access token (HTTP 403)")
            if response.status != 200:
                raise InstrumentsError(f"instruments dump failed with HTTP {response.status}")
            return await response.text()


def _read_if_present(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
