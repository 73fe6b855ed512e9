"""Check a Kite access token with one call, and remember the verdict per token fingerprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kite_errors

from alpha_panda_operator.status import Observation

TIMEOUT_SECONDS = 5
ACCEPTED = "TokenAccepted"
REJECTED = "TokenRejected"
SETTLED_VERDICTS = frozenset({ACCEPTED, REJECTED})
"""Verdicts kept while the token stays the same; an unreachable Kite is asked again."""


def check_token(api_key: str, access_token: str, root: str) -> Observation:
    """Ask Kite for the user's profile with the token: the one call that proves it works."""
    client = KiteConnect(api_key, access_token=access_token, root=root, timeout=TIMEOUT_SECONDS)
    try:
        profile = client.profile()
    except (kite_errors.TokenException, kite_errors.PermissionException) as error:
        return Observation("Valid", False, REJECTED, f"Kite refused the access token: {error}")
    except kite_errors.InputException as error:
        return Observation("Valid", False, REJECTED, f"Kite refused the API key: {error}")
    except (kite_errors.KiteException, requests.RequestException) as error:
        return Observation(
            "Valid", False, "KiteUnreachable", f"cannot check the token at {root}: {error}"
        )
    user = profile.get("user_id", "?") if isinstance(profile, dict) else "?"
    return Observation("Valid", True, ACCEPTED, f"Kite accepted the access token of user {user}")


def settled_verdict(status: Mapping[str, Any], fingerprint: str) -> Observation | None:
    """Return the verdict already recorded for this token, or None when it must be checked."""
    if not fingerprint or status.get("credentialsHash") != fingerprint:
        return None
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Valid" and condition.get("reason") in SETTLED_VERDICTS:
            return Observation(
                "Valid", condition["status"] == "True", condition["reason"], condition["message"]
            )
    return None
