"""Kite's error classes as the simulator reports them: an `error_type` and an HTTP status."""

from __future__ import annotations


class KiteError(Exception):
    """An error Kite reports as `{"status": "error", "error_type": ..., "message": ...}`."""

    error_type = "GeneralException"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        """Return the JSON body Kite sends for this error."""
        return {
            "status": "error",
            "message": self.message,
            "data": None,
            "error_type": self.error_type,
        }


class TokenError(KiteError):
    """An expired, revoked or unknown token, or a failed checksum (403)."""

    error_type = "TokenException"
    status = 403


class InputError(KiteError):
    """Missing or invalid request input (400)."""

    error_type = "InputException"
    status = 400


class RateLimitError(KiteError):
    """Too many requests of one endpoint class in the window (429)."""

    error_type = "NetworkException"
    status = 429

    def __init__(self) -> None:
        super().__init__("Too many requests")


class ServerError(KiteError):
    """An internal error of Kite's (500)."""

    def __init__(self) -> None:
        super().__init__("Something went wrong. Please try again.")


class NotFoundError(KiteError):
    """A route the simulator does not serve (404)."""

    error_type = "GeneralException"
    status = 404

    def __init__(self) -> None:
        super().__init__("Route not found")
