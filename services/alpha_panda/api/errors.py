"""Error bodies: 422 lists each invalid field without echoing its value."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def _invalid_request(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [
        {"field": ".".join(str(part) for part in problem["loc"]), "message": problem["msg"]}
        for problem in error.errors()
    ]
    return JSONResponse(
        {"detail": "invalid request", "problems": problems},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer invalid input with 422 and a readable list of problems."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
