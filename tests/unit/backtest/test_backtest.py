from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from alpha_panda.backtest import Backtest, BacktestConfig, StrategySpec
from alpha_panda.backtest.__main__ import main
from alpha_panda.backtest.chart import write_equity_chart
from alpha_panda.backtest.output import report_json
from alpha_panda.backtest.synthetic import synthetic_ticks
from alpha_panda.backtest.tick_file import parse_csv, parse_jsonl, read_ticks, write_jsonl
from alpha_panda.domain.execution import ChargeSchedule, Product
from alpha_panda.domain.market import Tick
from alpha_panda.domain.risk import RiskEngineConfig, RiskLimits
from alpha_panda.domain.values import IST, Namespace, Side
from tests.conftest import ROOT
from tests.unit.backtest.builders import TOKEN, synthetic, synthetic_config

OPEN = datetime(2026, 11, 23, 9, 30, tzinfo=IST)  # a Monday


def ticks_at(prices, token=TOKEN):
    return [
        Tick(
            instrument_token=token,
            exchange_timestamp=OPEN + timedelta(seconds=index),
            last_price=Decimal(str(price)),
        )
        for index, price in enumerate(prices)
    ]


def momentum(strategy_id="mom", **parameters):
    defaults = {"lookback": 1, "entry_percent": "0.5", "cooldown_seconds": 0, "quantity": 10}
    return StrategySpec(
        strategy_id=strategy_id,
        strategy_type="momentum",
        instruments=(TOKEN,),
        parameters=defaults | parameters,
    )


def test_scripted_round_trip_books_exact_trades_charges_and_drawdown():
    report = Backtest(BacktestConfig(strategies=(momentum(),))).run(ticks_at([100, 101, 101.5, 99]))
    [result] = report.strategies
    assert [(t.side, t.quantity, t.price) for t in result.trades] == [
        (Side.BUY, 10, Decimal("101")),
        (Side.SELL, 10, Decimal("99")),
    ]
    schedule = ChargeSchedule()
    buy = schedule.charges(Side.BUY, Decimal("1010"), Product.INTRADAY).total
    sell = schedule.charges(Side.SELL, Decimal("990"), Product.INTRADAY).total
    # 0.30 brokerage + 0.03 transaction + 0.06 GST; STT on 990 (0.2475) rounds to no rupee
    assert (buy, sell) == (Decimal("0.39"), Decimal("0.39"))
    assert result.realized_pnl == Decimal("-20")
    assert result.gross_pnl == Decimal("-20")
    assert result.charges == Decimal("0.78")
    assert result.net_pnl == Decimal("-20.78")
    # Peak +4.61 at 101.5 (5 gross - 0.39 charges), trough -20.78 after the exit.
    assert result.max_drawdown == Decimal("25.39")
    assert (result.signals, result.orders, result.open_positions) == (2, 2, {})
    assert report.net_pnl == Decimal("-20.78")


def test_risk_rejections_are_counted_per_rule_and_place_no_order():
    risk = RiskEngineConfig(namespace=Namespace.PAPER, defaults=RiskLimits(max_position_quantity=5))
    report = Backtest(BacktestConfig(strategies=(momentum(),), risk=risk)).run(
        ticks_at([100, 101, 102])
    )
    [result] = report.strategies
    assert result.rejections == {"max_position_quantity": 2}
    assert (result.orders, result.trades) == (0, ())


def test_signals_outside_market_hours_are_rejected_by_the_same_risk_engine():
    early = [
        tick.model_copy(update={"exchange_timestamp": tick.exchange_timestamp - timedelta(hours=1)})
        for tick in ticks_at([100, 101])
    ]
    [result] = Backtest(BacktestConfig(strategies=(momentum(),))).run(early).strategies
    assert result.rejections == {"market_hours": 1}


def test_same_ticks_and_config_give_byte_identical_reports_and_charts(tmp_path):
    ticks = synthetic()
    first = Backtest(synthetic_config()).run(ticks)
    second = Backtest(synthetic_config()).run(iter(ticks))
    assert report_json(first) == report_json(second)
    assert sum(len(result.trades) for result in first.strategies) > 0
    one = write_equity_chart(first, tmp_path / "one.png").read_bytes()
    two = write_equity_chart(second, tmp_path / "two.png").read_bytes()
    assert one == two and one.startswith(b"\x89PNG")


def test_synthetic_ticks_are_deterministic_and_inside_market_hours():
    ticks = list(
        synthetic_ticks({TOKEN: Decimal("100")}, 5_000, date(2026, 11, 21), interval_ms=10_000)
    )
    assert ticks[:50] == list(
        synthetic_ticks({TOKEN: Decimal("100")}, 50, date(2026, 11, 21), interval_ms=10_000)
    )
    local_times = {tick.exchange_timestamp.astimezone(IST) for tick in ticks}
    assert min(local_times).date() == date(2026, 11, 23)  # Saturday start moves to Monday
    assert max(local_times).date() == date(2026, 11, 25)  # 2,250 ticks per session
    assert all(moment.weekday() < 5 for moment in local_times)
    assert all("09:15" <= f"{moment:%H:%M}" < "15:30" for moment in local_times)
    assert all(tick.last_price % Decimal("0.05") == 0 for tick in ticks)


def test_jsonl_round_trip_keeps_every_field(tmp_path):
    ticks = synthetic(100)
    path = tmp_path / "ticks.jsonl"
    assert write_jsonl(ticks, path) == 100
    assert list(read_ticks(path)) == ticks


def test_csv_rows_become_ticks_with_top_of_book():
    lines = [
        "instrument_token,exchange_timestamp,last_price,last_quantity,volume,"
        "bid_price,bid_quantity,ask_price,ask_quantity\n",
        "408065,2026-11-23T09:30:00+05:30,1500.05,10,1000,1500.00,25,1500.10,40\n",
        "408065,2026-11-23T09:30:01+05:30,1500.10,,,,,,\n",
    ]
    first, second = parse_csv(lines)
    assert first.last_price == Decimal("1500.05")
    assert first.exchange_timestamp == OPEN
    assert (first.bids[0][0], first.asks[0][1]) == (Decimal("1500.00"), 40)
    assert (second.bids, second.volume) == ((), 0)


def test_module_entry_point_writes_report_and_chart(tmp_path, capsys):
    config = tmp_path / "backtest.yaml"
    config.write_text(
        "strategies:\n"
        "  - strategy_id: mom\n"
        "    strategy_type: momentum\n"
        f"    instruments: [{TOKEN}]\n"
        "    parameters: {lookback: 1, entry_percent: '0.5', cooldown_seconds: 0}\n",
        encoding="utf-8",
    )
    ticks = tmp_path / "ticks.jsonl"
    write_jsonl(ticks_at([100, 101, 101.5, 99]), ticks)
    assert main([str(config), str(ticks), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "report.json").read_text().count('"fill_id"') == 2
    assert (tmp_path / "out" / "equity.png").stat().st_size > 1000
    assert "mom: 2 trades" in capsys.readouterr().out


def test_simulated_session_is_deterministic_full_depth_and_feeds_a_backtest():
    from datetime import time

    from alpha_panda.backtest.simulated import simulated_session

    day = date(2026, 11, 23)
    ticks = list(simulated_session([TOKEN], day, seed=3, until=time(9, 20)))
    assert ticks == list(simulated_session([TOKEN], day, seed=3, until=time(9, 20)))
    assert 0 < len(ticks) <= 600
    assert all(tick.mode == "full" and tick.bids and tick.asks for tick in ticks)
    local = [tick.exchange_timestamp.astimezone(IST) for tick in ticks]
    assert f"{local[0]:%H:%M}" == "09:15" and f"{local[-1]:%H:%M}" == "09:19"
    reversion = StrategySpec(
        strategy_id="rev",
        strategy_type="mean_reversion",
        instruments=(TOKEN,),
        parameters={"window": 30, "cooldown_seconds": 30},
    )
    report = Backtest(BacktestConfig(strategies=(reversion,))).run(ticks)
    [result] = report.strategies
    assert report.ticks == len(ticks)
    assert result.orders > 0 and len(result.trades) >= result.orders
    first = result.trades[0]
    touches = {
        (tick.asks if first.side is Side.BUY else tick.bids)[0][0]
        for tick in ticks
        if tick.exchange_timestamp == first.filled_at
    }
    assert first.price in touches  # filled from the depth, not from the last price


def test_simulator_replay_records_with_naive_ist_times_are_read_as_ticks():
    jsonl = [
        '{"instrument_token": 408065, "timestamp": "2026-11-23T09:30:00", "last_price": 1500.05}\n'
    ]
    csv_lines = ["instrument_token,timestamp,last_price\n", "408065,2026-11-23T09:30:00,1500.05\n"]
    [from_json] = parse_jsonl(jsonl)
    [from_csv] = parse_csv(csv_lines)
    assert from_json == from_csv
    assert from_json.exchange_timestamp == OPEN
    assert from_json.last_price == Decimal("1500.05")


def test_config_with_duplicate_strategy_ids_is_refused():
    with pytest.raises(ValueError, match="strategy ids must be unique: mom"):
        BacktestConfig(strategies=(momentum(), momentum()))


def test_example_backtest_config_runs_over_a_simulated_session():
    from datetime import time

    from alpha_panda.backtest.__main__ import load_config
    from alpha_panda.backtest.simulated import simulated_session

    example = ROOT / "examples" / "backtest.yaml"
    config = load_config(example)
    tokens = sorted({token for spec in config.strategies for token in spec.instruments})
    ticks = simulated_session(tokens, date(2026, 11, 23), until=time(9, 45))
    report = Backtest(config).run(ticks)
    assert [result.strategy_id for result in report.strategies] == [
        "momentum-large-caps",
        "bollinger-infy",
        "crossover-reliance",
    ]
    assert sum(result.orders for result in report.strategies) > 0


def test_fills_arriving_a_second_later_as_in_the_pipeline_leave_the_signals_unchanged():
    from alpha_panda.domain.strategies import build_strategy

    parameters = {"window": 30, "cooldown_seconds": 30}
    spec = StrategySpec(
        strategy_id="rev",
        strategy_type="mean_reversion",
        instruments=(TOKEN,),
        parameters=parameters,
    )
    ticks = [tick for tick in synthetic(6_000) if tick.instrument_token == TOKEN]
    [result] = Backtest(BacktestConfig(strategies=(spec,))).run(ticks).strategies
    assert result.rejections == {} and len(result.trades) == result.orders > 5
    live = build_strategy("rev", "mean_reversion", [TOKEN], parameters)
    pending = list(result.trades)
    signals = []
    for tick in ticks:
        while pending and pending[0].filled_at + timedelta(seconds=1) <= tick.exchange_timestamp:
            live.on_fill(pending.pop(0))
        signals.extend(live.on_tick(tick))
    assert [(s.side, s.quantity, s.generated_at) for s in signals] == [
        (t.side, t.quantity, t.filled_at) for t in result.trades
    ]
