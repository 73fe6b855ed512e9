"""Roles of API users, ordered from least to most privileged."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an API user may do: viewers read, traders also steer strategies, admins do all."""

    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Return the role's position in the privilege order (viewer lowest)."""
        return _ORDER.index(self)

    def permits(self, required: Role) -> bool:
        """Tell whether this role is at least as privileged as `required`."""
        return self.rank >= required.rank


_ORDER = (Role.VIEWER, Role.TRADER, Role.ADMIN)
