"""Typed errors for failed API calls, mapped from GHL's error bodies.

GHL's bodies are NestJS-style: ``{"statusCode", "message", "error"}`` where ``message`` is a string
(400, 401, 403, 404) or a list of strings (422), plus a ``traceId`` that GHL support asks for
(shown with every error). Messages here never contain the token.

401 and 403 have several causes that need different fixes, told apart only by the message
(API notes, appendix E): see :class:`AuthCause`.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from ghlops.errors import GhlopsError
from ghlops.escape import terminal


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
        trace_id: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = message
        self.maybe_applied = maybe_applied
        self.trace_id = trace_id
        super().__init__(self._text())

    def _text(self) -> str:
        status = self.status
        status_text = f"{status} {_REASONS.get(status or 0, '')}".strip() if status else "failed"
        text = f"{self.method} {self.path} → {status_text}: {self.detail}"
        return f"{text} [traceId {self.trace_id}]" if self.trace_id else text

    @property
    def auth_cause(self) -> AuthCause | None:
        """Why GHL refused the token (401/403), told apart by the message; None otherwise."""
        return auth_cause(self.status, self.detail)

    @property
    def means_not_found(self) -> bool:
        """The object is not there: 404, or 400 whose message says "… not found" (GHL answers
        many missing objects with 400, e.g. ``"Product not found"``)."""
        if self.status == 404:
            return True
        return self.status == 400 and "not found" in self.detail.lower()

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


class AuthCause(StrEnum):
    """Why GHL refused a token (401/403), from the answer's message."""

    INVALID = "invalid"  # 401 "Invalid JWT": revoked, expired or not a token at all
    SCOPE = "scope"  # 401 "The token is not authorized for this scope."
    USER_TYPE = "user type"  # 401 "Token's user type mismatch!": agency token, location route
    AUTH_CLASS = "auth class"  # 401 "This authClass type is not allowed…": e.g. company OAuth
    LOCATION = "location"  # 403 "The token does not have access to this location."
    FORBIDDEN = "forbidden"  # another 403


def auth_cause(status: int | None, message: str) -> AuthCause | None:
    """The cause of a 401/403 answer with ``message``; None for other statuses."""
    if status not in (401, 403):
        return None
    text = message.lower()
    if "not authorized for this scope" in text:
        return AuthCause.SCOPE
    if "user type mismatch" in text:
        return AuthCause.USER_TYPE
    if "authclass" in text:
        return AuthCause.AUTH_CLASS
    if re.search(r"access to (this|the) location", text):
        return AuthCause.LOCATION
    return AuthCause.INVALID if status == 401 else AuthCause.FORBIDDEN


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
    """An answer that cannot be used: a 2xx whose body is not the JSON the API documents, a
    redirect, an answer over the size cap."""


class InvalidRequestError(ApiError):
    """A call that was not sent: its path holds something no GHL id or name in a path has."""


MAX_JSON_DEPTH = 64  # GHL's deepest documented answer nests about 8 levels


def parse_json(data: bytes) -> Any:
    """``data`` decoded as JSON, nested at most ``MAX_JSON_DEPTH`` levels.

    Raises:
        ValueError: not JSON (or not UTF-8), or nested deeper (a RecursionError never escapes).
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except ValueError:
        raise ValueError("not JSON") from None
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        current, depth = todo.pop()
        children = (
            current.values()
            if isinstance(current, dict)
            else current
            if isinstance(current, list)
            else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_JSON_DEPTH:
                    raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
                todo.append((child, depth + 1))
    return value


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
        data: Any = parse_json(body)
    except ValueError:
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


def trace_id(body: bytes) -> str | None:
    """The ``traceId`` of an error body, when it has a plain one (at most 100 characters)."""
    try:
        data: Any = parse_json(body)  # nested too deeply: a ValueError, never a RecursionError
    except ValueError:
        return None
    value = data.get("traceId") if isinstance(data, dict) else None
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9._:-]{1,100}", value):
        return value
    return None


def error_for(method: str, path: str, status: int, body: bytes) -> ApiError:
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    # the server's words, on one line and unable to drive a terminal, at most 500 characters
    return cls(method, path, status, terminal(error_message(body))[:500], trace_id=trace_id(body))
