"""Check real httpx exchanges against the API's own OpenAPI document with openapi-core."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict


class ExchangedRequest:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return f"{self._request.url.scheme}://{self._request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.content or None

    @property
    def content_type(self) -> str:
        return self._request.headers.get("content-type", "")


class ExchangedResponse:
    """An httpx response as openapi-core reads one."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return self._response.headers.get("content-type", "")

    @property
    def headers(self) -> Headers:
        return Headers(dict(self._response.headers))

    @property
    def data(self) -> bytes:
        return self._response.content


class Contract:
    """An API's OpenAPI document, checked once, against which responses are validated."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._openapi = OpenAPI.from_dict(document)

    def violation(self, response: httpx.Response) -> str | None:
        """Say how the response departs from the document (status or body), or None."""
        try:
            self._openapi.validate_response(
                ExchangedRequest(response.request), ExchangedResponse(response)
            )
        except Exception as error:  # openapi-core raises one class per kind of mismatch
            causes = [error, *getattr(error, "schema_errors", ())]
            return "; ".join(f"{type(cause).__name__}: {cause}" for cause in causes)
        return None


def documented_responses(document: dict[str, Any]) -> set[tuple[str, str, int]]:
    """Return every (method, path template, status) the document lists."""
    return {
        (method.upper(), path, int(status))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
