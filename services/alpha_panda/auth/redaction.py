"""A logging filter that replaces known secrets in every record before it is written."""

from __future__ import annotations

import logging

from pydantic import SecretStr

REDACTED = "[REDACTED]"
_SHORTEST_SECRET = 8  # shorter values would redact ordinary words


class SecretScrubber(logging.Filter):
    """Scrub registered secrets from messages, arguments and tracebacks.

    Attach it to every handler (handler filters also see records propagated from child
    loggers); register each secret as soon as it is known.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: SecretStr | str) -> None:
        """Register a secret to scrub from now on."""
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if len(value) >= _SHORTEST_SECRET:
            self._secrets.add(value)

    def attach(self, *handlers: logging.Handler) -> None:
        """Filter these handlers, by default those of the root logger."""
        for handler in handlers or tuple(logging.getLogger().handlers):
            handler.addFilter(self)

    def scrub(self, text: str) -> str:
        """Return `text` with every registered secret replaced."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without secrets; never drop it."""
        if not self._secrets:
            return True
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True
