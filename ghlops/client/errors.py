"""Typed errors for failed API calls, mapped from GHL's error bodies.

GHL's bodies are NestJS-style: ``{"statusCode", "message", "error"}`` where ``message`` is a string
(400, 401, 403, 404) or a list of strings (422). Messages here never contain the token.
"""

from __future__ import annotations

import json
from typing import Any

from ghlops.errors import GhlopsError


class ApiError(GhlopsError):
    """An HTTP call to the GHL API failed."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = message
        status_text = f"{status} {_REASONS.get(status or 0, '')}".strip() if status else "failed"
        super().__init__(f"{method} {path} → {status_text}: {message}")


class TransportError(ApiError):
    """No usable HTTP response: connection refused or reset, timeout, TLS failure."""


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
