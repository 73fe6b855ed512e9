"""Trading symbols for instrument tokens, from Kite's daily instruments dump.

The dump is the broker's instruments master; `InstrumentsLoader` fetches it once per IST day
and keeps a copy on disk. The API holds the day's table in memory and answers lookups from it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from alpha_panda.adapters.kite.instruments import InstrumentsError, InstrumentsLoader
from alpha_panda.api.schemas import InstrumentView
from alpha_panda.core.settings import Settings
from alpha_panda.domain.market import Instrument
from alpha_panda.domain.values import ist_date

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
"""How long a failed download is not tried again: lookups meanwhile answer 503 at once."""


class InstrumentsUnavailableError(RuntimeError):
    """The instruments master could not be loaded; the reason is logged and retried later."""


def instruments_loader(settings: Settings) -> InstrumentsLoader | None:
    """Return a loader of the configured Kite's dump, or None when no Kite is configured.

    Its disk copy lives in the temporary directory, one folder per Kite root and API key.
    """
    if not settings.kite_api_key:
        return None
    source = f"{settings.kite_root}|{settings.kite_api_key}".encode()
    folder = Path(tempfile.gettempdir()) / "alpha-panda-instruments"
    cache_dir = folder / hashlib.sha256(source).hexdigest()[:16]
    return InstrumentsLoader(
        settings.kite_root, settings.kite_api_key, settings.access_token(), cache_dir
    )


class InstrumentDirectory:
    """Look up instruments by token in the day's instruments master, loaded on first use.

    `loader` is asked for a loader each time a day's master is loaded, so a token file
    renewed after 06:00 IST is read again.
    """

    def __init__(
        self,
        loader: Callable[[], InstrumentsLoader | None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._loader = loader
        self._clock = clock
        self._day: str | None = None
        self._by_token: dict[int, Instrument] = {}
        self._failed_at: float | None = None
        self._lock = asyncio.Lock()

    async def lookup(self, tokens: Iterable[int]) -> list[InstrumentView]:
        """Return the listed instruments among `tokens`, in the order asked; unlisted ones are
        left out. Without a configured Kite nothing is listed.

        Raises `InstrumentsUnavailableError` when the day's master cannot be loaded.
        """
        if not await self._load_today():
            return []
        listed = (self._by_token.get(token) for token in dict.fromkeys(tokens))
        return [_view(item) for item in listed if item is not None]

    async def _load_today(self) -> bool:
        """Load the day's master unless loaded; return False when no Kite is configured."""
        now = self._clock()
        day = ist_date(now)
        if day == self._day:
            return True
        async with self._lock:
            if day == self._day:
                return True
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS:
                raise InstrumentsUnavailableError("the instruments master is unavailable")
            try:
                loader = self._loader()
                if loader is None:
                    return False
                instruments = await loader.load(now)
            except (InstrumentsError, aiohttp.ClientError, OSError) as error:
                self._failed_at = time.monotonic()
                log.warning("cannot load the instruments master: %s", error)
                raise InstrumentsUnavailableError("the instruments master is unavailable") from None
            self._by_token = {item.instrument_token: item for item in instruments}
            self._day, self._failed_at = day, None
            return True


def _view(item: Instrument) -> InstrumentView:
    return InstrumentView(
        instrument_token=item.instrument_token,
        tradingsymbol=item.tradingsymbol,
        exchange=item.exchange,
        name=item.name,
    )
