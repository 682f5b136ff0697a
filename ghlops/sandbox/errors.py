"""HTTP errors raised inside the sandbox, with GHL's (NestJS-style) error bodies."""

from __future__ import annotations

from typing import Any


class SandboxHTTPError(Exception):
    """An HTTP error answer: raising it anywhere in request handling sends ``body`` with ``status``.

    Args:
        status: The HTTP status code.
        body: The JSON body of the answer.
    """

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def bad_request(message: str) -> SandboxHTTPError:
    """400, shaped like ``common-schemas.json#/components/schemas/BadRequestDTO``."""
    return SandboxHTTPError(400, {"statusCode": 400, "message": message})


def unauthorized() -> SandboxHTTPError:
    """401, the ``UnauthorizedDTO`` example body."""
    return SandboxHTTPError(
        401,
        {
            "statusCode": 401,
            "message": "Invalid token: access token is invalid",
            "error": "Unauthorized",
        },
    )


def forbidden(
    message: str = "The token does not have access to this location",
) -> SandboxHTTPError:
    """403 (in v2 only custom-menus documents it, bodiless; shaped like v3 ``ForbiddenDTO``)."""
    return SandboxHTTPError(403, {"statusCode": 403, "message": message, "error": "Forbidden"})


def not_found(message: str) -> SandboxHTTPError:
    """404 for an unknown object id (not in the v2 specs; shape of v3 ``NotFoundDTO``)."""
    return SandboxHTTPError(404, {"statusCode": 404, "message": message})


def unprocessable(messages: list[str]) -> SandboxHTTPError:
    """422, ``UnprocessableDTO``: ``message`` is a list (NestJS ValidationPipe style)."""
    return SandboxHTTPError(
        422, {"statusCode": 422, "message": messages, "error": "Unprocessable Entity"}
    )


def route_not_found(method: str, target: str, *, known_to_spec: bool = False) -> SandboxHTTPError:
    """404 for an unknown route, as NestJS answers it (``Cannot GET /x``).

    Args:
        method: The request method.
        target: The request target (path and query, as NestJS prints ``originalUrl``).
        known_to_spec: True when the route is in GHL's spec but has no sandbox handler.
    """
    message = f"Cannot {method} {target}"
    if known_to_spec:
        message += " (this GHL API route is not emulated by the ghlops sandbox)"
    return SandboxHTTPError(404, {"statusCode": 404, "message": message})
