"""Tokens answer to the user store at every request; logins are throttled per user and address.

Real PostgreSQL (users) and Redis (attempt counts) behind the API process's own wiring.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.auth.roles import Role
from alpha_panda.auth.users import UserStore
from tests.integration.api.stack import (
    PASSWORDS,
    api_settings,
    auth_settings,
    login,
    opened_api,
    seed_strategies,
    seed_users,
)

pytestmark = pytest.mark.integration

Clients = Callable[[str], httpx.AsyncClient]
"""Return a client of the API that connects from the given address."""


@pytest.fixture
async def settings(unique, kafka_bootstrap, postgres_dsn, redis_url):
    return api_settings(unique, kafka_bootstrap, postgres_dsn, redis_url)


@pytest.fixture
async def users(settings) -> AsyncIterator[UserStore]:
    pool = await connect(settings.postgres_dsn.get_secret_value())
    await seed_users(pool)
    await seed_strategies(settings, pool)
    yield UserStore(UserRepository(pool))
    await pool.close()


@pytest.fixture
def limits() -> dict[str, int]:
    """The throttle's settings; a test narrows them before `clients` opens the API."""
    return {
        "login_attempts_per_user": 3,
        "login_attempts_per_address": 1000,
        "login_window_seconds": 60,
    }


@pytest.fixture
async def clients(settings, users, limits) -> AsyncIterator[Clients]:
    async with opened_api(settings, auth_settings(**limits)) as wired:
        opened: list[httpx.AsyncClient] = []

        def client_from(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=wired.app, client=(address, 40000))
            opened.append(httpx.AsyncClient(transport=transport, base_url="http://api"))
            return opened[-1]

        yield client_from
        for client in opened:
            await client.aclose()


@pytest.fixture
def api(clients) -> httpx.AsyncClient:
    return clients("192.0.2.10")


async def _log_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )


async def test_a_deleted_users_token_is_refused_at_its_next_request(api, users):
    headers = await login(api, Role.TRADER)
    before = await api.get("/api/v1/strategies", headers=headers)

    await users.remove("trader")
    after = await api.get("/api/v1/strategies", headers=headers)

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json() == {"detail": "the token's user is disabled or no longer exists"}
    assert after.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_disabled_user_is_refused_at_once_and_admitted_again_once_enabled(api, users):
    headers = await login(api, Role.VIEWER)

    await users.set_disabled("viewer", True)
    while_disabled = await api.get("/api/v1/paper/orders", headers=headers)
    login_while_disabled = await _log_in(api, "viewer", PASSWORDS[Role.VIEWER])
    await users.set_disabled("viewer", False)
    after_enabling = await api.get("/api/v1/paper/orders", headers=headers)

    assert while_disabled.status_code == 401
    assert login_while_disabled.status_code == 401
    assert login_while_disabled.json() == {"detail": "unknown user or wrong password"}
    assert after_enabling.status_code == 200


async def test_a_demoted_users_token_loses_the_role_at_once(api, users):
    headers = await login(api, Role.TRADER)

    await users.set_role("trader", Role.VIEWER)
    pause = await api.post("/api/v1/strategies/momentum-1/pause", headers=headers)
    listing = await api.get("/api/v1/strategies", headers=headers)

    assert pause.status_code == 403
    assert pause.json() == {"detail": "this action needs the trader role"}
    assert listing.status_code == 200 and not listing.json()[0]["paused"]


async def test_a_user_is_throttled_after_its_failed_attempts_even_with_the_right_password(
    clients,
):
    api = clients("192.0.2.10")
    wrong = [await _log_in(api, "admin", "not-the-password") for _ in range(3)]

    throttled = await _log_in(api, "admin", PASSWORDS[Role.ADMIN])
    from_elsewhere = await _log_in(clients("198.51.100.7"), "admin", PASSWORDS[Role.ADMIN])
    other_user = await _log_in(api, "viewer", PASSWORDS[Role.VIEWER])

    assert [response.status_code for response in wrong] == [401, 401, 401]
    assert throttled.status_code == 429
    wait = int(throttled.headers["retry-after"])
    assert 55 <= wait <= 60
    assert throttled.json() == {"detail": f"too many login attempts; try again in {wait} s"}
    assert from_elsewhere.status_code == 429, "the count is the user's, whatever the address"
    assert other_user.status_code == 200


async def test_a_successful_login_resets_the_users_count(api):
    results = [await _log_in(api, "trader", "wrong-password-1") for _ in range(2)]
    results.append(await _log_in(api, "trader", PASSWORDS[Role.TRADER]))
    results += [await _log_in(api, "trader", "wrong-password-2") for _ in range(3)]
    results.append(await _log_in(api, "trader", "wrong-password-3"))

    assert [response.status_code for response in results] == [401, 401, 200, 401, 401, 401, 429]


async def test_parallel_guesses_cannot_pass_the_limit_together(api):
    answers = await asyncio.gather(
        *(_log_in(api, "admin", secrets.token_urlsafe(12)) for _ in range(12))
    )

    codes = sorted(response.status_code for response in answers)
    assert codes == [401] * 3 + [429] * 9


@pytest.mark.parametrize(
    "limits",
    [{"login_attempts_per_user": 100, "login_attempts_per_address": 4, "login_window_seconds": 60}],
)
async def test_an_address_is_throttled_across_usernames(clients):
    guesser = clients("203.0.113.5")
    spray = [await _log_in(guesser, name, "password-spray-1") for name in ("a", "b", "c", "d")]
    fifth = await _log_in(guesser, "viewer", PASSWORDS[Role.VIEWER])
    neighbour = await _log_in(clients("203.0.113.6"), "viewer", PASSWORDS[Role.VIEWER])

    assert [response.status_code for response in spray] == [401] * 4
    assert fifth.status_code == 429 and 1 <= int(fifth.headers["retry-after"]) <= 60
    assert neighbour.status_code == 200


@pytest.mark.parametrize(
    "limits",
    [{"login_attempts_per_user": 100, "login_attempts_per_address": 1, "login_window_seconds": 8}],
)
async def test_a_throttled_address_is_admitted_again_when_its_window_ends(clients):
    guesser = clients("203.0.113.9")
    # The window opens when the attempt is counted, before the password check; one check
    # fits in the window even on a loaded machine.
    failed = await _log_in(guesser, "admin", "password-spray-2")
    throttled = await _log_in(guesser, "viewer", PASSWORDS[Role.VIEWER])
    await asyncio.sleep(int(throttled.headers.get("retry-after", "0")) + 0.2)
    after_window = await _log_in(guesser, "viewer", PASSWORDS[Role.VIEWER])

    assert (failed.status_code, throttled.status_code) == (401, 429)
    assert after_window.status_code == 200


@pytest.mark.parametrize(
    "limits",
    [{"login_attempts_per_user": 100, "login_attempts_per_address": 3, "login_window_seconds": 60}],
)
async def test_an_addresss_successful_logins_do_not_use_up_its_allowance(clients):
    office = clients("192.0.2.44")
    logins = [await _log_in(office, role.value, PASSWORDS[role]) for role in (*Role, *Role)]
    failures = [await _log_in(office, "admin", "wrong-password") for _ in range(4)]

    assert [response.status_code for response in logins] == [200] * 6
    assert [response.status_code for response in failures] == [401, 401, 401, 429]
