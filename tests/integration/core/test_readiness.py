"""A service is ready only once its consumer group assigned and positioned its partitions, so
what starts after it is seen ready (a local session starts the feed after the pipeline) meets
a consumer that is really there."""

from __future__ import annotations

import pytest

from alpha_panda.app.supervisor import processing_check
from alpha_panda.core.health import HealthRegistry
from tests.conftest import eventually
from tests.integration.core.processors import Relay, Source, running, tick

pytestmark = pytest.mark.integration


async def test_a_runtime_is_unready_until_its_partitions_are_positioned(env):
    settings, topics, ledger = env
    starting = await HealthRegistry([processing_check(lambda: None)]).run()
    assert not starting.ready and starting.failures[0].detail == "starting"
    relay = Relay(settings("reader"), ledger("reader"), inputs=[topics.market_ticks])
    readiness = HealthRegistry([processing_check(lambda: relay.runtime)])
    built = await readiness.run()
    assert not built.ready
    assert "assign and position its partitions" in built.failures[0].detail

    source = Source(settings("source"))
    async with running(source, relay):

        async def ready() -> bool:
            return (await readiness.run()).ready

        await eventually(ready, what="the runtime ready")
        assert relay.runtime.positioned.is_set() and relay.assigned_partitions()
        await source.publish(topics.market_ticks, [tick(t, 0) for t in range(1, 9)])

        async def handled() -> bool:
            return len(relay.handled) == 8

        await eventually(handled, what="every tick handled")
