"""The secret scrubber rewrites log records so no registered secret reaches a handler."""

from __future__ import annotations

import io
import logging
import secrets

from pydantic import SecretStr

from alpha_panda.auth.redaction import REDACTED, SecretScrubber


def _logger_with_scrubber() -> tuple[logging.Logger, io.StringIO, SecretScrubber]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    scrubber = SecretScrubber()
    scrubber.attach(handler)
    logger = logging.getLogger(f"scrub-test-{secrets.token_hex(4)}")
    logger.addHandler(handler)
    logger.propagate = False
    return logger, stream, scrubber


def test_secrets_in_message_arguments_and_tracebacks_are_replaced():
    logger, stream, scrubber = _logger_with_scrubber()
    token, api_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    scrubber.add(SecretStr(token))
    scrubber.add(api_secret)
    logger.warning("calling with %s and token " + token, api_secret)
    try:
        raise RuntimeError(f"refused {token}")
    except RuntimeError:
        logger.exception("request failed")
    written = stream.getvalue()
    assert token not in written
    assert api_secret not in written
    assert written.count(REDACTED) == 3


def test_records_of_child_loggers_are_scrubbed_by_the_handler_filter():
    logger, stream, scrubber = _logger_with_scrubber()
    child = logger.getChild("kiteconnect")
    token = secrets.token_urlsafe(24)
    scrubber.add(token)
    child.error("Authorization: token key:%s", token)
    assert stream.getvalue() == f"Authorization: token key:{REDACTED}\n"


def test_short_values_are_not_registered_so_ordinary_words_survive():
    logger, stream, scrubber = _logger_with_scrubber()
    scrubber.add("abc")
    logger.warning("abc stays")
    assert stream.getvalue() == "abc stays\n"
