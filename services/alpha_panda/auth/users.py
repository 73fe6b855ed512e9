"""API users: argon2id password hashes, roles, and whether a user may act at all."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from alpha_panda.adapters.postgres.users import UserRepository, UserRow
from alpha_panda.auth.roles import Role

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MINIMUM_PASSWORD_LENGTH = 12


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def generate_password() -> str:
    """Return a random password of about 128 bits for a new user."""
    return secrets.token_urlsafe(16)


class UserStore:
    """Create, list, change, disable and authenticate API users."""

    def __init__(self, repository: UserRepository, hasher: PasswordHasher | None = None) -> None:
        self._repository = repository
        self._hasher = hasher or PasswordHasher()
        # Verified when the user is unknown, so a wrong username costs as long as a wrong password.
        self._decoy_hash = self._hasher.hash(generate_password())

    async def add(self, username: str, role: Role, password: str) -> UserRow:
        """Create a user; refuse an invalid name, a short password or an existing user."""
        if not USERNAME_PATTERN.fullmatch(username):
            raise UserError(
                f"username {username!r} must be 1-64 characters of a-z 0-9 . _ -,"
                " starting with a letter or digit"
            )
        if len(password) < MINIMUM_PASSWORD_LENGTH:
            raise UserError(f"password must have at least {MINIMUM_PASSWORD_LENGTH} characters")
        user = await self._repository.insert(username, role, self._hasher.hash(password))
        if user is None:
            raise UserError(f"user {username!r} already exists")
        return user

    async def set_role(self, username: str, role: Role) -> UserRow:
        """Change a user's role; its tokens act with the new role from their next request."""
        return _found(username, await self._repository.set_role(username, role))

    async def set_disabled(self, username: str, disabled: bool) -> UserRow:
        """Disable a user (login and every token refused at once) or enable it again."""
        return _found(username, await self._repository.set_disabled(username, disabled))

    async def remove(self, username: str) -> None:
        """Delete a user; its tokens are refused from their next request."""
        if not await self._repository.delete(username):
            raise UserError(f"no user named {username!r}")

    async def list_users(self) -> list[UserRow]:
        """Return every user, by name."""
        return await self._repository.list_all()

    async def authenticate(self, username: str, password: str) -> Role | None:
        """Return the role of an enabled user whose password matches, else None."""
        stored = await self._repository.credentials(username)
        try:
            self._hasher.verify(stored.password_hash if stored else self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None or stored.disabled:
            return None
        if self._hasher.check_needs_rehash(stored.password_hash):
            await self._repository.set_password_hash(username, self._hasher.hash(password))
        return stored.role

    async def active_role(self, username: str) -> Role | None:
        """Return the current role of an enabled user; None when disabled or deleted."""
        return await self._repository.active_role(username)


def _found(username: str, user: UserRow | None) -> UserRow:
    if user is None:
        raise UserError(f"no user named {username!r}")
    return user
