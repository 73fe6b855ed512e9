"""An API application wired to in-memory ports, test-generated keys and users of every role."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from alpha_panda.api.app import create_app
from alpha_panda.api.broker_sessions import KnownBrokerSessions
from alpha_panda.api.dependencies import ApiDependencies
from alpha_panda.auth.jwt_manager import JwtManager
from alpha_panda.auth.key_generation import generate_hmac_key, generate_rsa_key
from alpha_panda.auth.keys import KeyRing, SigningKeyConfig
from alpha_panda.auth.roles import Role
from alpha_panda.core.health import CachedReadiness, CheckFailed, HealthCheck, HealthRegistry
from alpha_panda.domain.values import Namespace
from tests.unit.api.memory import (
    MemoryInstruments,
    MemoryReadModel,
    MemoryReplay,
    MemoryStrategies,
    MemoryUsers,
    UnlimitedLogins,
)

ISSUER = "alpha-panda"
AUDIENCE = "alpha-panda-api"


class RecordKeeper(logging.Handler):
    """Keep every log record, rendered with its traceback, for a later scan."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        rendered = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
        self.lines.append(rendered + repr(record.args) + repr(record.__dict__))


@pytest.fixture(scope="module")
def log_keeper() -> Iterator[RecordKeeper]:
    keeper = RecordKeeper()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(keeper)
    root.setLevel(logging.DEBUG)
    yield keeper
    root.removeHandler(keeper)
    root.setLevel(previous)


@pytest.fixture(scope="module")
def used_secrets() -> list[str]:
    """Every secret the module's tests handle; the log scan looks for each."""
    return []


@pytest.fixture(scope="module")
def rsa_key(used_secrets) -> SigningKeyConfig:
    key = generate_rsa_key("rsa-1")
    used_secrets.append(key.private_key.get_secret_value())
    return key


@pytest.fixture(scope="module")
def retired_hmac_key(used_secrets) -> SigningKeyConfig:
    key = generate_hmac_key("hs-old")
    used_secrets.append(key.secret.get_secret_value())
    return key


@pytest.fixture(scope="module")
def jwt_manager(rsa_key, retired_hmac_key) -> JwtManager:
    ring = KeyRing.from_configs([retired_hmac_key, rsa_key], rsa_key.kid)
    return JwtManager(ring, issuer=ISSUER, audience=AUDIENCE, lifetime=timedelta(minutes=5))


@pytest.fixture(scope="module")
def passwords(used_secrets) -> dict[Role, str]:
    chosen = {role: secrets.token_urlsafe(18) for role in Role}
    used_secrets.extend(chosen.values())
    return chosen


@pytest.fixture
def strategies() -> MemoryStrategies:
    return MemoryStrategies()


@pytest.fixture
def dependency_state() -> dict[str, bool]:
    """Whether the one dependency behind the readiness check is up; tests flip it."""
    return {"up": True}


@pytest.fixture
def readiness(dependency_state) -> CachedReadiness:
    async def probe() -> str:
        if not dependency_state["up"]:
            raise CheckFailed("cannot connect to 10.0.0.5:5432")
        return "reachable"

    return CachedReadiness(HealthRegistry([HealthCheck("postgresql", probe, "start it")]), 0.0)


@pytest.fixture
async def client(
    log_keeper, jwt_manager, passwords, strategies, readiness
) -> AsyncIterator[httpx.AsyncClient]:
    users = MemoryUsers({role.value: (password, role) for role, password in passwords.items()})
    app = create_app(
        ApiDependencies(
            jwt_manager=jwt_manager,
            users=users,
            login_throttle=UnlimitedLogins(),
            strategies=strategies,
            read_model=MemoryReadModel(),
            readiness=readiness,
            instruments=MemoryInstruments(),
            dead_letter_replay=MemoryReplay(),
            broker_sessions=KnownBrokerSessions(Namespace.PAPER, lambda: SecretStr("k-token")),
        )
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http


@pytest.fixture
def bearer(jwt_manager, used_secrets):
    """Return an Authorization header for a fresh token of the given role."""

    def header(role: Role) -> dict[str, str]:
        token = jwt_manager.issue(role.value, role).token
        used_secrets.append(token)
        return {"Authorization": f"Bearer {token}"}

    return header
