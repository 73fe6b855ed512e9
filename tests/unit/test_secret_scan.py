import logging

from pydantic import SecretStr

from tests.secret_scan import RECORDS, SECRETS, find_leaks


def test_every_secret_str_is_registered_and_a_logged_one_is_found():
    secret = SecretStr("tok-9f8e7d6c5b4a")
    assert secret.get_secret_value() in SECRETS
    logging.getLogger("alpha_panda.example").warning("session ok for tok-9f8e7d6c5b4a")
    leaks = find_leaks(RECORDS[-1:], {secret.get_secret_value()})
    assert leaks == [("tok…", "alpha_panda.example WARNING session ok for tok-9f8e7d6c5b4a")]
    RECORDS.pop()  # this leak was planted on purpose; the session-end scan must not see it


def test_records_without_secrets_are_not_reported():
    assert find_leaks(["order placed for INFY"], {"tok-9f8e7d6c5b4a"}) == []
