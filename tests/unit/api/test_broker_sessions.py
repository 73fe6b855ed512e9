from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from alpha_panda.api.broker_sessions import KnownBrokerSessions
from alpha_panda.auth.broker_session import SessionSource
from alpha_panda.domain.values import Namespace

AFTERNOON = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 14:30 IST
NEXT_SIX_IST = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)


def sessions(token, namespace=Namespace.ZERODHA):
    return KnownBrokerSessions(namespace, token, clock=lambda: AFTERNOON)


async def test_a_configured_token_expires_at_the_next_six_in_the_morning_ist():
    session = await sessions(lambda: SecretStr("tok")).current(Namespace.ZERODHA)
    assert session is not None
    assert (session.source, session.user_id, session.login_time) == (
        SessionSource.ENVIRONMENT,
        None,
        None,
    )
    assert (session.expires_at, session.expired) == (NEXT_SIX_IST, False)
    assert "tok" not in session.model_dump_json()


async def test_no_session_is_known_for_another_namespace_or_without_a_token():
    assert await sessions(lambda: SecretStr("tok")).current(Namespace.PAPER) is None
    assert await sessions(lambda: SecretStr("")).current(Namespace.ZERODHA) is None


async def test_a_missing_token_file_means_no_known_session(tmp_path):
    missing = tmp_path / "access-token"

    def from_file() -> SecretStr:
        return SecretStr(Path(missing).read_text())

    assert await sessions(from_file).current(Namespace.ZERODHA) is None
