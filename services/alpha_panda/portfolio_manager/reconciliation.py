"""Compare the namespace's positions with the broker's: what Zerodha holds is the truth."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
from kiteconnect import KiteConnect

from alpha_panda.adapters.kite.client import call_kite, kite_client
from alpha_panda.adapters.postgres.checkpoints import load_snapshot
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming import FatalError, TransientError
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.portfolio.summary import PositionView
from alpha_panda.domain.values import Frozen

log = logging.getLogger(__name__)
PORTFOLIO_SERVICE = "portfolio-manager"


class PositionDifference(Frozen):
    """An instrument whose net quantity in our ledger differs from Kite's."""

    instrument_token: int
    tradingsymbol: str
    ours: int
    kite: int

    def describe(self) -> str:
        """Return one line for a log or a terminal."""
        name = self.tradingsymbol or str(self.instrument_token)
        return f"{name} ({self.instrument_token}): ours {self.ours:+d}, Kite {self.kite:+d}"


def position_differences(
    ours: Iterable[PositionView], kite_net: Iterable[Mapping[str, Any]]
) -> list[PositionDifference]:
    """Return the instruments whose summed net quantities differ, by instrument token.

    Ours are summed over strategies and Kite's over products, since Kite keeps one account
    position per product while we keep one per strategy.
    """
    quantities: dict[int, int] = defaultdict(int)
    broker: dict[int, int] = defaultdict(int)
    symbols: dict[int, str] = {}
    for position in ours:
        quantities[position.instrument_token] += position.quantity
    for row in kite_net:
        token = int(row["instrument_token"])
        broker[token] += int(row["quantity"])
        symbols[token] = str(row.get("tradingsymbol") or "")
    return [
        PositionDifference(
            instrument_token=token,
            tradingsymbol=symbols.get(token, ""),
            ours=quantities[token],
            kite=broker[token],
        )
        for token in sorted(quantities.keys() | broker.keys())
        if quantities[token] != broker[token]
    ]


async def reconcile(portfolio: Portfolio, kite: KiteConnect) -> list[PositionDifference]:
    """Fetch Kite's net positions and return where the portfolio disagrees with them."""
    positions = await call_kite(kite.positions)
    return position_differences(portfolio.positions(), positions["net"])


async def reconcile_on_start(portfolio: Portfolio, settings: Settings) -> None:
    """Log how the restored portfolio compares with Kite; Kite being unavailable only warns.

    Fills still in flight at start show up as differences that the next run clears.
    """
    try:
        differences = await reconcile(portfolio, kite_client(settings))
    except (FatalError, TransientError) as error:
        log.warning("positions not reconciled with Kite: %s", error)
        return
    for difference in differences:
        log.warning("position differs from Kite: %s", difference.describe())
    if not differences:
        log.info("positions agree with Kite")


async def reconcile_saved(settings: Settings, pool: asyncpg.Pool) -> list[PositionDifference]:
    """Reconcile the positions the namespace's portfolio manager last saved with Kite's."""
    portfolio = Portfolio(PortfolioConfig(namespace=settings.namespace))
    snapshot = await load_snapshot(pool, f"{settings.group_prefix}.{PORTFOLIO_SERVICE}")
    if snapshot:
        portfolio.restore(snapshot)
    return await reconcile(portfolio, kite_client(settings))
