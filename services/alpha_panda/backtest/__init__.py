"""In-process, deterministic backtests with the same strategy, risk, paper and portfolio code."""

from alpha_panda.backtest.config import BacktestConfig, StrategySpec
from alpha_panda.backtest.engine import Backtest
from alpha_panda.backtest.report import BacktestReport, StrategyReport

__all__ = ["Backtest", "BacktestConfig", "BacktestReport", "StrategyReport", "StrategySpec"]
