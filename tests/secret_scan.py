"""Fail the test run when any secret created during it appears in a log record.

Every `SecretStr` built in the test process registers its value; every log record of the run
is kept; at the end of the session each record is searched for each secret.
"""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

MINIMUM_LENGTH = 8  # shorter values (test placeholders) would match ordinary words
SECRETS: set[str] = set()
RECORDS: list[str] = []


class RecordEverything(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        RECORDS.append(self.format(record))


def find_leaks(records: list[str], secrets: set[str]) -> list[tuple[str, str]]:
    """Return (masked secret, record) for each record that contains a secret."""
    return [
        (f"{secret[:3]}…", record) for record in records for secret in secrets if secret in record
    ]


def pytest_configure(config: pytest.Config) -> None:
    original = SecretStr.__init__

    def registering(self: SecretStr, secret_value: str) -> None:
        original(self, secret_value)
        if isinstance(secret_value, str) and len(secret_value) >= MINIMUM_LENGTH:
            SECRETS.add(secret_value)

    SecretStr.__init__ = registering  # type: ignore[method-assign]
    handler = RecordEverything(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaks = find_leaks(RECORDS, SECRETS)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"secret scan: {len(RECORDS)} log records searched for {len(SECRETS)} secrets, "
            f"{len(leaks)} leak(s)"
        )
        for masked, record in leaks[:20]:
            reporter.write_line(f"  secret {masked} logged in: {record[:300]}", red=True)
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
