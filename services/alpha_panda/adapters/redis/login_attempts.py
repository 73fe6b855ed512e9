"""Count login attempts per user and per client address in Redis, for the API's throttle.

Each count lives in a fixed window that starts with its first attempt; Redis expires it with the
window. An attempt is counted before the password is checked, so parallel guesses cannot all slip
past a limit; a successful login takes its own attempt back and clears its user's count.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import redis.asyncio as redis

from alpha_panda.adapters.redis.portfolio_cache import KEY_ROOT

# Takes back one attempt without creating a count that never expires.
_UNCOUNT = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('decr', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class LoginLimits:
    """How many attempts a user and a client address may make within one window."""

    per_user: int
    per_address: int
    window_seconds: int


class RedisLoginThrottle:
    """Keys `alpha-panda:{prefix}login-attempts:{user|address}:{value}`, shared by replicas."""

    def __init__(self, client: redis.Redis, limits: LoginLimits, prefix: str = "") -> None:
        self._client = client
        self._limits = limits
        self._root = f"{KEY_ROOT}:{prefix}login-attempts"
        self._uncount = client.register_script(_UNCOUNT)

    async def attempt(self, username: str, address: str) -> int | None:
        """Count an attempt; return the seconds to wait when it is over a limit, else None."""
        windows = (
            (self._user_key(username), self._limits.per_user),
            (self._address_key(address), self._limits.per_address),
        )
        async with self._client.pipeline(transaction=True) as pipe:
            for key, _ in windows:
                pipe.set(key, 0, ex=self._limits.window_seconds, nx=True)
                pipe.incr(key)
                pipe.pttl(key)
            answers = await pipe.execute()
        waits = [
            ceil(max(remaining_ms, 0) / 1000) or 1
            for (_, limit), count, remaining_ms in zip(
                windows, answers[1::3], answers[2::3], strict=True
            )
            if count > limit
        ]
        return max(waits) if waits else None

    async def succeeded(self, username: str, address: str) -> None:
        """Clear the user's count and take this attempt off the address's count.

        The address keeps its other failures: one account that logs in must not reset the
        count of guesses made from that address against other accounts.
        """
        await self._client.delete(self._user_key(username))
        await self._uncount(keys=[self._address_key(address)])

    def _user_key(self, username: str) -> str:
        return f"{self._root}:user:{username}"

    def _address_key(self, address: str) -> str:
        return f"{self._root}:address:{address}"
