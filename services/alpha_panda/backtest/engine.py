"""Run strategies over ticks with the live risk, paper-trading and portfolio code, in-process."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from alpha_panda.backtest.config import BacktestConfig
from alpha_panda.backtest.performance import minute_pnl, sharpe_ratio, win_rate
from alpha_panda.backtest.report import BacktestReport, EquityTracker, StrategyReport
from alpha_panda.backtest.round_trips import round_trips
from alpha_panda.backtest.trading_time import TradingTimeAxis
from alpha_panda.domain.execution import PaperTrader
from alpha_panda.domain.market import Tick
from alpha_panda.domain.orders import OrderFailed, OrderFilled
from alpha_panda.domain.portfolio import Portfolio, PortfolioConfig
from alpha_panda.domain.risk import RiskEngine, RiskLimits
from alpha_panda.domain.signals import RejectedSignal, Signal
from alpha_panda.domain.strategies import Strategy, build_strategy


class _Run:
    """Counters of one strategy during a run."""

    __slots__ = (
        "equity",
        "failed",
        "holding",
        "orders",
        "rejections",
        "signals",
        "strategy",
        "strategy_id",
        "strategy_type",
        "ticks",
        "trades",
    )

    def __init__(self, strategy: Strategy[Any, Any], strategy_type: str, sample: int) -> None:
        self.strategy = strategy
        self.strategy_id = strategy.strategy_id
        self.strategy_type = strategy_type
        self.equity = EquityTracker(sample)
        self.ticks = 0
        self.signals = 0
        self.orders = 0
        self.failed = 0
        self.rejections: Counter[str] = Counter()
        self.trades: list[OrderFilled] = []
        self.holding: set[int] = set()  # instruments with an open position, kept from fills


class Backtest:
    """Replay ticks through strategies -> risk engine -> paper trader -> portfolio.

    Each signal is executed against the tick that caused it, exactly as the trading engine
    executes against the latest tick it holds; fills flow back to the risk engine, the
    portfolio and the strategy before the next tick. Nothing reads the wall clock, so the
    same ticks and config always give the same report.
    """

    def __init__(self, config: BacktestConfig) -> None:
        self.config = config
        self.risk = RiskEngine(config.risk)
        for spec in config.strategies:  # a strategy without limits of its own gets the defaults
            if self.risk.definition(spec.strategy_id) is None:
                self.risk.apply_definition(
                    spec.strategy_id, RiskLimits(), paused=False, generation=0
                )
        self.trader = PaperTrader(config.paper)
        self.portfolio = Portfolio(
            PortfolioConfig(
                namespace=config.risk.namespace,
                initial_cash=config.initial_cash,
                margin_fraction=config.margin_fraction,
            )
        )
        self._runs: dict[str, _Run] = {}
        self._by_instrument: dict[int, list[_Run]] = {}
        for spec in config.strategies:
            strategy = build_strategy(
                spec.strategy_id, spec.strategy_type, spec.instruments, spec.parameters
            )
            run = _Run(strategy, spec.strategy_type, config.equity_sample_seconds)
            self._runs[spec.strategy_id] = run
            for token in strategy.instruments:
                self._by_instrument.setdefault(token, []).append(run)

    def run(self, ticks: Iterable[Tick]) -> BacktestReport:
        """Consume every tick and return the report."""
        count = 0
        first = last = None
        risk, portfolio, by_instrument = self.risk, self.portfolio, self._by_instrument
        for tick in ticks:
            count += 1
            last = tick.exchange_timestamp
            if first is None:
                first = last
            token, price = tick.instrument_token, tick.last_price
            risk.on_price(token, price, last)
            portfolio.mark_price(token, price)
            for run in by_instrument.get(token, ()):
                run.ticks += 1
                signals = run.strategy.on_tick(tick)
                if signals:
                    for signal in signals:
                        self._execute(run, signal, tick)
                elif token not in run.holding:
                    continue  # flat in this instrument and no fill: the equity cannot move
                run.equity.update(portfolio.net_pnl(run.strategy_id), last)
        return self._report(count, first, last)

    def _execute(self, run: _Run, signal: Signal, tick: Tick) -> None:
        run.signals += 1
        verdict = self.risk.evaluate(signal)
        if isinstance(verdict, RejectedSignal):
            run.rejections[verdict.rule] += 1
            run.strategy.on_rejected(signal)
            return
        run.orders += 1
        order_id = f"{signal.strategy_id}-{run.orders:06d}"
        for event in self.trader.execute(verdict, tick, order_id):
            if isinstance(event, OrderFilled):
                run.trades.append(event)
                self.portfolio.apply_fill(event)
                self.risk.on_fill(event)
                run.strategy.on_fill(event)
                token = event.instrument_token
                if run.strategy.position(token):
                    run.holding.add(token)
                else:
                    run.holding.discard(token)
            elif isinstance(event, OrderFailed):
                self.risk.on_order_failed(event)
                run.failed += 1

    def _report(self, count: int, first: Any, last: Any) -> BacktestReport:
        reports = []
        axis = TradingTimeAxis.spanning(first, last) if first is not None else None
        for strategy_id, run in self._runs.items():
            summary = self.portfolio.strategy_summary(strategy_id)
            run.equity.close(last)
            trips = round_trips(run.trades)
            minutes = minute_pnl(run.equity.curve, axis, first, last) if axis else []
            reports.append(
                StrategyReport(
                    strategy_id=strategy_id,
                    strategy_type=run.strategy_type,
                    ticks=run.ticks,
                    signals=run.signals,
                    orders=run.orders,
                    rejections=dict(sorted(run.rejections.items())),
                    failed_orders=run.failed,
                    trades=tuple(run.trades),
                    realized_pnl=summary.realized_pnl,
                    unrealized_pnl=summary.unrealized_pnl,
                    gross_pnl=summary.gross_pnl,
                    charges=summary.charges,
                    net_pnl=summary.net_pnl,
                    max_drawdown=run.equity.max_drawdown,
                    round_trips=sum(1 for trip in trips if trip.exit_at is not None),
                    win_rate=win_rate(trips),
                    sharpe_ratio=sharpe_ratio(
                        [value for _, value in minutes], self.config.initial_cash
                    ),
                    open_positions={
                        str(view.instrument_token): view.quantity
                        for view in self.portfolio.open_positions(strategy_id)
                    },
                    equity_curve=tuple(run.equity.curve),
                )
            )
        total = self.portfolio.namespace_summary()
        return BacktestReport(
            ticks=count,
            first_tick_at=first,
            last_tick_at=last,
            initial_cash=self.config.initial_cash,
            gross_pnl=total.gross_pnl,
            charges=total.charges,
            net_pnl=total.net_pnl,
            strategies=tuple(reports),
        )
