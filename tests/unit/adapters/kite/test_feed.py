"""Market feed behaviour that needs no server."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from alpha_panda.adapters.kite.feed import KiteFeed, KiteFeedConfig
from alpha_panda.adapters.kite.sharding import TooManyInstrumentsError

CONFIG = KiteFeedConfig(ws_url="ws://127.0.0.1:1", api_key="key", access_token=SecretStr("t"))


def test_more_than_nine_thousand_instruments_are_refused_up_front() -> None:
    with pytest.raises(TooManyInstrumentsError):
        KiteFeed(CONFIG, range(1, 9002))


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
