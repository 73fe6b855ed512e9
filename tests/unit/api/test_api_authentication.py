"""API authentication: logins, forged tokens answered 401 (never 500), clear 422s, no leaks.

The last test scans every log record this module produced for the secrets it handled.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from alpha_panda.auth.jwt_manager import JwtManager
from alpha_panda.auth.key_generation import generate_hmac_key
from alpha_panda.auth.keys import KeyRing
from alpha_panda.auth.roles import Role
from tests.unit.api.conftest import AUDIENCE, ISSUER
from tests.unit.auth.forgery import claims, hmac_signed, unsigned, with_role

STRATEGIES = "/api/v1/strategies"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", list(Role), ids=str)
async def test_login_returns_a_token_that_carries_the_users_role(client, passwords, role):
    response = await client.post(
        "/api/v1/auth/token", json={"username": role.value, "password": passwords[role]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    pause = await client.post(f"{STRATEGIES}/momentum-1/pause", headers=_auth(body["access_token"]))
    assert pause.status_code == (200 if role.permits(Role.TRADER) else 403)


@pytest.mark.parametrize(
    ("username", "password_of"), [("viewer", Role.ADMIN), ("nobody", Role.VIEWER)]
)
async def test_wrong_password_or_unknown_user_answers_401(client, passwords, username, password_of):
    response = await client.post(
        "/api/v1/auth/token", json={"username": username, "password": passwords[password_of]}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "unknown user or wrong password"}


async def test_login_with_missing_field_answers_422_without_echoing_the_password(client, passwords):
    secret = passwords[Role.ADMIN]
    response = await client.post("/api/v1/auth/token", json={"password": secret, "extra": 1})
    assert response.status_code == 422
    body = response.json()
    assert {problem["field"] for problem in body["problems"]} == {"body.username", "body.extra"}
    assert secret not in response.text


@pytest.fixture(scope="module")
def forgeries(rsa_key, jwt_manager: JwtManager) -> dict[str, str]:
    valid = jwt_manager.issue("viewer", Role.VIEWER).token
    header = {"alg": "HS256", "typ": "JWT", "kid": rsa_key.kid}
    stranger = generate_hmac_key("stranger")

    def signed_by(key, issuer=ISSUER, audience=AUDIENCE, lifetime=5) -> str:
        ring = KeyRing.from_configs([key], key.kid)
        manager = JwtManager(
            ring, issuer=issuer, audience=audience, lifetime=timedelta(minutes=lifetime)
        )
        return manager.issue("admin", Role.ADMIN).token

    return {
        "alg-none": unsigned({**header, "alg": "none"}, claims(ISSUER, AUDIENCE)),
        "hs-rs-confusion": hmac_signed(
            header, claims(ISSUER, AUDIENCE), rsa_key.public_key.encode()
        ),
        "expired": signed_by(rsa_key, lifetime=-1),
        "wrong-audience": signed_by(rsa_key, audience="other"),
        "wrong-issuer": signed_by(rsa_key, issuer="other"),
        "tampered-payload": with_role(valid, "admin"),
        "unknown-kid": signed_by(stranger),
        "garbage": "definitely.not.a-token",
        "header-not-an-object": unsigned([1], claims(ISSUER, AUDIENCE)),
    }


ATTACKS = [
    "alg-none",
    "hs-rs-confusion",
    "expired",
    "wrong-audience",
    "wrong-issuer",
    "tampered-payload",
    "unknown-kid",
    "garbage",
    "header-not-an-object",
]


@pytest.mark.parametrize("attack", ATTACKS)
async def test_forged_or_stale_token_answers_401_never_500(client, forgeries, attack):
    response = await client.get(STRATEGIES, headers=_auth(forgeries[attack]))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_token_signed_by_a_retired_key_is_still_accepted(client, retired_hmac_key):
    old = JwtManager(
        KeyRing.from_configs([retired_hmac_key], retired_hmac_key.kid),
        issuer=ISSUER,
        audience=AUDIENCE,
        lifetime=timedelta(minutes=5),
    )
    response = await client.get(STRATEGIES, headers=_auth(old.issue("viewer", Role.VIEWER).token))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/live/positions", "path.namespace"),
        ("/api/v1/paper/orders?limit=0", "query.limit"),
        ("/api/v1/paper/fills?limit=many", "query.limit"),
        ("/api/v1/dead-letters", "query.topic"),
    ],
)
async def test_bad_input_answers_422_naming_the_field(client, bearer, path, field):
    response = await client.get(path, headers=bearer(Role.ADMIN))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "invalid request"
    assert [problem["field"] for problem in body["problems"]] == [field]
    assert body["problems"][0]["message"]


async def test_strategy_name_outside_the_resource_name_form_answers_422(client, bearer):
    response = await client.post(f"{STRATEGIES}/Bad_Name/pause", headers=bearer(Role.TRADER))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "path.strategy_id"


async def test_dead_letters_of_a_non_dlq_topic_answer_422_like_any_invalid_field(client, bearer):
    response = await client.get(
        "/api/v1/dead-letters?topic=paper.orders.placed", headers=bearer(Role.ADMIN)
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "invalid request",
        "problems": [
            {
                "field": "query.topic",
                "message": "Value error, not a dead-letter topic (its name ends in .dlq)",
            }
        ],
    }


async def test_pause_and_resume_flip_the_strategy_and_unknown_ones_answer_404(
    client, bearer, strategies
):
    trader = bearer(Role.TRADER)
    paused = await client.post(f"{STRATEGIES}/momentum-1/pause", headers=trader)
    assert paused.json()["paused"] is True
    assert strategies.strategies["momentum-1"].paused is True
    resumed = await client.post(f"{STRATEGIES}/momentum-1/resume", headers=trader)
    assert resumed.json()["paused"] is False
    missing = await client.post(f"{STRATEGIES}/ghost/pause", headers=trader)
    assert missing.status_code == 404


async def test_money_travels_as_exact_decimal_strings(client, bearer):
    portfolio = (await client.get("/api/v1/paper/portfolio", headers=bearer(Role.VIEWER))).json()
    assert portfolio["net_pnl"] == "97.15"
    absent = await client.get("/api/v1/zerodha/portfolio", headers=bearer(Role.VIEWER))
    assert absent.status_code == 404


async def test_readiness_probe_answers_503_without_details_when_a_check_fails(
    client, dependency_state
):
    assert (await client.get("/readyz")).status_code == 200
    dependency_state["up"] = False
    probe = await client.get("/readyz")
    assert (probe.status_code, probe.json()) == (503, {"ready": False})
    assert (await client.get("/healthz")).status_code == 200


async def test_openapi_documents_every_route_and_the_bearer_scheme(client):
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/api/v1/{namespace}/pnl" in schema["paths"]
    assert (await client.get("/docs")).status_code == 200


def test_no_secret_appears_in_any_log_record_of_this_module(log_keeper, used_secrets):
    assert log_keeper.lines, "the scan must have seen the module's log records"
    assert len(used_secrets) > 5
    leaks = [
        (index, line[:80])
        for index, line in enumerate(log_keeper.lines)
        if any(secret in line for secret in used_secrets)
    ]
    assert leaks == []
