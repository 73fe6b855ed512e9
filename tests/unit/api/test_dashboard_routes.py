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
    assert sorted(sources) == [
        "/dashboard/dashboard.css",
        "/dashboard/dashboard.js",
        "/dashboard/vendor/uplot.iife.min.js",
        "/dashboard/vendor/uplot.min.css",
    ]
    assert "<script>" not in response.text  # the policy forbids inline script


SCRIPTS = ["dashboard.js", "api.js", "chart.js", "format.js", "symbols.js", "tables.js"]


@pytest.mark.parametrize(
    ("asset", "kind"),
    [
        *((script, "text/javascript") for script in SCRIPTS),
        ("dashboard.css", "text/css"),
        ("vendor/uplot.iife.min.js", "text/javascript"),
        ("vendor/uplot.min.css", "text/css"),
        ("vendor/uplot.LICENSE", "text/plain"),
    ],
)
async def test_the_assets_are_served_with_their_types(client, asset, kind):
    response = await client.get(f"/dashboard/{asset}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_the_chart_library_is_served_from_the_package_with_its_licence(client):
    library = (await client.get("/dashboard/vendor/uplot.iife.min.js")).text
    licence = (await client.get("/dashboard/vendor/uplot.LICENSE")).text
    assert library.startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32) */")
    assert licence.startswith("The MIT License (MIT)")


async def test_every_module_the_scripts_import_is_served(client):
    for script in SCRIPTS:
        source = (await client.get(f"/dashboard/{script}")).text
        for imported in re.findall(r'from "\./([a-z]+\.js)"', source):
            assert imported in SCRIPTS, f"{script} imports {imported}, which is not served"


@pytest.mark.parametrize(
    "asset",
    [
        "index.html",
        "..%2Fapp.py",
        "read_model.py",
        "nope.js",
        "vendor/nope.js",
        "vendor/..%2Fapi.js",
    ],
)
async def test_anything_else_under_the_dashboard_is_404(client, asset):
    response = await client.get(f"/dashboard/{asset}")
    assert response.status_code == 404


@pytest.mark.parametrize("script", SCRIPTS)
async def test_the_scripts_keep_the_token_in_memory_only(client, script):
    source = (await client.get(f"/dashboard/{script}")).text
    assert "localStorage" not in source and "sessionStorage" not in source
    assert "document.cookie" not in source and "innerHTML" not in source
