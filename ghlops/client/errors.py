"""Typed errors for failed API calls, mapped from GHL's error bodies.

GHL's bodies are NestJS-style: ``{"statusCode", "message", "error"}`` where ``message`` is a string
(400, 401, 403, 404) or a list of strings (422). Messages here never contain the token.
"""

from __future__ import annotations

import json
from typing import Any

from ghlops.errors import GhlopsError


class ApiError(GhlopsError):
    """An HTTP call to the GHL API failed.

    ``maybe_applied``: the call was a write that may have taken effect although it failed (a
    timeout or a reset after the request was sent, a 5xx, a 2xx whose body is unusable). The
    client never repeats such a POST; the applier finds out what happened by reading again.
    """

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        *,
        maybe_applied: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = message
        self.maybe_applied = maybe_applied
        super().__init__(self._text())

    def _text(self) -> str:
        status = self.status
        status_text = f"{status} {_REASONS.get(status or 0, '')}".strip() if status else "failed"
        return f"{self.method} {self.path} → {status_text}: {self.detail}"

    def annotated(self, note: str | None = None, *, maybe_applied: bool | None = None) -> ApiError:
        """A copy with ``note`` added to the message and/or ``maybe_applied`` set."""
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        if note:
            other.detail = f"{self.detail} ({note})"
        if maybe_applied is not None:
            other.maybe_applied = maybe_applied
        other.args = (other._text(),)
        return other


class TransportError(ApiError):
    """No usable HTTP response: connection refused or reset, timeout, TLS failure.

    ``sent``: the request may have reached the server (False only when the connection was never
    made, so even a POST may be sent again). ``retryable``: False when trying again cannot help
    (a request httpx refuses to send).
    """

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        *,
        maybe_applied: bool = False,
        sent: bool = True,
        retryable: bool = True,
    ) -> None:
        super().__init__(method, path, status, message, maybe_applied=maybe_applied)
        self.sent = sent
        self.retryable = retryable


class BadRequestError(ApiError):
    """400."""


class AuthError(ApiError):
    """401: the token is missing, invalid or expired."""


class ForbiddenError(ApiError):
    """403: the token has no access to this location or scope."""


class NotFoundError(ApiError):
    """404."""


class UnprocessableError(ApiError):
    """422: GHL rejected the request body."""


class RateLimitError(ApiError):
    """429: over the burst or daily limit."""


class ServerError(ApiError):
    """5xx."""


class InvalidResponseError(ApiError):
    """A 2xx response whose body is not the JSON the API documents."""


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    422: UnprocessableError,
    429: RateLimitError,
}


def error_message(body: bytes) -> str:
    """The human part of an error body: ``message`` (string or list), else ``error``, else text."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", "replace").strip()
        if text.lstrip().startswith("<"):
            return "non-JSON (HTML) error page"
        return text[:200] or "empty body"
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            value = data.get(key)
            if isinstance(value, list) and value:
                return "; ".join(str(v) for v in value)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return json.dumps(data)[:200]


def error_for(method: str, path: str, status: int, body: bytes) -> ApiError:
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(method, path, status, error_message(body))
