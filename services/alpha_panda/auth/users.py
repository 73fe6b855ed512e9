"""API users in PostgreSQL: argon2id password hashes and roles (table `api_users`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from alpha_panda.auth.roles import Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MINIMUM_PASSWORD_LENGTH = 12


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class ApiUser:
    """An API user as listed: never carries the password hash."""

    username: str
    role: Role
    created_at: datetime


def generate_password() -> str:
    """Return a random password of about 128 bits for a new user."""
    return secrets.token_urlsafe(16)


class UserStore:
    """Create, list, change and authenticate API users."""

    def __init__(self, pool: asyncpg.Pool, hasher: PasswordHasher | None = None) -> None:
        self._pool = pool
        self._hasher = hasher or PasswordHasher()
        # Verified when the user is unknown, so a wrong username costs as long as a wrong password.
        self._decoy_hash = self._hasher.hash(generate_password())

    async def add(self, username: str, role: Role, password: str) -> ApiUser:
        """Create a user; refuse an invalid name, a short password or an existing user."""
        if not USERNAME_PATTERN.fullmatch(username):
            raise UserError(
                f"username {username!r} must be 1-64 characters of a-z 0-9 . _ -,"
                " starting with a letter or digit"
            )
        if len(password) < MINIMUM_PASSWORD_LENGTH:
            raise UserError(f"password must have at least {MINIMUM_PASSWORD_LENGTH} characters")
        try:
            row = await self._pool.fetchrow(
                "INSERT INTO api_users (username, role, password_hash) VALUES ($1, $2, $3)"
                " RETURNING username, role, created_at",
                username,
                role.value,
                self._hasher.hash(password),
            )
        except asyncpg.UniqueViolationError:
            raise UserError(f"user {username!r} already exists") from None
        return _user(row)

    async def set_role(self, username: str, role: Role) -> ApiUser:
        """Change a user's role."""
        row = await self._pool.fetchrow(
            "UPDATE api_users SET role = $2, updated_at = now() WHERE username = $1"
            " RETURNING username, role, created_at",
            username,
            role.value,
        )
        if row is None:
            raise UserError(f"no user named {username!r}")
        return _user(row)

    async def remove(self, username: str) -> None:
        """Delete a user; its tokens stop working when they expire."""
        status = await self._pool.execute("DELETE FROM api_users WHERE username = $1", username)
        if status == "DELETE 0":
            raise UserError(f"no user named {username!r}")

    async def list(self) -> list[ApiUser]:
        """Return every user, by name."""
        rows = await self._pool.fetch(
            "SELECT username, role, created_at FROM api_users ORDER BY username"
        )
        return [_user(row) for row in rows]

    async def authenticate(self, username: str, password: str) -> Role | None:
        """Return the user's role when the password matches, else None."""
        row = await self._pool.fetchrow(
            "SELECT role, password_hash FROM api_users WHERE username = $1", username
        )
        stored = row["password_hash"] if row is not None else self._decoy_hash
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self._hasher.check_needs_rehash(stored):
            await self._pool.execute(
                "UPDATE api_users SET password_hash = $2, updated_at = now() WHERE username = $1",
                username,
                self._hasher.hash(password),
            )
        return Role(row["role"])


def _user(row: asyncpg.Record) -> ApiUser:
    return ApiUser(username=row["username"], role=Role(row["role"]), created_at=row["created_at"])
