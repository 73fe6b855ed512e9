"""Reconciling the zerodha portfolio with the simulator's net positions, in code and on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from kiteconnect import KiteConnect

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.app import cli
from alpha_panda.domain.orders import OrderFilled
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.values import Namespace, Side
from alpha_panda.portfolio_manager.reconciliation import PositionDifference, reconcile
from kite_sim import KiteSimulator
from tests.integration.trading_engine.kite import (
    INFY,
    SESSION,
    client,
    frozen_simulator,
    zerodha_cli_environment,
)

pytestmark = pytest.mark.integration

RELIANCE, TCS = 738561, 2953217


@pytest.fixture
async def simulator() -> AsyncIterator[KiteSimulator]:
    async with frozen_simulator() as running:
        yield running


async def buy(kite: KiteConnect, symbol: str, quantity: int) -> None:
    await asyncio.to_thread(
        kite.place_order,
        variety="regular",
        exchange="NSE",
        tradingsymbol=symbol,
        transaction_type="BUY",
        quantity=quantity,
        product="MIS",
        order_type="MARKET",
        market_protection=-1,
    )


def portfolio_holding(*holdings: tuple[str, int, int]) -> Portfolio:
    portfolio = Portfolio(PortfolioConfig(namespace=Namespace.ZERODHA))
    for number, (strategy, token, quantity) in enumerate(holdings):
        portfolio.apply_fill(
            OrderFilled(
                order_id=f"o{number}",
                fill_id=f"f{number}",
                strategy_id=strategy,
                instrument_token=token,
                side=Side.BUY,
                quantity=quantity,
                price=Decimal("100"),
                filled_at=SESSION + timedelta(seconds=number),
            )
        )
    return portfolio


async def test_differences_name_each_instrument_with_our_and_kites_quantities(
    simulator: KiteSimulator,
) -> None:
    kite = client(simulator)
    await buy(kite, "INFY", 10)
    await buy(kite, "TCS", 5)
    ours = portfolio_holding(("cross", INFY, 6), ("revert", INFY, 4), ("cross", RELIANCE, 3))

    assert await reconcile(ours, kite) == [
        PositionDifference(instrument_token=RELIANCE, tradingsymbol="", ours=3, kite=0),
        PositionDifference(instrument_token=TCS, tradingsymbol="TCS", ours=0, kite=5),
    ]
    assert await reconcile(portfolio_holding(("cross", INFY, 10), ("x", TCS, 5)), kite) == []


async def test_the_reconcile_command_reads_the_saved_portfolio_and_reports_differences(
    simulator: KiteSimulator, infra, postgres_dsn, unique, monkeypatch, capsys
) -> None:
    kite = client(simulator)
    await buy(kite, "INFY", 7)
    pool = await connect(postgres_dsn)
    store = PostgresCheckpoints(pool, f"t{unique}.zerodha.portfolio-manager")
    await store.save([], portfolio_holding(("cross", INFY, 10)).snapshot(), [])
    await pool.close()
    for name, value in zerodha_cli_environment(simulator, kite, postgres_dsn, unique).items():
        monkeypatch.setenv(name, value)

    assert await asyncio.to_thread(cli.main, ["reconcile"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"INFY ({INFY}): ours +10, Kite +7",
        "1 position difference(s) with Kite",
        "0 order event(s) missing for orders in Kite's books",  # the order has no platform tag
    ]
