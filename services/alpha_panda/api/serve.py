"""The `alpha-panda serve api` process: check, wire, serve over HTTP, shut down on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from alpha_panda.api.wiring import WiredApi, ensure_api_topics
from alpha_panda.app.main import configure_logging
from alpha_panda.app.pre_trading_checks import infrastructure_checks
from alpha_panda.auth.redaction import SecretScrubber
from alpha_panda.auth.settings import ENV_PREFIX as AUTH_ENV_PREFIX
from alpha_panda.auth.settings import AuthSettings
from alpha_panda.core.health import HealthRegistry, StartupCheckError
from alpha_panda.core.settings import Settings, SettingsError, load_settings

log = logging.getLogger("alpha_panda.api")

GRACEFUL_SHUTDOWN_SECONDS = 10


class ApiServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the process, which stops it by `should_exit`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: uvicorn's own capture would re-raise SIGTERM after shutdown."""
        yield


def api_server(app: FastAPI, port: int, host: str = "0.0.0.0") -> ApiServer:  # noqa: S104
    """Return a server for `app` logging through the process's scrubbed handlers."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return ApiServer(config)


async def serve(settings: Settings, auth: AuthSettings, scrubber: SecretScrubber) -> int:
    """Serve the API until SIGTERM/SIGINT; return the process exit code."""
    registry = HealthRegistry(infrastructure_checks(settings))
    try:
        await ensure_api_topics(settings)
    except Exception as error:  # aiokafka raises several unrelated types when unreachable
        log.error(
            "api cannot start: cannot create topics at %s (%s); check"
            " ALPHA_PANDA_KAFKA_BOOTSTRAP and that Kafka runs",
            settings.kafka_bootstrap,
            type(error).__name__,
        )
        return 1
    try:
        await registry.require_ready()
    except StartupCheckError as error:
        log.error("api cannot start:\n%s", error.report.render())
        return 1
    try:
        api = await WiredApi.open(settings, auth, registry, scrubber)
    except SettingsError as error:
        log.error("api cannot start: %s", error)
        return 2
    server = api_server(api.app, settings.http_port)

    def stop() -> None:
        server.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)
    log.info("api starting on port %d", settings.http_port)
    try:
        await server.serve()  # returns once open requests finish after `stop`
    finally:
        await api.close()
        log.info("api stopped")
    return 0


def _auth_settings() -> AuthSettings:
    try:
        return AuthSettings()
    except ValidationError as error:
        reasons = "\n".join(
            f"  {_variable(item['loc'])}{item['msg']}" for item in error.errors(include_input=False)
        )
        raise SettingsError(f"invalid authentication configuration:\n{reasons}") from None


def _variable(location: tuple[int | str, ...]) -> str:
    """Name the environment variable of a refused setting (model-wide checks name their own)."""
    return f"{AUTH_ENV_PREFIX}{str(location[0]).upper()}: " if location else ""


def main() -> int:
    """Entry point of `alpha-panda serve api`."""
    try:
        settings = load_settings()
        auth = _auth_settings()
    except SettingsError as error:
        print(f"api cannot start: {error}", file=sys.stderr)
        return 2
    scrubber = configure_logging(settings)
    for secret in (auth.jwt_keys, auth.session_encryption_key, auth.kite_api_secret):
        if secret is not None:
            scrubber.add(secret)
    return asyncio.run(serve(settings, auth, scrubber))
