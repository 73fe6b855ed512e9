"""Backtest inputs shared by the backtest tests: two strategies over synthetic ticks."""

from datetime import date
from decimal import Decimal

from alpha_panda.backtest import BacktestConfig, StrategySpec
from alpha_panda.backtest.synthetic import synthetic_ticks

TOKEN = 408065  # INFY
OTHER = 738561  # RELIANCE


def synthetic_config():
    return BacktestConfig(
        strategies=(
            StrategySpec(
                strategy_id="rev",
                strategy_type="mean_reversion",
                instruments=(TOKEN, OTHER),
                parameters={"window": 30, "cooldown_seconds": 30},
            ),
            StrategySpec(
                strategy_id="cross",
                strategy_type="ma_crossover",
                instruments=(TOKEN,),
                parameters={"fast_window": 5, "slow_window": 20},
            ),
        )
    )


def synthetic(count=5_000, interval_ms=100):
    """Return `count` synthetic ticks of both instruments from Monday 23 Nov 2026, 09:15 IST."""
    prices = {TOKEN: Decimal("1500"), OTHER: Decimal("250")}
    return list(synthetic_ticks(prices, count, date(2026, 11, 23), interval_ms=interval_ms))
