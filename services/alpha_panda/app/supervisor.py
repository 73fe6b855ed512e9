"""Keep one service running through outages of its dependencies.

A lost PostgreSQL or Kafka surfaces as an error out of the service's run (a checkpoint that
cannot be saved, a delivery that times out). The supervisor then closes the service, reports
unready, waits with capped backoff and builds it again from its last checkpoint (what was not
checkpointed is redelivered and deduplicated), until the outage has lasted longer than a
configured bound: only then does the process exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from aiokafka.errors import KafkaError

from alpha_panda.app.wiring import ConfigurationError, Service, Wiring
from alpha_panda.core.health import CheckFailed, HealthCheck
from alpha_panda.core.settings import Settings
from alpha_panda.core.streaming.retry import Backoff

log = logging.getLogger(__name__)

OUTAGES: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset, and asyncio's TimeoutError
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    KafkaError,
)
RECOVERED_AFTER_SECONDS = 60.0
"""A run that lasted this long ends the outage it followed: the next one is counted anew."""


@dataclass
class Supervisor:
    """Build, run and rebuild one service until it is told to stop."""

    service: str
    settings: Settings
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, maximum=15.0))
    current: Service | None = None
    outage: str | None = None
    """The dependency error being waited out; None while the service runs."""
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> int:
        """Run the service until `stop()`; return the process exit code."""
        since: float | None = None
        attempt = 0
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                await self._run_once()
                return 0
            except ConfigurationError as error:
                log.error("%s cannot start: %s", self.service, error)
                return 2
            except OUTAGES as error:
                now = time.monotonic()
                if since is None or now - started > RECOVERED_AFTER_SECONDS:
                    since, attempt = now, 0
                attempt += 1
                self.outage = f"{type(error).__name__}: {error}"
                bound = self.settings.outage_seconds
                if now - since > bound:
                    log.error("%s gives up after %.0f s of %s", self.service, bound, self.outage)
                    return 1
                delay = self.backoff.delay(attempt) + self.backoff.initial
                log.warning(
                    "%s lost a dependency (%s); retrying in %.1f s", self.service, error, delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
        return 0

    def stop(self) -> None:
        """Stop the running service and do not build it again."""
        self.stopping.set()
        if self.current is not None:
            self.current.stop()

    async def _run_once(self) -> None:
        wiring = await Wiring.open(self.settings)
        try:
            processor = self.current = await wiring.build(self.service)
            try:
                if not await self._unless_stopped(processor.start()):
                    return
                self.outage = None
                log.info("%s running (group %s)", self.service, self.settings.consumer_group)
                if self.stopping.is_set():
                    processor.stop()
                await processor.run()  # returns after the batch in hand is handled and recorded
                if processor.failure:  # halted: stay up and report unready until told to stop
                    await self.stopping.wait()
            finally:
                await _quietly(processor.close(), "closing the service")
        finally:
            await _quietly(wiring.close(), "closing its clients")

    async def _unless_stopped(self, step: Awaitable[None]) -> bool:
        """Await `step` unless `stop()` comes first (a start waiting on a dependency must not
        outlive SIGTERM); return whether it completed."""
        task = asyncio.ensure_future(step)
        stopped = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        if task.done():
            task.result()  # its failure, if any, is the caller's
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log.info("%s stopped while starting", self.service)
        return False


async def _quietly(closing: object, what: str) -> None:
    """Await a close that may fail against a dependency that is down; log, never raise."""
    try:
        await closing  # type: ignore[misc]
    except OUTAGES as error:
        log.warning("%s failed: %r", what, error)
    except asyncio.CancelledError:
        # aiokafka's consumer.stop() awaits a fetch it cancelled itself without suppressing the
        # cancellation; only a cancellation of this task itself must go on.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.warning("%s was cut short by a cancelled client task", what)


def outage_check(supervisor: Supervisor) -> HealthCheck:
    """Unready while the service waits out a dependency's outage."""

    async def probe() -> str:
        if supervisor.outage:
            raise CheckFailed(f"waiting out an outage: {supervisor.outage}")
        return "running"

    return HealthCheck("service", probe, "restore the dependency; the service resumes by itself")


def processing_check(current: Callable[[], Service | None]) -> HealthCheck:
    """Unready until the current service can handle events (its consumer group assigned and
    positioned its partitions), and once it halted on a fatal error, such as an expired Kite
    session. What starts after a service is ready (the feed after the pipeline) is then seen."""

    async def probe() -> str:
        service = current()
        if service is None:
            raise CheckFailed("starting")
        if service.failure:
            raise CheckFailed(service.failure)
        if service.waiting:
            raise CheckFailed(service.waiting)
        return "consuming"

    return HealthCheck("processing", probe, "fix the cause (renew the Kite session) and restart")
