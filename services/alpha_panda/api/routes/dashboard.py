"""The web dashboard: one static page and its script, no build step and nothing from outside."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import RedirectResponse, Response

router = APIRouter(tags=["dashboard"], include_in_schema=False)

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
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
def _asset(name: str) -> bytes:
    return resources.files("alpha_panda.api").joinpath("dashboard", name).read_bytes()


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
    """Return the dashboard's script or style sheet."""
    if asset not in ASSETS or asset == "index.html":
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such dashboard file")
    return _serve(asset)
