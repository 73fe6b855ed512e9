"""Auth settings refuse to start without strong signing keys, naming the variable to fix."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from alpha_panda.auth.jwt_manager import JwtManager
from alpha_panda.auth.key_generation import (
    generate_hmac_key,
    generate_rsa_key,
    generate_session_encryption_key,
)
from alpha_panda.auth.roles import Role
from alpha_panda.auth.settings import AuthSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in (
        "JWT_KEYS",
        "JWT_KEYS_FILE",
        "JWT_ACTIVE_KID",
        "SESSION_ENCRYPTION_KEY",
        "ACCESS_TOKEN_TTL_SECONDS",
    ):
        monkeypatch.delenv(f"ALPHA_PANDA_AUTH_{name}", raising=False)


def _keys_json(*entries: dict[str, str]) -> str:
    return json.dumps(list(entries))


def _hmac_entry(kid: str = "k1", secret: str | None = None) -> dict[str, str]:
    return {"kid": kid, "algorithm": "HS256", "secret": secret or secrets.token_urlsafe(48)}


def _refusal(monkeypatch, **environment: str) -> str:
    for name, value in environment.items():
        monkeypatch.setenv(f"ALPHA_PANDA_AUTH_{name}", value)
    with pytest.raises(ValidationError) as raised:
        AuthSettings()
    return str(raised.value)


def test_missing_signing_key_names_the_variables(monkeypatch):
    message = _refusal(monkeypatch)
    assert "ALPHA_PANDA_AUTH_JWT_KEYS" in message
    assert "ALPHA_PANDA_AUTH_JWT_KEYS_FILE" in message


@pytest.mark.parametrize(
    "secret",
    ["short-secret", "changeme" * 8, "a" * 64, "0123456789" * 4],
    ids=["too-short", "placeholder", "one-character", "few-distinct-characters"],
)
def test_weak_hmac_secret_is_refused(monkeypatch, secret):
    message = _refusal(
        monkeypatch, JWT_KEYS=_keys_json(_hmac_entry(secret=secret)), JWT_ACTIVE_KID="k1"
    )
    assert "ALPHA_PANDA_AUTH_JWT_KEYS" in message


def test_short_rsa_key_is_refused(monkeypatch):
    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    entry = {"kid": "r1", "algorithm": "RS256", "private_key": pem}
    message = _refusal(monkeypatch, JWT_KEYS=_keys_json(entry), JWT_ACTIVE_KID="r1")
    assert "1024 bits" in message
    assert "ALPHA_PANDA_AUTH_JWT_KEYS" in message


def test_active_kid_naming_no_key_is_refused(monkeypatch):
    message = _refusal(monkeypatch, JWT_KEYS=_keys_json(_hmac_entry()), JWT_ACTIVE_KID="k9")
    assert "ALPHA_PANDA_AUTH_JWT_ACTIVE_KID" in message


def test_missing_active_kid_is_refused(monkeypatch):
    message = _refusal(monkeypatch, JWT_KEYS=_keys_json(_hmac_entry()))
    assert "ALPHA_PANDA_AUTH_JWT_ACTIVE_KID" in message


def test_public_only_key_cannot_be_active(monkeypatch):
    public = generate_rsa_key("r1").public_key
    entry = {"kid": "r1", "algorithm": "RS256", "public_key": public}
    message = _refusal(monkeypatch, JWT_KEYS=_keys_json(entry), JWT_ACTIVE_KID="r1")
    assert "no private key" in message


def test_malformed_key_list_is_refused_without_echoing_it(monkeypatch):
    secret = secrets.token_urlsafe(48)
    raw = json.dumps([{"kid": "k1", "algorithm": "none", "secret": secret}])
    message = _refusal(monkeypatch, JWT_KEYS=raw, JWT_ACTIVE_KID="k1")
    assert "ALPHA_PANDA_AUTH_JWT_KEYS" in message
    assert secret not in message


def test_invalid_session_encryption_key_is_refused(monkeypatch):
    message = _refusal(
        monkeypatch,
        JWT_KEYS=_keys_json(_hmac_entry()),
        JWT_ACTIVE_KID="k1",
        SESSION_ENCRYPTION_KEY="not-a-fernet-key",
    )
    assert "ALPHA_PANDA_AUTH_SESSION_ENCRYPTION_KEY" in message


def test_keys_file_from_a_mounted_secret_builds_the_key_ring(monkeypatch, tmp_path):
    old, new = generate_rsa_key("2026-10"), generate_hmac_key("2026-11")
    path = tmp_path / "jwt-keys.json"
    path.write_text(
        _keys_json(
            {"kid": old.kid, "algorithm": old.algorithm, "public_key": old.public_key},
            {"kid": new.kid, "algorithm": new.algorithm, "secret": new.secret.get_secret_value()},
        )
    )
    monkeypatch.setenv("ALPHA_PANDA_AUTH_JWT_KEYS_FILE", str(path))
    monkeypatch.setenv("ALPHA_PANDA_AUTH_JWT_ACTIVE_KID", new.kid)
    monkeypatch.setenv(
        "ALPHA_PANDA_AUTH_SESSION_ENCRYPTION_KEY",
        generate_session_encryption_key().get_secret_value(),
    )
    ring = AuthSettings().key_ring()
    assert ring.active.kid == new.kid
    assert ring.find(old.kid) is not None and ring.find(old.kid).signer is None


def test_unreadable_keys_file_names_the_variable(monkeypatch, tmp_path):
    message = _refusal(
        monkeypatch, JWT_KEYS_FILE=str(tmp_path / "missing.json"), JWT_ACTIVE_KID="k1"
    )
    assert "ALPHA_PANDA_AUTH_JWT_KEYS_FILE" in message


def test_jwt_manager_built_from_settings_issues_tokens_it_verifies(monkeypatch):
    key = generate_hmac_key("2026-11")
    entry = {"kid": key.kid, "algorithm": key.algorithm, "secret": key.secret.get_secret_value()}
    monkeypatch.setenv("ALPHA_PANDA_AUTH_JWT_KEYS", _keys_json(entry))
    monkeypatch.setenv("ALPHA_PANDA_AUTH_JWT_ACTIVE_KID", key.kid)
    monkeypatch.setenv("ALPHA_PANDA_AUTH_ACCESS_TOKEN_TTL_SECONDS", "600")
    manager = JwtManager.from_settings(AuthSettings())
    claims = manager.verify(manager.issue("asha", Role.ADMIN).token)
    assert (claims.role, claims.key_id) == (Role.ADMIN, "2026-11")
    assert claims.expires_at - claims.issued_at == timedelta(seconds=600)
