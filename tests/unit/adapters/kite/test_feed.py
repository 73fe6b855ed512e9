"""Market feed behaviour that needs no server."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed, KiteFeedConfig

CONFIG = KiteFeedConfig(ws_url="ws://127.0.0.1:1", api_key="key", access_token=SecretStr("t"))


def test_instruments_beyond_nine_thousand_are_reported_and_counted_not_dropped() -> None:
    feed = KiteFeed(CONFIG, range(1, 9002))

    assert feed.overflow == (9001,)
    assert feed.counters.overflowed_instruments == 1
    assert [len(shard) for shard in feed.shards] == [3000, 3000, 3000]

    feed.set_instruments(range(1, 9003))
    assert feed.overflow == tuple(range(9001, 9003))
    assert feed.counters.overflowed_instruments == 2  # each instrument counted once refused


def test_a_bad_token_is_refused_and_changes_nothing() -> None:
    feed = KiteFeed(CONFIG, [408065])

    with pytest.raises(ValueError, match="'INFY' is not a Kite instrument token"):
        feed.set_instruments([408065, "INFY"])  # type: ignore[list-item]

    assert feed.shards == [(408065,)]


def test_access_token_is_hidden_from_the_config_repr_and_dump() -> None:
    config = CONFIG.model_copy(update={"access_token": SecretStr("sekret-token")})
    assert "sekret-token" not in repr(config)
    assert "sekret-token" not in str(config.model_dump())


async def test_feed_stopped_before_starting_ends_iteration_and_is_not_ready() -> None:
    feed = KiteFeed(CONFIG, [408065])
    await feed.stop()

    assert [batch async for batch in feed] == []
    assert not feed.ready
    assert feed.shards == [(408065,)]
