"""The SQL of API users (table `api_users`); hashing and the rules live in `auth.users`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from alpha_panda.auth.roles import Role


@dataclass(frozen=True)
class UserRow:
    """An API user as listed: never carries the password hash."""

    username: str
    role: Role
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class StoredCredentials:
    """What a login is checked against."""

    role: Role
    password_hash: str
    disabled: bool


class UserRepository:
    """Read and write `api_users`; every method is one statement."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def insert(self, username: str, role: Role, password_hash: str) -> UserRow | None:
        """Create a user; return None when the name is taken."""
        try:
            row = await self._pool.fetchrow(
                "INSERT INTO api_users (username, role, password_hash) VALUES ($1, $2, $3)"
                " RETURNING username, role, disabled, created_at",
                username,
                role.value,
                password_hash,
            )
        except asyncpg.UniqueViolationError:
            return None
        return _user(row)

    async def set_role(self, username: str, role: Role) -> UserRow | None:
        """Change a user's role; None when no such user exists."""
        row = await self._pool.fetchrow(
            "UPDATE api_users SET role = $2, updated_at = now() WHERE username = $1"
            " RETURNING username, role, disabled, created_at",
            username,
            role.value,
        )
        return None if row is None else _user(row)

    async def set_disabled(self, username: str, disabled: bool) -> UserRow | None:
        """Disable or enable a user; None when no such user exists."""
        row = await self._pool.fetchrow(
            "UPDATE api_users SET disabled = $2, updated_at = now() WHERE username = $1"
            " RETURNING username, role, disabled, created_at",
            username,
            disabled,
        )
        return None if row is None else _user(row)

    async def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace a user's password hash (after a rehash with stronger parameters)."""
        await self._pool.execute(
            "UPDATE api_users SET password_hash = $2, updated_at = now() WHERE username = $1",
            username,
            password_hash,
        )

    async def delete(self, username: str) -> bool:
        """Delete a user; False when no such user exists."""
        status: str = await self._pool.execute(
            "DELETE FROM api_users WHERE username = $1", username
        )
        return status != "DELETE 0"

    async def list_all(self) -> list[UserRow]:
        """Return every user, by name."""
        rows = await self._pool.fetch(
            "SELECT username, role, disabled, created_at FROM api_users ORDER BY username"
        )
        return [_user(row) for row in rows]

    async def credentials(self, username: str) -> StoredCredentials | None:
        """Return the role, hash and state a login is checked against; None for no such user."""
        row = await self._pool.fetchrow(
            "SELECT role, password_hash, disabled FROM api_users WHERE username = $1", username
        )
        if row is None:
            return None
        return StoredCredentials(Role(row["role"]), row["password_hash"], row["disabled"])

    async def active_role(self, username: str) -> Role | None:
        """Return the role of an enabled user; None when the user is disabled or gone."""
        role = await self._pool.fetchval(
            "SELECT role FROM api_users WHERE username = $1 AND NOT disabled", username
        )
        return None if role is None else Role(role)


def _user(row: asyncpg.Record) -> UserRow:
    return UserRow(
        username=row["username"],
        role=Role(row["role"]),
        disabled=row["disabled"],
        created_at=row["created_at"],
    )
