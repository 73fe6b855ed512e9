"""Error bodies and their OpenAPI documentation: what a route declares is what it sends.

Every error answers `{"detail": ...}`; an invalid request (422) also lists each invalid field
without echoing its value. A store that cannot be reached answers 503, not a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from alpha_panda.adapters.outages import STORE_OUTAGES

log = logging.getLogger(__name__)

RETRY_UNAVAILABLE_SECONDS = 5


class ErrorBody(BaseModel):
    """Why a request was refused."""

    detail: str


class Problem(BaseModel):
    """One invalid part of a request: where it is (e.g. `query.limit`) and what is wrong."""

    field: str
    message: str


class InvalidRequestBody(BaseModel):
    """A request whose parameters or body are invalid, with one problem per invalid field."""

    detail: str
    problems: list[Problem]


_BEARER_CHALLENGE = {
    "WWW-Authenticate": {
        "description": "the bearer challenge",
        "required": True,
        "schema": {"type": "string"},
    }
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "whole seconds to wait",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_ERRORS: dict[int, tuple[type[BaseModel], str, dict[str, Any]]] = {
    400: (ErrorBody, "The request cannot be carried out as asked", {}),
    401: (
        ErrorBody,
        "No bearer token, or one that is malformed, expired, or whose user is disabled or deleted",
        _BEARER_CHALLENGE,
    ),
    403: (ErrorBody, "The user's role does not allow this action", {}),
    404: (ErrorBody, "Nothing of that name", {}),
    422: (InvalidRequestBody, "Invalid parameters or body; each problem names its field", {}),
    429: (ErrorBody, "Too many attempts; wait for Retry-After seconds", _RETRY_AFTER),
    503: (ErrorBody, "PostgreSQL or Redis is unreachable; retry after Retry-After", _RETRY_AFTER),
}


def error_responses(*statuses: int, not_found: str | None = None) -> dict[int | str, Any]:
    """Return a route's OpenAPI `responses` for the error `statuses` it can answer.

    `not_found` says what a 404 of this route means.
    """
    responses: dict[int | str, Any] = {}
    for code in statuses:
        model, description, headers = _ERRORS[code]
        if code == status.HTTP_404_NOT_FOUND and not_found is not None:
            description = not_found
        documented: dict[str, Any] = {"model": model, "description": description}
        if headers:
            documented["headers"] = headers
        responses[code] = documented
    return responses


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        Problem(field=".".join(str(part) for part in problem["loc"]), message=problem["msg"])
        for problem in error.errors()
    ]
    body = InvalidRequestBody(detail="invalid request", problems=problems)
    return JSONResponse(body.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning(
        "%s %s answered 503: a store is unreachable (%s)",
        request.method,
        request.url.path,
        type(error).__name__,
    )
    body = ErrorBody(detail="a store the API depends on is unreachable; try again shortly")
    return JSONResponse(
        body.model_dump(),
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_UNAVAILABLE_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer invalid input with 422 and an unreachable store with 503."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for outage in STORE_OUTAGES:
        app.add_exception_handler(outage, _store_unavailable)
