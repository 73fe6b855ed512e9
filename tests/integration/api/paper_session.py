"""A real local paper session (`python -m local_run`, as `make run` starts it) for browser tests:
started as its own process, read from its output, stopped with Ctrl-C as a user would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT

STARTED = re.compile(r"^session (\S+): simulator \S+ at \S+, database (\S+), logs (\S+)$")
DASHBOARD = re.compile(r"^dashboard (\S+) — user (\S+), password (\S+) \(this session only\)$")
TRADING = re.compile(r"^\d+ services ready; trading")
START_SECONDS = 240
STOP_SECONDS = 120


@dataclass
class PaperSession:
    """What the session printed: its topic prefix, database, logs and dashboard login."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    prefix: str = ""
    database: str = ""
    logs: str = ""
    dashboard_url: str = ""
    user: str = ""
    password: str = ""

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def report(self, lines: int = 15) -> str:
        """Return the session's latest progress and each service's latest log lines: what a
        failed check needs to say whether ticks, signals, orders or fills stopped."""
        parts = ["session output (latest):", *self.lines[-lines:]]
        for log in sorted(Path(self.logs).glob("*.log")) if self.logs else []:
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            parts += [f"--- {log.name} (latest {len(tail)} lines)", *tail]
        return "\n".join(parts)

    async def _read(self, trading: asyncio.Event) -> None:
        """Keep reading the session's output (it prints every second) and note what it says."""
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            self.lines.append(line)
            if started := STARTED.match(line):
                self.prefix = started.group(1) + "."
                self.database, self.logs = started.group(2), started.group(3)
            elif dashboard := DASHBOARD.match(line):
                self.dashboard_url, self.user, self.password = dashboard.groups()
            elif TRADING.match(line):
                trading.set()

    async def stop(self) -> int:
        """Press Ctrl-C: the session drains, stops its services and prints its summary."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return int(self.process.returncode or 0)


@contextlib.contextmanager
def reported(session: PaperSession) -> Iterator[None]:
    """Print the session's report when the checks inside fail (pytest shows it with the
    failure), so a run that never traded says where the pipeline stopped."""
    try:
        yield
    except BaseException:
        print(session.report())
        raise


async def start_local_run(infra: dict[str, str], *arguments: str) -> asyncio.subprocess.Process:
    """Start `python -m local_run` (what `make run` starts) with its output on one pipe."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "local_run",
        *arguments,
        cwd=ROOT,
        env={**os.environ, **infra},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@contextlib.asynccontextmanager
async def paper_session(infra: dict[str, str]) -> AsyncIterator[PaperSession]:
    """Run a paper session until the context ends; yield it once it trades."""
    process = await start_local_run(infra, "--duration", "0")
    session = PaperSession(process)
    trading = asyncio.Event()
    reader = asyncio.create_task(session._read(trading))
    try:
        waits = [asyncio.create_task(process.wait()), asyncio.create_task(trading.wait())]
        _, pending = await asyncio.wait(
            waits, timeout=START_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        for wait in pending:
            wait.cancel()
        if not trading.is_set():
            raise AssertionError(f"the paper session did not start trading:\n{session.output}")
        yield session
    finally:
        await session.stop()
        await reader
