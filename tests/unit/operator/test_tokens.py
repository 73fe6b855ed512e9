"""A token's verdict is kept while the token stays the same; an unreachable Kite is asked again."""

from __future__ import annotations

from alpha_panda_operator.tokens import settled_verdict


def status(reason: str, state: str = "True", fingerprint: str = "abc") -> dict:
    condition = {"type": "Valid", "status": state, "reason": reason, "message": "m"}
    return {"credentialsHash": fingerprint, "conditions": [condition]}


def test_verdict_of_the_same_token_is_reused():
    assert settled_verdict(status("TokenAccepted"), "abc").status is True
    rejected = settled_verdict(status("TokenRejected", "False"), "abc")
    assert (rejected.status, rejected.reason) == (False, "TokenRejected")


def test_new_token_or_unreachable_kite_is_checked_again():
    assert settled_verdict(status("TokenAccepted"), "def") is None
    assert settled_verdict(status("KiteUnreachable", "False"), "abc") is None
    assert settled_verdict({}, "abc") is None
