"""JWT signing keys: each pinned to one algorithm, several kept for rotation, one active."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk
from jose.backends.base import Key
from pydantic import BaseModel, ConfigDict, SecretStr

Algorithm = Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"]

_HMAC_MINIMUM_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
_RSA_MINIMUM_BITS = 2048
_MINIMUM_DISTINCT_CHARACTERS = 16
_PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "placeholder", "example", "default")


class KeyConfigurationError(ValueError):
    """A signing key is missing, malformed or too weak to protect API tokens."""


class SigningKeyConfig(BaseModel):
    """One key as configured: HMAC keys carry `secret`; RSA/EC keys carry PEM key material.

    A retired asymmetric key may carry only `public_key`: it still verifies tokens issued
    before the rotation but never signs new ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str
    algorithm: Algorithm
    secret: SecretStr | None = None
    private_key: SecretStr | None = None
    public_key: str | None = None


@dataclass(frozen=True)
class SigningKey:
    """A key ready for use, with its algorithm fixed; never prints its material."""

    kid: str
    algorithm: Algorithm
    verifier: Key = field(repr=False)
    signer: Key | None = field(default=None, repr=False)


@dataclass(frozen=True)
class KeyRing:
    """All keys that verify tokens, by `kid`, and the one that signs new tokens."""

    keys: dict[str, SigningKey]
    active_kid: str

    @property
    def active(self) -> SigningKey:
        """Return the key that signs new tokens."""
        return self.keys[self.active_kid]

    def find(self, kid: str) -> SigningKey | None:
        """Return the key with this `kid`, or None when no such key is configured."""
        return self.keys.get(kid)

    @classmethod
    def from_configs(cls, configs: list[SigningKeyConfig], active_kid: str | None) -> KeyRing:
        """Build a key ring, refusing duplicate, weak, malformed or missing keys."""
        if not configs:
            raise KeyConfigurationError("no signing key is configured")
        keys: dict[str, SigningKey] = {}
        for config in configs:
            if config.kid in keys:
                raise KeyConfigurationError(f"key id {config.kid!r} appears twice")
            keys[config.kid] = _build_key(config)
        if not active_kid:
            raise KeyConfigurationError("no active key id is configured")
        if active_kid not in keys:
            raise KeyConfigurationError(f"the active key id {active_kid!r} names no key")
        if keys[active_kid].signer is None:
            raise KeyConfigurationError(f"the active key {active_kid!r} has no private key")
        return cls(keys=keys, active_kid=active_kid)


def _build_key(config: SigningKeyConfig) -> SigningKey:
    if config.algorithm.startswith("HS"):
        return _build_hmac_key(config)
    return _build_asymmetric_key(config)


def _build_hmac_key(config: SigningKeyConfig) -> SigningKey:
    if config.secret is None or config.private_key is not None or config.public_key is not None:
        raise KeyConfigurationError(
            f"key {config.kid!r} ({config.algorithm}) needs `secret` and no PEM key material"
        )
    secret = config.secret.get_secret_value()
    _refuse_weak_secret(config.kid, config.algorithm, secret)
    key = jwk.construct(secret, config.algorithm)
    return SigningKey(kid=config.kid, algorithm=config.algorithm, verifier=key, signer=key)


def _refuse_weak_secret(kid: str, algorithm: str, secret: str) -> None:
    minimum = _HMAC_MINIMUM_BYTES[algorithm]
    if len(secret.encode()) < minimum:
        raise KeyConfigurationError(
            f"key {kid!r} is too short for {algorithm}: use at least {minimum} random bytes"
            " (for example `openssl rand -base64 48`)"
        )
    lowered = secret.lower()
    if len(set(secret)) < _MINIMUM_DISTINCT_CHARACTERS or any(
        word in lowered for word in _PLACEHOLDER_WORDS
    ):
        raise KeyConfigurationError(f"key {kid!r} looks like a placeholder, not a random secret")


def _build_asymmetric_key(config: SigningKeyConfig) -> SigningKey:
    if config.secret is not None:
        raise KeyConfigurationError(f"key {config.kid!r} ({config.algorithm}) takes no `secret`")
    if config.private_key is None and config.public_key is None:
        raise KeyConfigurationError(
            f"key {config.kid!r} ({config.algorithm}) needs `private_key` or `public_key`"
        )
    signer = None
    public_pem = config.public_key
    if config.private_key is not None:
        private_pem = config.private_key.get_secret_value()
        _refuse_weak_asymmetric(config, private_pem)
        signer = jwk.construct(private_pem, config.algorithm)
        public_pem = public_pem or signer.public_key().to_pem().decode()
    assert public_pem is not None
    _refuse_weak_asymmetric(config, public_pem)
    verifier = jwk.construct(public_pem, config.algorithm)
    return SigningKey(kid=config.kid, algorithm=config.algorithm, verifier=verifier, signer=signer)


def _refuse_weak_asymmetric(config: SigningKeyConfig, pem: str) -> None:
    loaded: object
    try:
        if "PRIVATE KEY" in pem:
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
        else:
            loaded = serialization.load_pem_public_key(pem.encode())
    except ValueError as error:
        raise KeyConfigurationError(f"key {config.kid!r} is not a readable PEM key") from error
    if config.algorithm.startswith("RS"):
        if not isinstance(loaded, rsa.RSAPrivateKey | rsa.RSAPublicKey):
            raise KeyConfigurationError(f"key {config.kid!r} is not an RSA key")
        if loaded.key_size < _RSA_MINIMUM_BITS:
            raise KeyConfigurationError(
                f"key {config.kid!r} has {loaded.key_size} bits: use at least {_RSA_MINIMUM_BITS}"
            )
    elif not isinstance(loaded, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        raise KeyConfigurationError(f"key {config.kid!r} is not an EC key")
