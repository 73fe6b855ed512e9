"""API users in a real PostgreSQL: argon2id hashes, roles, disabling, and the `users` command."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys

import asyncpg
import pytest

from alpha_panda.adapters.postgres.migrations import connect
from alpha_panda.adapters.postgres.users import UserRepository
from alpha_panda.auth.roles import Role
from alpha_panda.auth.user_commands import configure_users_parser, run_users_command
from alpha_panda.auth.users import UserError, UserStore
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(postgres_dsn):
    pool = await connect(postgres_dsn)
    yield pool
    await pool.close()


@pytest.fixture
def store(pool) -> UserStore:
    return UserStore(UserRepository(pool))


async def test_added_user_authenticates_only_with_its_password(store, pool):
    password = secrets.token_urlsafe(16)
    user = await store.add("asha", Role.TRADER, password)
    assert (user.username, user.role) == ("asha", Role.TRADER)
    assert await store.authenticate("asha", password) is Role.TRADER
    assert await store.authenticate("asha", password + "x") is None
    assert await store.authenticate("nobody", password) is None
    stored = await pool.fetchval("SELECT password_hash FROM api_users WHERE username = 'asha'")
    assert stored.startswith("$argon2id$")
    assert password not in stored


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("Asha", "long-enough-password", "username"),
        ("asha", "short", "at least 12"),
    ],
)
async def test_invalid_user_is_refused(store, username, password, reason):
    with pytest.raises(UserError, match=reason):
        await store.add(username, Role.VIEWER, password)


async def test_duplicate_user_is_refused(store):
    await store.add("asha", Role.VIEWER, secrets.token_urlsafe(16))
    with pytest.raises(UserError, match="already exists"):
        await store.add("asha", Role.ADMIN, secrets.token_urlsafe(16))


async def test_role_change_and_removal_take_effect(store):
    password = secrets.token_urlsafe(16)
    await store.add("ravi", Role.VIEWER, password)
    await store.set_role("ravi", Role.ADMIN)
    assert await store.authenticate("ravi", password) is Role.ADMIN
    await store.remove("ravi")
    assert await store.authenticate("ravi", password) is None
    with pytest.raises(UserError, match="no user"):
        await store.remove("ravi")


def _parse(*words: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="alpha-panda users")
    configure_users_parser(parser)
    return parser.parse_args(words)


def _no_stdin() -> str:
    raise AssertionError("the command must not read standard input here")


async def test_users_command_generates_a_password_shown_once_that_logs_in(store):
    output = await run_users_command(_parse("add", "meera", "--role", "admin"), store, _no_stdin)
    password = output.rsplit(": ", 1)[1]
    assert output.startswith("created meera (admin); password (shown once): ")
    assert await store.authenticate("meera", password) is Role.ADMIN


async def test_users_command_reads_a_chosen_password_from_stdin_and_lists_users(store):
    chosen = secrets.token_urlsafe(16)
    arguments = _parse("add", "kiran", "--role", "viewer", "--password-stdin")
    output = await run_users_command(arguments, store, lambda: chosen + "\n")
    assert output == "created kiran (viewer)"
    assert await store.authenticate("kiran", chosen) is Role.VIEWER
    await run_users_command(_parse("set-role", "kiran", "trader"), store, _no_stdin)
    await run_users_command(_parse("disable", "kiran"), store, _no_stdin)
    listing = await run_users_command(_parse("list"), store, _no_stdin)
    assert listing.split("\t")[:3] == ["kiran", "trader", "disabled"]
    assert await run_users_command(_parse("remove", "kiran"), store, _no_stdin) == "removed kiran"


async def test_a_disabled_user_cannot_log_in_until_enabled_again(store):
    password = secrets.token_urlsafe(16)
    await store.add("devi", Role.TRADER, password)

    disabled = await store.set_disabled("devi", True)
    refused = await store.authenticate("devi", password)
    role_while_disabled = await store.active_role("devi")
    await store.set_disabled("devi", False)

    assert disabled.disabled and refused is None and role_while_disabled is None
    assert await store.authenticate("devi", password) is Role.TRADER
    assert await store.active_role("devi") is Role.TRADER
    with pytest.raises(UserError, match="no user"):
        await store.set_disabled("nobody", True)


async def test_active_role_follows_role_changes_and_removal(store):
    await store.add("ravi", Role.ADMIN, secrets.token_urlsafe(16))
    await store.set_role("ravi", Role.VIEWER)
    assert await store.active_role("ravi") is Role.VIEWER
    await store.remove("ravi")
    assert await store.active_role("ravi") is None


def test_the_command_reports_a_user_error_in_one_line(infra, postgres_dsn):
    result = subprocess.run(
        [sys.executable, "-m", "alpha_panda.app.cli", "users", "disable", "nobody"],
        env={**os.environ, **infra, "ALPHA_PANDA_POSTGRES_DSN": postgres_dsn},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "alpha-panda users: no user named 'nobody'\n"


async def test_database_refuses_a_role_outside_the_known_ones(pool):
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute(
            "INSERT INTO api_users (username, role, password_hash) VALUES ('x', 'root', 'h')"
        )
