"""Settings of API authentication and broker-session storage (env prefix ALPHA_PANDA_AUTH_)."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, TypeAdapter, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alpha_panda.auth.keys import KeyConfigurationError, KeyRing, SigningKeyConfig

ENV_PREFIX = "ALPHA_PANDA_AUTH_"
_KEY_LIST = TypeAdapter(list[SigningKeyConfig])


class AuthSettings(BaseSettings):
    """Signing keys, token lifetimes and session encryption; no default secret ships.

    Signing keys come as a JSON list of `SigningKeyConfig` either inline
    (ALPHA_PANDA_AUTH_JWT_KEYS) or from a mounted Secret file (ALPHA_PANDA_AUTH_JWT_KEYS_FILE).
    Construction fails, naming the variable to fix, when keys are missing or weak.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    jwt_keys: SecretStr | None = None
    jwt_keys_file: Path | None = None
    jwt_active_kid: str | None = None
    jwt_issuer: str = "alpha-panda"
    jwt_audience: str = "alpha-panda-api"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    login_attempts_per_user: int = Field(default=5, ge=1, le=1_000)
    """Logins one username may try within a window before it answers 429 (success resets)."""
    login_attempts_per_address: int = Field(default=30, ge=1, le=100_000)
    """Logins one client address may try within a window, for any usernames."""
    login_window_seconds: int = Field(default=900, ge=1, le=86_400)
    """How long a login attempt counts; a throttled client waits for its window to end."""
    session_encryption_key: SecretStr | None = None
    kite_api_secret: SecretStr | None = None
    kite_user_id: str | None = None

    @model_validator(mode="after")
    def _refuse_missing_or_weak_keys(self) -> Self:
        self.key_ring()
        if self.session_encryption_key is not None:
            try:
                Fernet(self.session_encryption_key.get_secret_value())
            except ValueError as error:
                raise ValueError(
                    f"{ENV_PREFIX}SESSION_ENCRYPTION_KEY is not a Fernet key (32 url-safe"
                    " base64-encoded bytes, e.g. from `Fernet.generate_key()`)"
                ) from error
        return self

    def key_ring(self) -> KeyRing:
        """Return the configured signing keys; raise ValueError naming the variable to fix."""
        source, raw = self._raw_keys()
        try:
            configs = _KEY_LIST.validate_json(raw)
        except ValidationError as error:
            reasons = "; ".join(
                f"{'.'.join(map(str, item['loc']))}: {item['msg']}"
                for item in error.errors(include_input=False)
            )
            raise ValueError(f"{source} is not a JSON list of signing keys ({reasons})") from None
        try:
            return KeyRing.from_configs(configs, self.jwt_active_kid)
        except KeyConfigurationError as error:
            variable = f"{ENV_PREFIX}JWT_ACTIVE_KID" if "active" in str(error) else source
            raise ValueError(f"{variable}: {error}") from None

    def _raw_keys(self) -> tuple[str, str]:
        if self.jwt_keys is not None and self.jwt_keys_file is not None:
            raise ValueError(
                f"set either {ENV_PREFIX}JWT_KEYS or {ENV_PREFIX}JWT_KEYS_FILE, not both"
            )
        if self.jwt_keys is not None:
            return f"{ENV_PREFIX}JWT_KEYS", self.jwt_keys.get_secret_value()
        if self.jwt_keys_file is not None:
            source = f"{ENV_PREFIX}JWT_KEYS_FILE"
            try:
                return source, self.jwt_keys_file.read_text()
            except OSError as error:
                raise ValueError(
                    f"{source}: cannot read {self.jwt_keys_file} ({error.strerror})"
                ) from None
        raise ValueError(
            f"no JWT signing key: set {ENV_PREFIX}JWT_KEYS or {ENV_PREFIX}JWT_KEYS_FILE"
            f" and {ENV_PREFIX}JWT_ACTIVE_KID"
        )
