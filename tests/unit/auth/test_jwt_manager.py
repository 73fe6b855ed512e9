"""Access tokens: issued and verified with pinned algorithms; every known forgery refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alpha_panda.auth.jwt_manager import InvalidTokenError, JwtManager
from alpha_panda.auth.key_generation import generate_hmac_key, generate_rsa_key
from alpha_panda.auth.keys import KeyRing, SigningKeyConfig
from alpha_panda.auth.roles import Role
from tests.unit.auth.forgery import claims, hmac_signed, unsigned, with_role

ISSUER = "alpha-panda"
AUDIENCE = "alpha-panda-api"


def _manager(
    configs: list[SigningKeyConfig],
    active: str,
    *,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    clock_offset: timedelta = timedelta(0),
) -> JwtManager:
    return JwtManager(
        KeyRing.from_configs(configs, active),
        issuer=issuer,
        audience=audience,
        lifetime=timedelta(minutes=15),
        clock=lambda: datetime.now(UTC) + clock_offset,
    )


@pytest.fixture(scope="module")
def rsa_key() -> SigningKeyConfig:
    return generate_rsa_key("rsa-1")


@pytest.fixture(scope="module")
def hmac_key() -> SigningKeyConfig:
    return generate_hmac_key("hs-1")


@pytest.mark.parametrize("key_name", ["rsa_key", "hmac_key"])
def test_issued_token_verifies_with_subject_role_and_kid(key_name, request):
    key = request.getfixturevalue(key_name)
    manager = _manager([key], key.kid)
    claims = manager.verify(manager.issue("asha", Role.TRADER).token)
    assert (claims.subject, claims.role, claims.key_id) == ("asha", Role.TRADER, key.kid)
    assert claims.expires_at - claims.issued_at == timedelta(minutes=15)


def test_token_signed_by_retired_key_still_verifies_after_rotation(rsa_key, hmac_key):
    before = _manager([rsa_key], rsa_key.kid)
    after = _manager([rsa_key, hmac_key], hmac_key.kid)
    old_token = before.issue("asha", Role.VIEWER).token
    assert after.verify(old_token).key_id == rsa_key.kid
    assert after.verify(after.issue("asha", Role.VIEWER).token).key_id == hmac_key.kid


def test_alg_none_token_is_refused(rsa_key):
    manager = _manager([rsa_key], rsa_key.kid)
    token = unsigned({"alg": "none", "typ": "JWT", "kid": rsa_key.kid}, claims(ISSUER, AUDIENCE))
    with pytest.raises(InvalidTokenError, match="algorithm"):
        manager.verify(token)


def test_hmac_token_keyed_with_rsa_public_key_is_refused(rsa_key):
    manager = _manager([rsa_key], rsa_key.kid)
    header = {"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}
    token = hmac_signed(header, claims(ISSUER, AUDIENCE), rsa_key.public_key.encode())
    with pytest.raises(InvalidTokenError, match="algorithm"):
        manager.verify(token)


def test_expired_token_is_refused(hmac_key):
    past = _manager([hmac_key], hmac_key.kid, clock_offset=-timedelta(hours=2))
    with pytest.raises(InvalidTokenError, match="expired"):
        _manager([hmac_key], hmac_key.kid).verify(past.issue("asha", Role.ADMIN).token)


def test_token_for_another_audience_is_refused(hmac_key):
    other = _manager([hmac_key], hmac_key.kid, audience="someone-else")
    with pytest.raises(InvalidTokenError, match="audience"):
        _manager([hmac_key], hmac_key.kid).verify(other.issue("asha", Role.ADMIN).token)


def test_token_from_another_issuer_is_refused(hmac_key):
    other = _manager([hmac_key], hmac_key.kid, issuer="someone-else")
    with pytest.raises(InvalidTokenError, match="issuer"):
        _manager([hmac_key], hmac_key.kid).verify(other.issue("asha", Role.ADMIN).token)


@pytest.mark.parametrize("key_name", ["rsa_key", "hmac_key"])
def test_tampered_payload_is_refused(key_name, request):
    key = request.getfixturevalue(key_name)
    manager = _manager([key], key.kid)
    token = with_role(manager.issue("asha", Role.VIEWER).token, "admin")
    with pytest.raises(InvalidTokenError, match="signature"):
        manager.verify(token)


def test_token_with_unknown_kid_is_refused(hmac_key):
    stranger = generate_hmac_key("stranger")
    token = _manager([stranger], stranger.kid).issue("asha", Role.ADMIN).token
    with pytest.raises(InvalidTokenError, match="no known signing key"):
        _manager([hmac_key], hmac_key.kid).verify(token)


def test_token_signed_by_another_secret_under_a_known_kid_is_refused(hmac_key):
    impostor = generate_hmac_key(hmac_key.kid)
    token = _manager([impostor], impostor.kid).issue("asha", Role.ADMIN).token
    with pytest.raises(InvalidTokenError, match="signature"):
        _manager([hmac_key], hmac_key.kid).verify(token)


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", "a.b.c", "....", unsigned([1, 2], {}), unsigned({"kid": ["x"]}, {})],
)
def test_malformed_token_is_refused(hmac_key, token):
    with pytest.raises(InvalidTokenError):
        _manager([hmac_key], hmac_key.kid).verify(token)


def test_token_with_unknown_role_is_refused(hmac_key):
    header = {"alg": "HS512", "typ": "JWT", "kid": hmac_key.kid}
    payload = claims(ISSUER, AUDIENCE, role="superuser")
    token = hmac_signed(header, payload, hmac_key.secret.get_secret_value().encode())
    with pytest.raises(InvalidTokenError, match="role"):
        _manager([hmac_key], hmac_key.kid).verify(token)


def test_keys_never_print_their_material(rsa_key, hmac_key):
    ring = KeyRing.from_configs([rsa_key, hmac_key], hmac_key.kid)
    shown = repr(ring) + repr(rsa_key) + repr(hmac_key)
    assert hmac_key.secret.get_secret_value() not in shown
    assert "PRIVATE KEY" not in shown
