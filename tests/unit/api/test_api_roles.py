"""Every API route checks the bearer's role: 401 without a token, 403 below the needed role."""

from __future__ import annotations

import pytest

from alpha_panda.auth.roles import Role

ROUTES = [
    ("GET", "/api/v1/health", Role.VIEWER),
    ("GET", "/api/v1/strategies", Role.VIEWER),
    ("POST", "/api/v1/strategies/momentum-1/pause", Role.TRADER),
    ("POST", "/api/v1/strategies/momentum-1/resume", Role.TRADER),
    ("GET", "/api/v1/paper/portfolio", Role.VIEWER),
    ("GET", "/api/v1/paper/positions", Role.VIEWER),
    ("GET", "/api/v1/paper/orders", Role.VIEWER),
    ("GET", "/api/v1/paper/fills", Role.VIEWER),
    ("GET", "/api/v1/paper/pnl", Role.VIEWER),
    ("GET", "/api/v1/paper/services", Role.VIEWER),
    ("GET", "/api/v1/paper/broker-session", Role.VIEWER),
    ("GET", "/api/v1/paper/pnl/curve", Role.VIEWER),
    ("GET", "/api/v1/paper/rejections", Role.VIEWER),
    ("GET", "/api/v1/paper/dead-letters", Role.VIEWER),
    ("GET", "/api/v1/instruments?token=256265", Role.VIEWER),
    ("GET", "/api/v1/dead-letters?topic=paper.orders.placed.dlq", Role.ADMIN),
    ("POST", "/api/v1/dead-letters/replay?topic=paper.orders.placed.dlq", Role.ADMIN),
]
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/broker/login"),
    ("GET", "/api/v1/broker/login-callback"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
ROUTE_IDS = [f"{method} {path.split('?')[0]}" for method, path, _ in ROUTES]


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize(("method", "path", "needed"), ROUTES, ids=ROUTE_IDS)
async def test_route_admits_only_roles_at_least_as_privileged_as_needed(
    client, bearer, method, path, needed, role
):
    response = await client.request(method, path, headers=bearer(role))
    if role.permits(needed):
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": f"this action needs the {needed} role"}


@pytest.mark.parametrize(("method", "path", "needed"), ROUTES, ids=ROUTE_IDS)
async def test_route_without_a_token_answers_401_with_a_bearer_challenge(
    client, method, path, needed
):
    response = await client.request(method, path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "needed"), ROUTES, ids=ROUTE_IDS)
async def test_route_with_a_non_bearer_scheme_answers_401(client, method, path, needed):
    response = await client.request(method, path, headers={"Authorization": "Basic YTpi"})
    assert response.status_code == 401


async def test_every_route_is_either_role_checked_here_or_deliberately_public(client):
    schema = (await client.get("/openapi.json")).json()
    declared = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    checked = {
        (
            method,
            path.split("?")[0]
            .replace("momentum-1", "{strategy_id}")
            .replace("/paper/", "/{namespace}/"),
        )
        for method, path, _ in ROUTES
    }
    assert declared - checked - PUBLIC == set()
    assert checked <= declared


@pytest.mark.parametrize(
    "path", ["/api/v1/broker/login", "/api/v1/broker/login-callback?request_token=x"]
)
async def test_broker_login_routes_answer_404_where_the_callback_is_not_enabled(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "the Kite login callback is not enabled"}
