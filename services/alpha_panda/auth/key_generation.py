"""Create fresh signing keys and encryption keys for operators to store in a Secret."""

from __future__ import annotations

import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from alpha_panda.auth.keys import SigningKeyConfig


def generate_hmac_key(kid: str, algorithm: str = "HS512") -> SigningKeyConfig:
    """Return a new HMAC signing key with 64 random bytes."""
    return SigningKeyConfig.model_validate(
        {"kid": kid, "algorithm": algorithm, "secret": secrets.token_urlsafe(64)}
    )


def generate_rsa_key(kid: str, algorithm: str = "RS256", bits: int = 2048) -> SigningKeyConfig:
    """Return a new RSA signing key pair in PEM form."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return SigningKeyConfig.model_validate(
        {"kid": kid, "algorithm": algorithm, "private_key": private_pem, "public_key": public_pem}
    )


def generate_session_encryption_key() -> SecretStr:
    """Return a new Fernet key for encrypting stored broker sessions."""
    return SecretStr(Fernet.generate_key().decode())
