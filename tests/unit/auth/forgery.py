"""Hand-built JWTs for attack tests: any header, any claims, any (or no) signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: object) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def decode_segment(part: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims(issuer: str, audience: str, role: str = "admin") -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    return {
        "iss": issuer,
        "aud": audience,
        "sub": "mallory",
        "role": role,
        "jti": "forged",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }


def unsigned(header: object, payload: object) -> str:
    """Return a token with an empty signature (what `alg: none` looks like)."""
    return f"{segment(header)}.{segment(payload)}."


def hmac_signed(header: dict[str, object], payload: object, secret: bytes) -> str:
    """Return a token signed with HMAC under the hash its header names."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    signing_input = f"{segment(header)}.{segment(payload)}"
    mac = hmac.new(secret, signing_input.encode(), digest[str(header["alg"])])
    return f"{signing_input}.{b64(mac.digest())}"


def with_role(token: str, role: str) -> str:
    """Return the token with its role claim changed and its signature kept."""
    header, payload, signature = token.split(".")
    changed = {**decode_segment(payload), "role": role}
    return f"{header}.{segment(changed)}.{signature}"
