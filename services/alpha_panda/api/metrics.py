"""Prometheus metrics of the API: requests by route template and status, and their latency."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter(
    "alpha_panda_api_requests_total", "API requests answered", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "alpha_panda_api_request_seconds",
    "Time to answer an API request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
UNMATCHED = "unmatched"
"""The route label of requests no route matched, so scanners cannot grow the label set."""


def metrics() -> Response:
    """Serve the process's Prometheus metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def instrument(app: FastAPI) -> None:
    """Count and time every request by its route template; serve them on `/metrics`."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", UNMATCHED)
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
