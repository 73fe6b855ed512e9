"""The dashboard's files: served without a token, locked to their own origin, nothing else."""

from __future__ import annotations

import re

import pytest


async def test_the_root_sends_a_browser_to_the_dashboard(client):
    response = await client.get("/")
    assert response.status_code == 307 and response.headers["location"] == "/dashboard"


async def test_the_page_loads_only_its_own_script_and_style_under_a_strict_policy(client):
    response = await client.get("/dashboard")
    policy = response.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert sorted(sources) == ["/dashboard/dashboard.css", "/dashboard/dashboard.js"]
    assert "<script>" not in response.text  # the policy forbids inline script


@pytest.mark.parametrize(
    ("asset", "kind"), [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")]
)
async def test_the_assets_are_served_with_their_types(client, asset, kind):
    response = await client.get(f"/dashboard/{asset}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(kind)


@pytest.mark.parametrize("asset", ["index.html", "..%2Fapp.py", "read_model.py", "nope.js"])
async def test_anything_else_under_the_dashboard_is_404(client, asset):
    response = await client.get(f"/dashboard/{asset}")
    assert response.status_code == 404


async def test_the_script_keeps_the_token_in_memory_only(client):
    script = (await client.get("/dashboard/dashboard.js")).text
    assert "localStorage" not in script and "sessionStorage" not in script
    assert "document.cookie" not in script and "innerHTML" not in script
