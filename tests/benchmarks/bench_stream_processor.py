"""Benchmark a pass-through service on the streaming runtime and the local Kafka, beside an
asyncio echo floor.

Prints hop latency p50/p99 at a paced rate, maximum sustained throughput, and the processor's
resident memory. Run: `make bench` or `python tests/benchmarks/bench_stream_processor.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "services"), str(ROOT)]

from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402

from alpha_panda.adapters.postgres.checkpoints import PostgresCheckpoints  # noqa: E402
from alpha_panda.adapters.postgres.migrations import connect  # noqa: E402
from alpha_panda.core.events import decode  # noqa: E402
from alpha_panda.core.streaming.bootstrap import TopicConfig, ensure_topics  # noqa: E402
from alpha_panda.core.streaming.lag import group_lag  # noqa: E402
from alpha_panda.domain.market import Tick  # noqa: E402
from tests.integration.core.processors import Relay, Source, running, settings_for  # noqa: E402


def infra() -> dict[str, str]:
    out = subprocess.run(
        [str(ROOT / "scripts/infra.sh"), "up"], capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in out.stdout.split())


async def drained(bootstrap: str, groups: list[str], topics: list[str], timeout: float) -> None:
    """Wait until every group has consumed and committed every record of `topics`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        lag = await group_lag(bootstrap, groups, topics)
        if not any(lag.values()):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"not drained within {timeout}s: {lag}")


async def records_in(bootstrap: str, topic: str) -> int:
    """Return how many records `topic` holds (its partitions' end offsets)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def stamped(token: int) -> Tick:
    return Tick(
        instrument_token=token, exchange_timestamp=datetime.now(UTC), last_price=Decimal("100.05")
    )


async def sink_latencies(bootstrap: str, topic: str, count: int) -> list[float]:
    """Read `count` events from `topic`; return now minus the tick's creation time, in ms."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-sink-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=1,
    )
    await consumer.start()
    latencies: list[float] = []
    try:
        while len(latencies) < count:
            batch = await consumer.getmany(timeout_ms=1000)
            now = datetime.now(UTC)
            for records in batch.values():
                for record in records:
                    sent = decode(record.value).data.exchange_timestamp
                    latencies.append((now - sent).total_seconds() * 1000)
    finally:
        await consumer.stop()
    return latencies


async def paced(source: Source, topic: str, rate: int, seconds: float) -> int:
    """Publish at `rate` events/s in 10 ms slots; return how many were sent."""
    per_slot, sent = max(1, rate // 100), 0
    start = time.perf_counter()
    for slot in range(int(seconds * 100)):
        await asyncio.sleep(max(0.0, start + slot / 100 - time.perf_counter()))
        await source.publish(topic, [stamped(1 + (sent + i) % 64) for i in range(per_slot)])
        sent += per_slot
    return sent


def relay_process(env: dict[str, str], prefix: str) -> subprocess.Popen[bytes]:
    """Start the pass-through service as its own process, so its memory can be read."""
    return subprocess.Popen(
        [sys.executable, __file__, "--relay", prefix], env={**os.environ, **env}, cwd=ROOT
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_relay(prefix: str) -> None:
    env = os.environ
    settings = settings_for(
        "relay",
        prefix,
        env["ALPHA_PANDA_KAFKA_BOOTSTRAP"],
        env["ALPHA_PANDA_POSTGRES_DSN"],
        env["ALPHA_PANDA_REDIS_URL"],
    )
    pool = await connect(settings.postgres_dsn.get_secret_value())
    topics = settings.topics
    relay = Relay(
        settings,
        PostgresCheckpoints(pool, settings.consumer_group),
        inputs=[topics.market_ticks],
        output=topics.signals_raw,
    )
    relay.forwarder.handled = _Discard()
    async with running(relay):
        await asyncio.Event().wait()


class _Discard(list):
    def append(self, _item: object) -> None:
        return None


async def kafka_figures(
    env: dict[str, str], rate: int, seconds: float, burst: int
) -> dict[str, float]:
    prefix = uuid.uuid4().hex[:8]
    bootstrap = env["ALPHA_PANDA_KAFKA_BOOTSTRAP"]
    settings = settings_for(
        "source", prefix, bootstrap, env["ALPHA_PANDA_POSTGRES_DSN"], env["ALPHA_PANDA_REDIS_URL"]
    )
    topics = settings.topics
    await ensure_topics(bootstrap, topics, TopicConfig(partitions=6))
    source = Source(settings)
    relay = relay_process(env, prefix)
    figures: dict[str, float] = {}
    try:
        async with running(source):
            await source.publish(topics.market_ticks, [stamped(1)])  # warm-up: wait for the group
            await sink_latencies(bootstrap, topics.signals_raw, 1)
            sink = asyncio.create_task(
                sink_latencies(bootstrap, topics.signals_raw, 1 + int(rate * seconds))
            )
            sent = await paced(source, topics.market_ticks, rate, seconds)
            latencies = (await sink)[1:]
            figures["paced_sent"] = sent
            figures["hop_p50_ms"] = statistics.median(latencies)
            figures["hop_p99_ms"] = percentile(latencies, 0.99)
            figures["rss_paced_mb"] = rss_mb(relay.pid)

            # The backlog is queued while the relay is paused, so the publisher does not share
            # the CPU with it; the clock runs until the relay has committed all of it.
            relay.send_signal(signal.SIGSTOP)
            ticks = [stamped(1 + i % 64) for i in range(burst)]
            for i in range(0, burst, 5000):
                await source.publish(topics.market_ticks, ticks[i : i + 5000])
            started = time.perf_counter()
            relay.send_signal(signal.SIGCONT)
            group = f"{settings.group_prefix}.relay"
            await drained(bootstrap, [group], [topics.market_ticks], timeout=300)
            figures["throughput_eps"] = burst / (time.perf_counter() - started)
            figures["rss_after_burst_mb"] = rss_mb(relay.pid)
            figures["relayed"] = await records_in(bootstrap, topics.signals_raw)
    finally:
        relay.terminate()
        relay.wait()
    return figures


async def echo_figures(rate: int, seconds: float, burst: int) -> dict[str, float]:
    """The floor: a plain asyncio TCP echo on loopback, same pacing and message size."""

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = b"x" * 500 + b"\n"
    latencies: list[float] = []
    per_slot = max(1, rate // 100)
    start = time.perf_counter()
    for slot in range(int(seconds * 100)):
        await asyncio.sleep(max(0.0, start + slot / 100 - time.perf_counter()))
        sent_at = time.perf_counter()
        writer.write(payload * per_slot)
        for _ in range(per_slot):
            await reader.readline()
        latencies.extend([(time.perf_counter() - sent_at) * 1000] * per_slot)
    started = time.perf_counter()
    for _ in range(burst // 1000):
        writer.write(payload * 1000)
        for _ in range(1000):
            await reader.readline()
    throughput = burst / (time.perf_counter() - started)
    writer.close()
    server.close()
    return {
        "hop_p50_ms": statistics.median(latencies),
        "hop_p99_ms": percentile(latencies, 0.99),
        "throughput_eps": throughput,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--burst", type=int, default=100_000)
    parser.add_argument("--relay", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay:
        await run_relay(args.relay)
        return
    env = infra()
    floor = await echo_figures(args.rate, args.seconds, args.burst)
    kafka = await kafka_figures(env, args.rate, args.seconds, args.burst)
    print(f"pass-through runtime, {args.rate} events/s for {args.seconds:g} s, burst {args.burst}")
    print(
        f"  hop latency  p50 {kafka['hop_p50_ms']:.2f} ms  p99 {kafka['hop_p99_ms']:.2f} ms "
        "(source → Kafka → processor → Kafka → sink)"
    )
    print(
        f"  throughput   {kafka['throughput_eps']:,.0f} events/s sustained (a backlog of"
        f" {args.burst:,} drained; {kafka['relayed']:,.0f} events relayed in all)"
    )
    print(
        f"  memory       {kafka['rss_paced_mb']:.0f} MB RSS paced, {kafka['rss_after_burst_mb']:.0f} MB after burst"
    )
    print("asyncio loopback echo (floor)")
    print(f"  hop latency  p50 {floor['hop_p50_ms']:.3f} ms  p99 {floor['hop_p99_ms']:.3f} ms")
    print(f"  throughput   {floor['throughput_eps']:,.0f} events/s")


if __name__ == "__main__":
    asyncio.run(main())
