"""The web dashboard: one static page, its scripts and the vendored chart library (uPlot, MIT,
its licence beside it); no build step and nothing from outside, so it works offline."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import RedirectResponse, Response

router = APIRouter(tags=["dashboard"], include_in_schema=False)

SCRIPT = "text/javascript; charset=utf-8"
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": SCRIPT,
    "api.js": SCRIPT,
    "chart.js": SCRIPT,
    "format.js": SCRIPT,
    "symbols.js": SCRIPT,
    "tables.js": SCRIPT,
}
VENDORED = {
    "uplot.iife.min.js": SCRIPT,
    "uplot.min.css": "text/css; charset=utf-8",
    "uplot.LICENSE": "text/plain; charset=utf-8",
}
SECURITY_HEADERS = {
    # Only the page's own files and API: no inline script, no other origin, no framing.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _asset(*path: str) -> bytes:
    return resources.files("alpha_panda.api").joinpath("dashboard", *path).read_bytes()


def _serve(name: str) -> Response:
    return Response(_asset(name), media_type=ASSETS[name], headers=SECURITY_HEADERS)


@router.get("/")
async def root() -> RedirectResponse:
    """Send a browser to the dashboard."""
    return RedirectResponse("/dashboard")


@router.get("/dashboard")
async def dashboard() -> Response:
    """Return the dashboard page; it logs in and reads the JSON API itself."""
    return _serve("index.html")


@router.get("/dashboard/{asset}")
async def dashboard_asset(asset: str) -> Response:
    """Return one of the dashboard's scripts or its style sheet."""
    if asset not in ASSETS or asset == "index.html":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dashboard file")
    return _serve(asset)


@router.get("/dashboard/vendor/{asset}")
async def vendored_asset(asset: str) -> Response:
    """Return a file of the vendored chart library."""
    if asset not in VENDORED:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dashboard file")
    body = _asset("vendor", asset)
    return Response(body, media_type=VENDORED[asset], headers=SECURITY_HEADERS)
