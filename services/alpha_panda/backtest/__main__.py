"""Run a backtest from files: `python -m alpha_panda.backtest CONFIG TICKS --out DIR`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from alpha_panda.backtest.config import BacktestConfig
from alpha_panda.backtest.engine import Backtest
from alpha_panda.backtest.output import write_report
from alpha_panda.backtest.tick_file import read_ticks


def load_config(path: Path) -> BacktestConfig:
    """Read a backtest configuration from a JSON or YAML file."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    return BacktestConfig.model_validate(data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the backtest described by the arguments; print where the report went."""
    parser = argparse.ArgumentParser(prog="alpha-panda backtest", description=__doc__)
    parser.add_argument("config", type=Path, help="backtest configuration (JSON or YAML)")
    parser.add_argument("ticks", type=Path, help="tick file (.jsonl or .csv)")
    parser.add_argument("--out", type=Path, default=Path("backtest-report"))
    parser.add_argument("--no-chart", action="store_true", help="skip the equity-curve PNG")
    arguments = parser.parse_args(argv)
    report = Backtest(load_config(arguments.config)).run(read_ticks(arguments.ticks))
    for path in write_report(report, arguments.out, chart=not arguments.no_chart):
        print(path)
    for strategy in report.strategies:
        print(
            f"{strategy.strategy_id}: {len(strategy.trades)} trades, "
            f"gross {strategy.gross_pnl}, charges {strategy.charges}, "
            f"net {strategy.net_pnl}, max drawdown {strategy.max_drawdown}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
