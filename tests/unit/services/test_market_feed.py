"""What the market feed emits for each item of the Kite feed, without servers."""

from __future__ import annotations

from alpha_panda.core.events import SHARED_NAMESPACE, EventType, partition_key
from alpha_panda.domain.orders import BrokerOrderUpdate
from alpha_panda.market_feed.service import feed_outputs
from tests.unit.domain.conftest import at, make_tick
from tests.unit.services.builders import TOPICS

UPDATE = BrokerOrderUpdate(
    broker_order_id="260101000000001",
    tag="ap0123456789abcdef01",
    status="COMPLETE",
    filled_quantity=10,
    updated_at=at(0),
)


def test_a_frames_ticks_go_to_the_shared_market_topic_keyed_by_instrument():
    ticks = [make_tick("100", token=408065), make_tick("200", token=2885)]
    events = feed_outputs(ticks, TOPICS, forwards_updates=False)
    assert [(e.topic, e.type, e.namespace) for e in events] == [
        (TOPICS.market_ticks, EventType.MARKET_TICK, SHARED_NAMESPACE)
    ] * 2
    assert [partition_key(e.data) for e in events] == ["408065", "2885"]


def test_order_updates_go_to_the_order_updates_topic_only_when_forwarded():
    [event] = feed_outputs(UPDATE, TOPICS, forwards_updates=True)
    assert (event.topic, event.type) == (TOPICS.order_updates, EventType.ORDER_UPDATE)
    assert partition_key(event.data) == UPDATE.broker_order_id
    assert feed_outputs(UPDATE, TOPICS, forwards_updates=False) == []
