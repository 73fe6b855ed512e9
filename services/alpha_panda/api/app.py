"""Build the FastAPI application from injected components."""

from __future__ import annotations

from fastapi import FastAPI

from alpha_panda.api.dependencies import ApiDependencies
from alpha_panda.api.errors import install_error_handlers
from alpha_panda.api.routes import (
    auth,
    broker,
    dashboard,
    dead_letters,
    health,
    instruments,
    status,
    strategies,
    trading,
)


def create_app(dependencies: ApiDependencies) -> FastAPI:
    """Return the API application; every route reads its components from `dependencies`."""
    app = FastAPI(
        title="Alpha Panda API",
        version="1",
        description="Portfolios, orders, fills, P&L, strategy control and health of Alpha Panda.",
    )
    app.state.dependencies = dependencies
    install_error_handlers(app)
    for router in (
        health.router,
        auth.router,
        broker.router,
        strategies.router,
        trading.router,
        status.router,
        dead_letters.router,
        instruments.router,
        dashboard.router,
    ):
        app.include_router(router)
    return app
