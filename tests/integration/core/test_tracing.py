"""One trace and a correct causation chain across three hops."""

from __future__ import annotations

import itertools

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics
from tests.conftest import eventually
from tests.integration.core.processors import (
    Relay,
    Source,
    ledger_pool,
    running,
    settings_for,
    tick,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


async def test_three_hops_share_one_trace_and_chain_causation(
    spans, kafka_bootstrap, postgres_dsn, redis_url, unique
):
    def settings(service):
        return settings_for(service, unique, kafka_bootstrap, postgres_dsn, redis_url)

    topics = settings("probe").topics
    await ensure_topics(kafka_bootstrap, topics, TopicConfig(partitions=2))
    pool = await ledger_pool(postgres_dsn)
    hops = [topics.market_ticks, topics.signals_raw, topics.signals_validated, topics.orders_placed]
    relays = [
        Relay(
            settings(f"hop{i}"),
            PostgresCheckpoints(pool, f"hop{i}"),
            inputs=[hops[i]],
            output=hops[i + 1],
        )
        for i in range(3)
    ]
    sink = Relay(settings("sink"), PostgresCheckpoints(pool, "sink"), inputs=[hops[3]])
    source = Source(settings("source"))
    tracer = trace.get_tracer("test")
    async with running(source, *relays, sink):
        with tracer.start_as_current_span("market data arrives") as root:
            [first] = await source.publish(hops[0], [tick(42, 0)])
        await eventually(lambda: _ready(len(sink.handled) == 1), what="the event at the last hop")
    await pool.close()

    chain = [relays[0].handled[0], relays[1].handled[0], relays[2].handled[0], sink.handled[0]]
    assert chain[0].id == first.id
    for cause, effect in itertools.pairwise(chain):
        assert effect.causation_id == cause.id
    assert {event.correlation_id for event in chain} == {first.correlation_id}
    emitted = chain[1:]

    trace_id = root.get_span_context().trace_id
    handled = [span for span in spans.get_finished_spans() if span.name.startswith("hop")]
    handled += [span for span in spans.get_finished_spans() if span.name.startswith("sink")]
    assert len(handled) == 4
    assert {span.context.trace_id for span in handled} == {trace_id}
    assert all(event.trace.get("traceparent") for event in emitted)


async def _ready(value: bool) -> bool:
    return value
