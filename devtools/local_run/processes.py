"""Start service processes, wait for their readiness, stop them in pipeline order."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp


def free_port() -> int:
    """Return a port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServiceProcess:
    """One `alpha-panda serve` child with its probe/metrics port and log file."""

    name: str
    service: str
    port: int
    log: Path
    process: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, timeout: float = 60) -> None:
        """Poll `/readyz` until it answers 200; fail with the process log if it exits."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while loop.time() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
                try:
                    async with http.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)  # polling a child's probe, as the kubelet does
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {self.log}")

    async def stop(self, timeout: float = 30) -> int:
        """Ask the service to stop (SIGTERM) and wait; kill it if it does not."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return int(self.process.returncode or 0)


async def start_service(
    name: str, service: str, environment: dict[str, str], log_dir: Path
) -> ServiceProcess:
    """Start `alpha-panda serve SERVICE` in its own session, so Ctrl-C reaches only us."""
    port = free_port()
    log = log_dir / f"{name}.log"
    env = {
        **os.environ,
        **environment,
        "ALPHA_PANDA_SERVICE_NAME": name,
        "ALPHA_PANDA_HTTP_PORT": str(port),
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "alpha_panda.app.cli",
            "serve",
            service,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    return ServiceProcess(name, service, port, log, process)
