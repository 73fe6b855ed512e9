"""A small HTTP server for the liveness and readiness probes of non-API service processes."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from alpha_panda.core.health import CachedReadiness

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HealthServer:
    """Serve `/healthz` (the process is alive) and `/readyz` (checks pass: 200, else 503)."""

    def __init__(
        self,
        readiness: CachedReadiness,
        *,
        service: str,
        host: str = "0.0.0.0",  # noqa: S104 - kubelet probes reach the pod address
        port: int = 8080,
    ) -> None:
        self._readiness = readiness
        self._service = service
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._extra_routes: list[tuple[str, Handler]] = []

    @property
    def port(self) -> int:
        """Return the port; after `start` with port 0, the one the system chose."""
        return self._port

    def add_route(self, path: str, handler: Handler) -> None:
        """Serve another GET route beside the probes (the metrics endpoint)."""
        self._extra_routes.append((path, handler))

    def application(self) -> web.Application:
        """Return the aiohttp application with both probe routes and any added ones."""
        app = web.Application()
        app.router.add_get("/healthz", self._alive)
        app.router.add_get("/readyz", self._ready)
        for path, handler in self._extra_routes:
            app.router.add_get(path, handler)
        return app

    async def start(self) -> None:
        """Bind and start serving."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        listener = socket.create_server((self._host, self._port))
        self._port = listener.getsockname()[1]
        await web.SockSite(self._runner, listener).start()

    async def stop(self) -> None:
        """Stop serving and release the port."""
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def _alive(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "alive", "service": self._service})

    async def _ready(self, _: web.Request) -> web.Response:
        report = await self._readiness.report()
        body = {"service": self._service, **report.to_dict()}
        return web.json_response(body, status=200 if report.ready else 503)
