import json
from decimal import Decimal

import pytest

from alpha_panda.domain.strategies import StrategyConfigError, build_strategy
from alpha_panda.domain.values import Side

TOKEN = 408065


def feed(strategy, tick, prices, start=0, step=1):
    """Feed prices one second apart; return every signal with the index of its tick."""
    emitted = []
    for index, price in enumerate(prices):
        for signal in strategy.on_tick(tick(str(price), seconds=start + index * step)):
            emitted.append((index, signal))
    return emitted


def test_bollinger_restored_with_a_shorter_window_keeps_the_most_recent_prices(tick):
    settings = {"band_deviations": "1", "cooldown_seconds": 0}
    wide = build_strategy("rev", "mean_reversion", [TOKEN], settings | {"window": 4})
    feed(wide, tick, ["100.05", "100.10", "99.95", "100.20"])
    narrow = build_strategy("rev", "mean_reversion", [TOKEN], settings | {"window": 3})
    narrow.restore(wide.snapshot())
    saved = json.loads(narrow.snapshot())["instruments"][str(TOKEN)]["state"]
    assert saved == ["100.10", "99.95", "100.20"]
    fresh = build_strategy("rev", "mean_reversion", [TOKEN], settings | {"window": 3})
    feed(fresh, tick, saved)
    later = ["99.80", "100.40", "100.15", "99.70"]
    expected = feed(fresh, tick, later, start=4)
    assert expected  # the bands are crossed, so the comparison means something
    assert feed(narrow, tick, later, start=4) == expected


def test_momentum_on_rise_above_entry_buys_quantity_at_tick_price(tick):
    strategy = build_strategy(
        "mom", "momentum", [TOKEN], {"lookback": 2, "entry_percent": "1", "quantity": 5}
    )
    emitted = feed(strategy, tick, [100, 100.5, 101.5])
    assert len(emitted) == 1
    index, signal = emitted[0]
    assert index == 2
    assert (signal.side, signal.quantity, signal.reference_price) == (
        Side.BUY,
        5,
        Decimal("101.5"),
    )
    assert signal.strategy_id == "mom" and signal.instrument_token == TOKEN
    assert signal.generated_at == tick("1", seconds=2).exchange_timestamp


def test_momentum_on_move_below_entry_stays_silent(tick):
    strategy = build_strategy("mom", "momentum", [TOKEN], {"lookback": 2, "entry_percent": "1"})
    assert feed(strategy, tick, [100, 100.5, 100.9]) == []


def test_momentum_within_cooldown_does_not_repeat_the_signal(tick):
    strategy = build_strategy(
        "mom", "momentum", [TOKEN], {"lookback": 1, "entry_percent": "0.1", "cooldown_seconds": 10}
    )
    emitted = feed(
        strategy, tick, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112]
    )
    assert [index for index, _ in emitted] == [1, 11]


def test_momentum_when_already_long_does_not_buy_again(tick, fill):
    strategy = build_strategy(
        "mom", "momentum", [TOKEN], {"lookback": 1, "entry_percent": "0.1", "cooldown_seconds": 0}
    )
    [(_, signal)] = feed(strategy, tick, [100, 101])
    strategy.on_fill(fill(Side.BUY, signal.quantity, "101", strategy_id="mom"))
    assert strategy.position(TOKEN) == 1
    assert feed(strategy, tick, [102, 103], start=2) == []


def test_momentum_long_position_on_reversal_sells_to_flat_without_short(tick, fill):
    strategy = build_strategy(
        "mom", "momentum", [TOKEN], {"lookback": 1, "entry_percent": "0.5", "cooldown_seconds": 0}
    )
    strategy.on_fill(fill(Side.BUY, 1, "100", strategy_id="mom"))
    [(_, signal)] = feed(strategy, tick, [100, 98])
    assert (signal.side, signal.quantity) == (Side.SELL, 1)


def test_momentum_with_short_allowed_on_fall_sells_twice_the_quantity_from_long(tick, fill):
    strategy = build_strategy(
        "mom",
        "momentum",
        [TOKEN],
        {"lookback": 1, "entry_percent": "0.5", "cooldown_seconds": 0, "allow_short": True},
    )
    strategy.on_fill(fill(Side.BUY, 1, "100", strategy_id="mom"))
    [(_, signal)] = feed(strategy, tick, [100, 98])
    assert (signal.side, signal.quantity) == (Side.SELL, 2)


def test_strategy_ignores_fills_of_other_strategies_and_ticks_of_other_instruments(tick, fill):
    strategy = build_strategy("mom", "momentum", [TOKEN], {"lookback": 1, "entry_percent": "0.1"})
    strategy.on_fill(fill(Side.BUY, 3, "100", strategy_id="other"))
    assert strategy.position(TOKEN) == 0
    assert strategy.on_tick(tick("100", token=1)) == []
    assert strategy.on_tick(tick("200", seconds=1, token=1)) == []


def test_bollinger_below_lower_band_buys_and_exits_at_the_mean(tick, fill):
    strategy = build_strategy(
        "rev",
        "mean_reversion",
        [TOKEN],
        {"window": 4, "band_deviations": "1.5", "cooldown_seconds": 0},
    )
    emitted = feed(strategy, tick, [100, 101, 100, 101, 97])
    assert [(i, s.side) for i, s in emitted] == [(4, Side.BUY)]
    strategy.on_fill(fill(Side.BUY, 1, "97", strategy_id="rev"))
    # Window 100, 101, 97, 99 has mean 99.25: 99 holds, 100 is above the mean and exits.
    emitted = feed(strategy, tick, [99, 100], start=5)
    assert [(i, s.side) for i, s in emitted] == [(1, Side.SELL)]


def test_bollinger_inside_the_bands_stays_silent(tick):
    strategy = build_strategy("rev", "mean_reversion", [TOKEN], {"window": 4})
    assert feed(strategy, tick, [100, 101, 100, 101, 100.5, 100.2]) == []


def test_rsi_after_steady_fall_buys_and_after_recovery_exits(tick, fill):
    strategy = build_strategy("rsi", "rsi_reversion", [TOKEN], {"period": 3, "cooldown_seconds": 0})
    emitted = feed(strategy, tick, [100, 99, 98, 97])
    assert [(i, s.side) for i, s in emitted] == [(3, Side.BUY)]
    strategy.on_fill(fill(Side.BUY, 1, "97", strategy_id="rsi"))
    emitted = feed(strategy, tick, [98, 99], start=4)
    assert [(i, s.side) for i, s in emitted] == [(1, Side.SELL)]


def test_rsi_parameters_with_unordered_levels_are_refused():
    with pytest.raises(StrategyConfigError, match="oversold < exit_level < overbought"):
        build_strategy("rsi", "rsi_reversion", [TOKEN], {"oversold": 60})


def test_crossover_fast_crossing_above_slow_buys_and_holds_once_filled(tick, fill):
    strategy = build_strategy(
        "x", "ma_crossover", [TOKEN], {"fast_window": 2, "slow_window": 3, "cooldown_seconds": 0}
    )
    emitted = feed(strategy, tick, [103, 102, 101, 100, 103])
    assert [(i, s.side) for i, s in emitted] == [(4, Side.BUY)]
    strategy.on_fill(fill(Side.BUY, 1, "103", strategy_id="x"))
    assert feed(strategy, tick, [104, 105], start=5) == []


CROSS = {"fast_window": 2, "slow_window": 3, "cooldown_seconds": 0}
UP_CROSS = [103, 102, 101, 100, 103, 104, 105, 106, 107]  # the fast average crosses up at [4]


def test_crossover_buy_that_was_never_filled_is_sent_again_after_the_signal_timeout(tick):
    strategy = build_strategy("x", "ma_crossover", [TOKEN], CROSS | {"signal_timeout_seconds": 2})
    emitted = feed(strategy, tick, UP_CROSS)
    assert [(i, s.side) for i, s in emitted] == [(4, Side.BUY), (6, Side.BUY), (8, Side.BUY)]


def test_a_signal_on_its_way_is_not_asked_for_again_while_its_fill_lags(tick, fill):
    strategy = build_strategy("x", "ma_crossover", [TOKEN], CROSS | {"quantity": 100})
    emitted = feed(strategy, tick, UP_CROSS)
    assert [(i, s.side, s.quantity) for i, s in emitted] == [(4, Side.BUY, 100)]
    strategy.on_fill(fill(Side.BUY, 40, "103", strategy_id="x"))  # a partial fill
    assert feed(strategy, tick, [108], start=9) == []  # the other 60 are still on their way


def test_a_refused_signal_is_asked_for_again_on_the_next_tick(tick):
    strategy = build_strategy("x", "ma_crossover", [TOKEN], CROSS)
    [(_, buy)] = feed(strategy, tick, UP_CROSS[:5])
    strategy.on_rejected(buy)
    [(_, again)] = feed(strategy, tick, [104], start=5)
    assert (again.side, again.quantity) == (Side.BUY, 1)


def test_what_is_on_its_way_survives_a_snapshot(tick):
    strategy = build_strategy("x", "ma_crossover", [TOKEN], CROSS)
    feed(strategy, tick, UP_CROSS[:5])
    restored = build_strategy("x", "ma_crossover", [TOKEN], CROSS)
    restored.restore(strategy.snapshot())
    assert feed(restored, tick, [104], start=5) == []


def test_crossover_long_position_on_cross_below_sells_to_flat(tick, fill):
    strategy = build_strategy(
        "x", "ma_crossover", [TOKEN], {"fast_window": 2, "slow_window": 3, "cooldown_seconds": 0}
    )
    feed(strategy, tick, [103, 102, 101, 100, 103])
    strategy.on_fill(fill(Side.BUY, 1, "103", strategy_id="x"))
    emitted = feed(strategy, tick, [104, 100], start=5)
    assert [(i, s.side, s.quantity) for i, s in emitted] == [(1, Side.SELL, 1)]


def test_crossover_without_a_cross_after_warm_up_stays_silent(tick):
    strategy = build_strategy("x", "ma_crossover", [TOKEN], {"fast_window": 2, "slow_window": 3})
    assert feed(strategy, tick, [100, 101, 102, 103, 104]) == []


def test_build_strategy_with_unknown_type_names_the_known_types():
    with pytest.raises(StrategyConfigError, match=r"unknown strategy type 'magic'.*momentum"):
        build_strategy("s", "magic", [TOKEN], {})


def test_build_strategy_with_invalid_parameter_names_the_field():
    with pytest.raises(
        StrategyConfigError, match=r"lookback: Input should be greater than or equal to 1"
    ):
        build_strategy("s", "momentum", [TOKEN], {"lookback": 0})


def test_build_strategy_with_unknown_parameter_refuses_it():
    with pytest.raises(StrategyConfigError, match="lookbak"):
        build_strategy("s", "momentum", [TOKEN], {"lookbak": 3})


@pytest.mark.parametrize(
    ("strategy_type", "parameters"),
    [
        ("momentum", {"lookback": 3, "entry_percent": "0.3"}),
        ("mean_reversion", {"window": 5, "band_deviations": "1"}),
        ("rsi_reversion", {"period": 4}),
        ("ma_crossover", {"fast_window": 2, "slow_window": 4}),
    ],
)
def test_snapshot_restored_into_a_new_instance_continues_with_identical_signals(
    strategy_type, parameters, tick, fill
):
    prices = [100, 101, 99, 98, 97, 99, 102, 104, 103, 100, 98, 97, 99, 101, 103, 100]
    settings = {"cooldown_seconds": 0, "allow_short": True} | parameters
    original = build_strategy("s", strategy_type, [TOKEN], settings)
    feed(original, tick, prices[:8])
    original.on_fill(fill(Side.BUY, 1, "100", strategy_id="s"))
    snapshot = original.snapshot()
    restored = build_strategy("s", strategy_type, [TOKEN], settings)
    restored.restore(snapshot)
    assert restored.snapshot() == snapshot
    assert restored.position(TOKEN) == 1
    expected = feed(original, tick, prices[8:], start=8)
    assert expected  # the continuation trades, so the comparison means something
    assert feed(restored, tick, prices[8:], start=8) == expected


def test_restore_of_unknown_snapshot_version_is_refused():
    strategy = build_strategy("s", "momentum", [TOKEN], {})
    with pytest.raises(ValueError, match="version"):
        strategy.restore(b'{"version": 0, "instruments": {}}')


# -- freshness and warm-up ---------------------------------------------------------------


def test_ticks_older_than_the_maximum_age_warm_the_indicators_but_emit_nothing(tick, moment):
    settings = {"lookback": 2, "entry_percent": "1", "max_tick_age_seconds": 60}
    strategy = build_strategy("mom", "momentum", [TOKEN], settings)
    now = moment(300)
    for seconds, price in [(0, "100"), (1, "102"), (239, "104")]:  # 300, 299 and 61 s old
        assert strategy.on_tick(tick(price, seconds=seconds), now=now) == []
    [signal] = strategy.on_tick(tick("106", seconds=240), now=now)  # 60 s old: in time
    assert (signal.side, signal.generated_at) == (Side.BUY, moment(240))
    cold = build_strategy("mom", "momentum", [TOKEN], settings)
    assert cold.on_tick(tick("106", seconds=240), now=now) == []  # it had nothing to compare


def test_ticks_without_a_now_are_never_too_old(tick):
    strategy = build_strategy("mom", "momentum", [TOKEN], {"lookback": 1, "entry_percent": "1"})
    assert len(feed(strategy, tick, [100, 102])) == 1


def test_warm_up_ticks_of_each_instrument_emit_nothing(tick):
    settings = {"lookback": 1, "entry_percent": "0.1", "cooldown_seconds": 0}
    prices = [100, 101, 102, 103, 104]
    eager = build_strategy("mom", "momentum", [TOKEN, 738561], settings)
    assert [index for index, _ in feed(eager, tick, prices)] == [1]
    warming = build_strategy("mom", "momentum", [TOKEN, 738561], settings | {"warmup_ticks": 3})
    assert [index for index, _ in feed(warming, tick, prices)] == [3]
    other = [
        warming.on_tick(tick(str(p), seconds=10 + i, token=738561)) for i, p in enumerate(prices)
    ]
    assert [index for index, signals in enumerate(other) if signals] == [3]


def test_restored_strategy_warms_up_again_from_its_saved_indicators(tick):
    settings = {"lookback": 1, "entry_percent": "0.1", "cooldown_seconds": 0, "warmup_ticks": 2}
    strategy = build_strategy("mom", "momentum", [TOKEN], settings)
    feed(strategy, tick, [100, 100, 100])
    restarted = build_strategy("mom", "momentum", [TOKEN], settings)
    restarted.restore(strategy.snapshot())
    assert [index for index, _ in feed(restarted, tick, [101, 102, 103], start=3)] == [2]


@pytest.mark.parametrize(
    "setting", [{"warmup_ticks": 100_001}, {"warmup_ticks": -1}, {"max_tick_age_seconds": 0}]
)
def test_warm_up_and_tick_age_out_of_bounds_are_refused(setting):
    with pytest.raises(StrategyConfigError, match=next(iter(setting))):
        build_strategy("mom", "momentum", [TOKEN], setting)
