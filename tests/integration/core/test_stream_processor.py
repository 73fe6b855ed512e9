"""The streaming core against the real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from alpha_panda.core.events import EventDecodeError
from alpha_panda.core.streaming import TransientError
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from alpha_panda.core.streaming.dead_letters import read_dead_letters, replay_dead_letters
from alpha_panda.core.streaming.lag import group_lag
from tests.conftest import eventually
from tests.integration.core.processors import (
    FAST_RETRY,
    Relay,
    Source,
    running,
    tick,
)

pytestmark = pytest.mark.integration


async def test_topic_bootstrap_is_idempotent(env, kafka_bootstrap):
    _, topics, _ = env
    assert await ensure_topics(kafka_bootstrap, topics, TopicConfig(partitions=4)) == []


async def test_per_key_order_holds_across_partitions(env):
    settings, topics, ledger = env
    source = Source(settings("source"))
    relay = Relay(settings("relay"), ledger("relay"), inputs=[topics.market_ticks])
    async with running(source, relay):
        await source.publish(
            topics.market_ticks, [tick(t, s) for s in range(30) for t in range(1, 11)]
        )
        await eventually(lambda: _ready(len(relay.handled) == 300), what="300 events")
    by_key: dict[str, list[int]] = {}
    for event in relay.handled:
        by_key.setdefault(event.key, []).append(event.data.volume)
    assert all(seq == list(range(30)) for seq in by_key.values()), by_key
    assert len(relay.assigned_partitions()) == 4


async def test_services_with_distinct_groups_each_receive_every_event(env):
    settings, topics, ledger = env
    source = Source(settings("source"))
    first = Relay(settings("first"), ledger("first"), inputs=[topics.market_ticks])
    second = Relay(settings("second"), ledger("second"), inputs=[topics.market_ticks])
    async with running(source, first, second):
        sent = await source.publish(topics.market_ticks, [tick(t, 0) for t in range(1, 101)])
        await eventually(
            lambda: _ready(len(first.handled) == len(second.handled) == 100), what="both groups"
        )
    assert {e.id for e in first.handled} == {e.id for e in second.handled} == {e.id for e in sent}


async def test_replicas_of_one_service_split_the_partitions(env):
    settings, topics, ledger = env
    source = Source(settings("source"))
    one = Relay(settings("relay"), ledger("relay"), inputs=[topics.market_ticks])
    two = Relay(settings("relay"), ledger("relay"), inputs=[topics.market_ticks])
    async with running(source, one, two):
        await eventually(
            lambda: _ready(len(one.assigned_partitions()) == len(two.assigned_partitions()) == 2),
            what="a balanced assignment",
        )
        await source.publish(topics.market_ticks, [tick(t, 0) for t in range(1, 201)])
        await eventually(lambda: _ready(len(one.handled) + len(two.handled) == 200), what="200")
    assert one.assigned_partitions().isdisjoint(two.assigned_partitions())
    assert {e.id for e in one.handled}.isdisjoint({e.id for e in two.handled})
    assert one.handled and two.handled


async def test_a_joining_replica_starts_after_the_batches_handled_before_it_joined(env):
    settings, topics, ledger = env
    # Only the rebalance checkpoints: without it the newcomer would re-handle the first 100.
    rare = dataclasses.replace(FAST_RETRY, checkpoint_interval_ms=600_000)
    source = Source(settings("source"))
    one = Relay(settings("relay"), ledger("relay"), inputs=[topics.market_ticks], config=rare)
    two = Relay(settings("relay"), ledger("relay"), inputs=[topics.market_ticks], config=rare)
    async with running(source, one):
        await source.publish(topics.market_ticks, [tick(t, 0) for t in range(1, 101)])
        await eventually(lambda: _ready(len(one.handled) == 100), what="100 at the first replica")
        async with running(two):
            await eventually(
                lambda: _ready(len(two.assigned_partitions()) == 2), what="a rebalance"
            )
            await source.publish(topics.market_ticks, [tick(t, 1) for t in range(1, 101)])
            await eventually(lambda: _ready(len(one.handled) + len(two.handled) >= 200), what="200")
    ids = [event.id for event in one.handled + two.handled]
    assert len(ids) == len(set(ids)) == 200
    assert two.handled and all(event.data.volume == 1 for event in two.handled)


def skipped_since_now(service: str, reason: str) -> Callable[[], float]:
    """Return a reader of how many records `service` has skipped for `reason` from now on."""
    labels = {"service": service, "reason": reason}

    def read() -> float:
        return REGISTRY.get_sample_value("alpha_panda_events_skipped_total", labels) or 0.0

    before = read()
    return lambda: read() - before


async def committed_all(bootstrap: str, relay: Relay, topic: str) -> bool:
    lag = await group_lag(bootstrap, [relay.settings.consumer_group], [topic])
    return not any(lag.values())


async def test_a_latest_only_topic_hands_over_the_newest_record_per_key_of_a_batch(
    env, kafka_bootstrap
):
    settings, topics, ledger = env
    superseded = skipped_since_now("latest", "superseded")
    source = Source(settings("source"))
    latest = Relay(
        settings("latest"),
        ledger("latest"),
        inputs=[topics.market_ticks],
        latest_only=[topics.market_ticks],
    )
    async with running(source):  # queued before the relay starts, so batches hold many per key
        await source.publish(
            topics.market_ticks, [tick(t, s) for s in range(30) for t in range(1, 11)]
        )
    async with running(latest):
        await eventually(
            lambda: _ready(sum(e.data.volume == 29 for e in latest.handled) == 10),
            what="the newest tick of every instrument",
        )
        await latest.checkpoint()
    assert len(latest.handled) + superseded() == 300
    assert len(latest.handled) < 300
    for token in range(1, 11):
        volumes = [e.data.volume for e in latest.handled if e.data.instrument_token == token]
        assert volumes == sorted(volumes) and volumes[-1] == 29
    assert await committed_all(kafka_bootstrap, latest, topics.market_ticks)


async def test_a_key_filtered_topic_hands_over_only_the_keys_asked_for(env, kafka_bootstrap):
    settings, topics, ledger = env
    other_keys = skipped_since_now("keyed", "other key")
    source = Source(settings("source"))
    keyed = Relay(
        settings("keyed"),
        ledger("keyed"),
        inputs=[topics.market_ticks],
        only_keys={topics.market_ticks: ["3", "7"]},
    )
    async with running(source, keyed):
        await source.publish(
            topics.market_ticks, [tick(t, s) for s in range(5) for t in range(1, 11)]
        )
        await eventually(
            lambda: _ready(len(keyed.handled) == 10 and other_keys() == 40),
            what="the ticks of 3 and 7 handled, the 40 others skipped",
        )
        await keyed.checkpoint()
    assert {e.data.instrument_token for e in keyed.handled} == {3, 7}
    assert await committed_all(kafka_bootstrap, keyed, topics.market_ticks)


@pytest.mark.parametrize("attempt", range(3))  # the client's own reset races the seek
async def test_a_new_group_starts_a_recent_only_topic_at_its_warm_up_window(env, attempt):
    settings, topics, ledger = env
    source = Source(settings("source"))
    recent = Relay(
        settings(f"recent{attempt}"),
        ledger(f"recent{attempt}"),
        inputs=[topics.market_ticks],
        recent_only={topics.market_ticks: 1.0},
    )
    async with running(source):
        await source.publish(topics.market_ticks, [tick(t, 0) for t in range(1, 11)])
        await asyncio.sleep(2.5)  # those ten are now older than the window
        async with running(recent):
            await eventually(
                lambda: _ready(recent.runtime.positioned.is_set()), what="the relay positioned"
            )
            await source.publish(topics.market_ticks, [tick(t, 1) for t in range(1, 11)])
            await eventually(lambda: _ready(len(recent.handled) >= 10), what="the fresh ticks")
            await asyncio.sleep(0.5)  # time for an old tick, had one slipped through
    assert sorted((e.data.instrument_token, e.data.volume) for e in recent.handled) == [
        (t, 1) for t in range(1, 11)
    ]


async def test_poison_and_malformed_events_go_to_the_dlq_with_metadata(env, kafka_bootstrap):
    settings, topics, ledger = env

    def reject_token_13(event):
        if event.data.instrument_token == 13:
            raise ValueError("instrument 13 is not tradable")

    source = Source(settings("source"))
    relay = Relay(
        settings("relay"), ledger("relay"), inputs=[topics.market_ticks], fail=reject_token_13
    )
    raw = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await raw.start()
    async with running(source, relay):
        await source.publish(topics.market_ticks, [tick(12, 0), tick(13, 0)])
        malformed = await raw.send_and_wait(topics.market_ticks, b"{not json", key=b"12")
        await source.publish(topics.market_ticks, [tick(12, 1)])
        await eventually(lambda: _ready(len(relay.handled) == 2), what="the healthy events")
    await raw.stop()

    letters = {
        letter.error_class: letter
        for letter in await read_dead_letters(kafka_bootstrap, topics.market_ticks)
    }
    assert set(letters) == {"ValueError", EventDecodeError.__name__}
    poison = letters["ValueError"]
    assert poison.error_message == "instrument 13 is not tradable"
    assert poison.attempts == 1 and poison.consumer_group == settings("relay").consumer_group
    assert poison.topic == topics.market_ticks and poison.offset >= 0
    bad = letters[EventDecodeError.__name__]
    assert (bad.partition, bad.offset, bad.value) == (
        malformed.partition,
        malformed.offset,
        b"{not json",
    )
    assert "Invalid JSON" in bad.error_message


async def test_a_transient_failure_is_retried_and_succeeds(env, kafka_bootstrap):
    settings, topics, ledger = env
    failures = []

    def flaky(event):
        if len(failures) < 2:
            failures.append(event.id)
            raise TransientError("database restarting")

    source = Source(settings("source"))
    relay = Relay(settings("relay"), ledger("relay"), inputs=[topics.market_ticks], fail=flaky)
    async with running(source, relay):
        await source.publish(topics.market_ticks, [tick(5, 0)])
        await eventually(lambda: _ready(len(relay.handled) == 1), what="the retried event")
    assert relay.attempts == 3
    assert await read_dead_letters(kafka_bootstrap, topics.market_ticks) == []


async def test_dlq_replay_brings_a_fixed_event_back(env, kafka_bootstrap, unique):
    settings, topics, ledger = env
    broken = {"yes": True}

    def until_fixed(event):
        if broken["yes"]:
            raise KeyError("missing instrument")

    source = Source(settings("source"))
    relay = Relay(
        settings("relay"),
        ledger("relay"),
        inputs=[topics.market_ticks],
        output=topics.signals_raw,
        fail=until_fixed,
    )
    sink = Relay(settings("sink"), ledger("sink"), inputs=[topics.signals_raw])
    async with running(source, relay, sink):
        [sent] = await source.publish(topics.market_ticks, [tick(7, 0)])
        await eventually(
            lambda: _has_letters(kafka_bootstrap, topics.market_ticks, 1), what="a dead letter"
        )
        broken["yes"] = False
        group = f"t{unique}.dlq-replay"
        assert (
            await replay_dead_letters(kafka_bootstrap, topics.market_ticks, replay_group=group) == 1
        )
        await eventually(lambda: _ready(len(sink.handled) == 1), what="the replayed event")
        assert (
            await replay_dead_letters(kafka_bootstrap, topics.market_ticks, replay_group=group) == 0
        )
    assert [e.id for e in relay.handled] == [sent.id]
    assert sink.handled[0].causation_id == sent.id


async def _ready(value: bool) -> bool:
    return value


async def _has_letters(bootstrap: str, topic: str, count: int) -> bool:
    return len(await read_dead_letters(bootstrap, topic)) >= count
