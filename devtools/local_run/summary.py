"""The end-of-session summary, with the ledger in PostgreSQL as the authority."""

from __future__ import annotations

from decimal import Decimal

from alpha_panda.adapters.postgres.ledger_reader import LedgerReader
from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.redis.portfolio_cache import PortfolioCache
from local_run.progress import EquityCurve


async def ledger_totals(dsn: str) -> dict[str, tuple[int, Decimal]]:
    """Return fills and charges per strategy, as booked in the ledger."""
    pool = await connect(dsn, max_size=1)
    try:
        return await LedgerReader(pool).fill_totals()
    finally:
        await pool.close()


async def print_summary(
    dsn: str, cache: PortfolioCache, curve: EquityCurve, elapsed: float
) -> bool:
    """Print trades, P&L, charges and drawdown; return whether cache and ledger agree."""
    ledger = await ledger_totals(dsn)
    strategies = await cache.strategies()
    summary = await cache.summary()
    print(f"\nSession summary — paper, {elapsed:.0f} s")
    print(f"{'strategy':<24}{'trades':>7}{'gross P&L':>13}{'charges':>10}{'net P&L':>13}")
    agrees = True
    for strategy in strategies:
        fills, charges = ledger.get(strategy.strategy_id, (0, Decimal(0)))
        agrees &= fills == strategy.fills and charges == strategy.charges
        print(
            f"{strategy.strategy_id:<24}{fills:>7}{strategy.gross_pnl:>13.2f}"
            f"{charges:>10.2f}{strategy.net_pnl:>13.2f}"
        )
    # A strategy that only signalled (every signal refused) is in the cache with no fills.
    agrees &= set(ledger) == {s.strategy_id for s in strategies if s.fills}
    if summary is not None:
        curve.add(summary.net_pnl)  # the drained, final figure
        print(
            f"{'total':<24}{summary.fills:>7}{summary.gross_pnl:>13.2f}"
            f"{summary.charges:>10.2f}{summary.net_pnl:>13.2f}"
        )
    print(f"max drawdown ₹{curve.max_drawdown:.2f} (net P&L sampled each second)")
    booked = sum(fills for fills, _ in ledger.values())
    verdict = "agrees with" if agrees else "DISAGREES with"
    database = dsn.rsplit("/", 1)[1]
    print(f"portfolio {verdict} the PostgreSQL ledger ({booked} fills booked in {database})")
    return agrees
