"""Private PostgreSQL, Redis and KRaft Kafka servers a test or a fault run may stop and restart
on the same ports without disturbing anyone else."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

PG_BIN = next(Path("/usr/lib/postgresql").glob("*/bin"), Path("/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float, log: Path) -> None:
    """Block until something accepts connections on `port`; fail with the server log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open within {timeout}s:\n{log.read_text()[-3000:]}")


class RedisServer:
    """A redis-server on its own port and directory; stops and restarts on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = self.directory / "redis.log"
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(self.directory), "--save", "", "--appendonly", "no"]
        command += ["--logfile", str(log)]
        self._process = subprocess.Popen(command)
        wait_for_port(self.port, 20, log)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
            self._process = None


class PostgresServer:
    """A PostgreSQL cluster in a temp directory, run as the `postgres` user when root."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.data = directory / "data"

    @property
    def dsn(self) -> str:
        return f"postgresql://alpha@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True)

    def initialise(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "alpha", "--auth=trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.directory / "server.log"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(log),
            "-w",
            "start",
            "-o",
            options,
        )

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


def kafka_classpath() -> str:
    """Return the classpath of the Kafka jars that scripts/infra.sh caches."""
    cache = Path(os.environ.get("ALPHA_PANDA_CACHE", Path.home() / ".cache" / "alpha-panda"))
    found = sorted(cache.glob("kafka-*/lib"))
    if not found:
        raise RuntimeError(f"no Kafka jars under {cache}: run scripts/infra.sh up once")
    return f"{found[-1]}/*"


class KafkaServer:
    """A one-node KRaft Kafka in its own directory; restarts on the same ports and data."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.controller_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._classpath = kafka_classpath()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def initialise(self) -> None:
        properties = self.directory / "server.properties"
        properties.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={self.directory / 'data'}",
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                ]
            )
        )
        tool = ["java", "-cp", self._classpath, "kafka.tools.StorageTool"]
        cluster = subprocess.run([*tool, "random-uuid"], capture_output=True, text=True, check=True)
        subprocess.run(
            [*tool, "format", "-t", cluster.stdout.strip(), "-c", str(properties)],
            capture_output=True,
            check=True,
        )

    def start(self, timeout: float = 90) -> None:
        log = self.directory / "server.log"
        with log.open("ab") as output:
            self._process = subprocess.Popen(
                [
                    "java",
                    "-Xms128m",
                    "-Xmx384m",
                    "-cp",
                    self._classpath,
                    "kafka.Kafka",
                    str(self.directory / "server.properties"),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout, log)

    def stop(self, graceful: bool = False) -> None:
        """Kill the broker (SIGKILL), or shut it down cleanly (SIGTERM): a clean shutdown spares
        the next start the recovery of every partition's log."""
        if self._process is not None:
            if graceful:
                self._process.terminate()
            else:
                self._process.kill()
            self._process.wait(timeout=120)
            self._process = None
