"""The faults of a run, on a seeded timeline: service kills, dependency restarts, bad records.

Faults happen one at a time, each followed until the system is whole again, so every recovery
is measured from a known instant: a killed service from its restart, every service from the
moment a restarted dependency accepts connections again (their `/readyz` answering 200).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from chaos.session import Deployment, Servers
from kite_sim.faults import PlacementFault
from kite_sim.simulator import KiteSimulator
from local_run.processes import ServiceProcess

DEPENDENCIES = ("kafka", "postgres", "redis")
READY_TIMEOUT = 90.0
"""How long a recovery is followed before the service is reported as not back."""


@dataclass
class FaultLog:
    """What was done to the system and how long it took to be whole again."""

    kills: int = 0
    restarts: int = 0
    dependency_restarts: dict[str, int] = field(default_factory=dict)
    recovery: dict[str, float] = field(default_factory=dict)
    """Per dependency: the slowest service's seconds from the dependency's return to ready."""
    restart_ready: float = 0.0
    """The slowest killed service's seconds from its restart to ready."""
    unready: dict[str, int] = field(default_factory=dict)
    """Per dependency: how many services reported unready while it was down."""
    placement_faults: int = 0
    never_ready: list[str] = field(default_factory=list)
    unexpected_exits: list[str] = field(default_factory=list)


async def is_ready(http: aiohttp.ClientSession, process: ServiceProcess) -> bool:
    """Tell whether a service answers 200 on `/readyz`."""
    try:
        async with http.get(f"{process.url}/readyz", timeout=aiohttp.ClientTimeout(2)) as answer:
            return answer.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def seconds_to_ready(process: ServiceProcess, since: float) -> float | None:
    """Poll one service until ready; return seconds since `since`, None if it never is."""
    async with aiohttp.ClientSession() as http:
        while time.monotonic() - since < READY_TIMEOUT:
            if process.process.returncode is None and await is_ready(http, process):
                return time.monotonic() - since
            await asyncio.sleep(0.25)  # the kubelet's probe, only faster
    return None


class Chaos:
    """Run the faults of one seeded timeline against a deployment."""

    def __init__(
        self,
        deployment: Deployment,
        servers: Servers,
        simulator: KiteSimulator,
        seed: int,
        inject: Callable[[], Awaitable[None]],
        outage_seconds: float,
    ) -> None:
        self.deployment = deployment
        self.servers = servers
        self.simulator = simulator
        self.random = random.Random(seed)
        self.inject = inject
        self.outage_seconds = outage_seconds
        self.log = FaultLog()

    def timeline(self, duration: float) -> list[tuple[float, str]]:
        """Return (offset, fault) pairs: kills spread at random, each dependency restarted once,
        bad records twice."""
        kills = max(4, int(duration // 18))
        moments = sorted(self.random.uniform(0.02, 0.95) * duration for _ in range(kills))
        plan = [(moment, "kill") for moment in moments]
        order = list(DEPENDENCIES)
        self.random.shuffle(order)
        plan += [
            (duration * share, name) for share, name in zip((0.3, 0.55, 0.8), order, strict=True)
        ]
        plan += [(duration * 0.1, "inject"), (duration * 0.65, "inject")]
        return sorted(plan)

    async def run(self, duration: float, stopping: asyncio.Event) -> FaultLog:
        """Apply the timeline's faults until `duration` seconds have passed."""
        started = time.monotonic()
        for offset, fault in self.timeline(duration):
            wait = offset - (time.monotonic() - started)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=wait)
            if stopping.is_set():
                break
            await self.revive_exited()
            elapsed = time.monotonic() - started
            if fault == "kill":
                await self.kill()
            elif fault == "inject":
                await self.inject()
                print(f"[{elapsed:5.0f}s] injected bad records", flush=True)
            else:
                await self.restart_dependency(fault, elapsed)
        remaining = duration - (time.monotonic() - started)
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=remaining)
        await self.revive_exited()
        return self.log

    async def kill(self) -> None:
        """SIGKILL one service at random, start it again and time its return; now and then
        arm the simulator to execute the next placement and answer it with a 429."""
        name = self.random.choice(sorted(self.deployment.services))
        victim = self.deployment.services[name]
        victim.process.kill()
        await victim.process.wait()
        self.log.kills += 1
        if self.random.random() < 0.4:
            self.simulator.placement_faults.arm(PlacementFault.RATE_LIMITED)
            self.log.placement_faults += 1
        restarted = await self.deployment.restart(name)
        self.log.restarts += 1
        seconds = await seconds_to_ready(restarted, time.monotonic())
        if seconds is None:
            self.log.never_ready.append(f"{name} after its kill")
        else:
            self.log.restart_ready = max(self.log.restart_ready, seconds)
        print(f"killed {name}; ready again in {seconds or float('nan'):.1f}s", flush=True)

    async def restart_dependency(self, name: str, elapsed: float) -> None:
        """Stop a dependency for the outage, start it again and time every service's return."""
        server = getattr(self.servers, name)
        print(f"[{elapsed:5.0f}s] stopping {name} for {self.outage_seconds:.0f}s", flush=True)
        if name == "kafka":  # a killed broker recovers every partition's log: minutes here
            await asyncio.to_thread(server.stop, graceful=True)
            unready = await self.unready_during(self.outage_seconds)
            await asyncio.to_thread(server.start, timeout=300)
        else:
            await asyncio.to_thread(server.stop)
            unready = await self.unready_during(self.outage_seconds)
            await asyncio.to_thread(server.start)
        back = time.monotonic()
        self.log.dependency_restarts[name] = self.log.dependency_restarts.get(name, 0) + 1
        names = sorted(self.deployment.services)
        times = await asyncio.gather(
            *(seconds_to_ready(self.deployment.services[n], back) for n in names)
        )
        slowest = 0.0
        for service, seconds in zip(names, times, strict=True):
            if seconds is None:
                self.log.never_ready.append(f"{service} after the {name} restart")
            else:
                slowest = max(slowest, seconds)
        self.log.recovery[name] = max(self.log.recovery.get(name, 0.0), slowest)
        self.log.unready[name] = len(unready)
        print(
            f"        {name} back; {len(unready)} of {len(names)} services had gone unready; "
            f"every service ready within {slowest:.1f}s",
            flush=True,
        )

    async def unready_during(self, seconds: float) -> set[str]:
        """Watch every service's `/readyz` for `seconds`; return those seen unready."""
        seen: set[str] = set()
        deadline = time.monotonic() + seconds
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                names = sorted(self.deployment.services)
                states = await asyncio.gather(
                    *(is_ready(http, self.deployment.services[n]) for n in names)
                )
                seen |= {n for n, ready in zip(names, states, strict=True) if not ready}
                await asyncio.sleep(0.5)  # a probe period
        return seen

    async def revive_exited(self) -> None:
        """Note and restart any service that exited by itself (a fault of the product)."""
        for name, process in list(self.deployment.services.items()):
            code = process.process.returncode
            if code is not None:
                self.log.unexpected_exits.append(f"{name} (exit {code}, log {process.log})")
                await self.deployment.restart(name)
