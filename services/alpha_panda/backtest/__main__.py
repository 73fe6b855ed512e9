"""Run a backtest: `python -m alpha_panda.backtest CONFIG (TICKS | --simulate DAY) --out DIR`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import yaml

from alpha_panda.backtest.config import BacktestConfig
from alpha_panda.backtest.engine import Backtest
from alpha_panda.backtest.output import write_report
from alpha_panda.backtest.tick_file import read_ticks
from alpha_panda.domain.market import Tick


def load_config(path: Path) -> BacktestConfig:
    """Read a backtest configuration from a JSON or YAML file."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    return BacktestConfig.model_validate(data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the backtest described by the arguments; print where the report went."""
    parser = argparse.ArgumentParser(prog="alpha-panda backtest", description=__doc__)
    parser.add_argument("config", type=Path, help="backtest configuration (JSON or YAML)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("ticks", type=Path, nargs="?", help="tick file (.jsonl or .csv)")
    source.add_argument(
        "--simulate", type=date.fromisoformat, metavar="DAY", help="simulated session date"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated session")
    parser.add_argument("--out", type=Path, default=Path("backtest-report"))
    parser.add_argument("--no-chart", action="store_true", help="skip the equity-curve PNG")
    arguments = parser.parse_args(argv)
    config = load_config(arguments.config)
    symbols: dict[int, str] = {}
    if arguments.simulate is not None:
        from alpha_panda.backtest.simulated import simulated_session, simulated_symbols

        tokens = sorted({token for spec in config.strategies for token in spec.instruments})
        ticks: Iterator[Tick] = simulated_session(tokens, arguments.simulate, seed=arguments.seed)
        symbols = simulated_symbols(tokens, arguments.simulate)
    else:
        ticks = read_ticks(arguments.ticks)
    report = Backtest(config).run(ticks)
    written = write_report(report, arguments.out, chart=not arguments.no_chart, symbols=symbols)
    for path in written:
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
