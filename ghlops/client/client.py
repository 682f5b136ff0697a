"""An httpx-based client for the GHL API v2 that knows no resource kinds.

It adds the base URL, bearer auth, the per-API ``Version`` header, JSON decoding, pagination
helpers and typed errors. The transport is pluggable: the embedded sandbox plugs in here, so every
layer above runs unchanged against the real API, the sandbox over HTTP, or the sandbox in-process.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
from collections.abc import Generator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ghlops import __version__
from ghlops.client.errors import (
    InvalidResponseError,
    RateLimitError,
    ServerError,
    TransportError,
    error_for,
)
from ghlops.client.ratelimit import RateLimiter
from ghlops.errors import ConfigError

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
log = logging.getLogger("ghlops.http")

_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})


def check_base_url(url: str) -> str:
    """Refuse a base URL that would send tokens in clear text to another machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"base URL {url!r} is not https; plain http is allowed only for loopback hosts"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``; the token never shows in repr or logs."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class GhlClient:
    """One authenticated session against one GHL principal (a location or the agency)."""

    def __init__(
        self,
        token: str | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=check_base_url(base_url),
            auth=BearerAuth(token) if token is not None else None,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": f"ghlops/{__version__}"},
        )
        self.max_retries = max_retries
        self.limiter = limiter or RateLimiter()
        self.calls = 0  # HTTP requests made, retries included
        self.throttled = 0  # 429 answers received
        self._count_lock = threading.Lock()

    def __enter__(self) -> GhlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
    ) -> Any:
        """Make one call and return the decoded JSON body; raise an ApiError subclass on failure.

        ``form`` sends an ``application/x-www-form-urlencoded`` body instead of JSON (OAuth).

        Reads and idempotent writes are retried on 429, 5xx and transport errors with backoff;
        a POST is retried only when the request certainly did not reach the server.
        """
        headers = {"Version": version} if version else {}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, path, headers, params, json, form)
            except TransportError:
                if method in _IDEMPOTENT and attempt <= self.max_retries:
                    time.sleep(_backoff(attempt))
                    continue
                raise
            if response.status_code < 400:
                return _decode(method, path, response)
            error = error_for(method, path, response.status_code, response.content)
            if isinstance(error, RateLimitError) and attempt <= self.max_retries + 2:
                # Not applied by the server, so any method may be sent again once the window
                # (or Retry-After) has passed; the limiter holds every thread of this client.
                self.limiter.block_for(_retry_after(response) or self.limiter.window)
                continue
            retry_5xx = isinstance(error, ServerError) and method in _IDEMPOTENT
            if retry_5xx and attempt <= self.max_retries:
                time.sleep(_backoff(attempt))
                continue
            raise error

    def _send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None,
        body: Any,
        form: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        self.limiter.acquire()
        with self._count_lock:
            self.calls += 1
        started = time.monotonic()
        try:
            response = self._http.request(
                method, path, headers=headers, params=_clean(params), json=body, data=form
            )
        except httpx.TimeoutException as exc:
            raise TransportError(method, path, None, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransportError(method, path, None, f"{type(exc).__name__}: {exc}") from None
        throttled = response.status_code == 429
        if throttled:
            with self._count_lock:
                self.throttled += 1
        self.limiter.observe(response.headers, throttled=throttled)
        log.debug(
            "%s %s -> %s (%.0f ms)",
            method,
            response.request.url,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    def paginate(
        self,
        path: str,
        *,
        version: str | None,
        items: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        style: str = "offset",
    ) -> list[Any]:
        """Read every page of a list endpoint.

        ``items`` is a dotted path to the list in the body (``"products"``, ``"data.data"``).
        ``style`` is ``"offset"`` (limit/offset) or ``"skip"`` (skip/limit). Stops at the first
        short page, so one page is one call when everything fits.
        """
        offset_name = "skip" if style == "skip" else "offset"
        collected: list[Any] = []
        offset = 0
        while True:
            query = {**(params or {}), "limit": page_size, offset_name: offset}
            body = self.request("GET", path, version=version, params=query)
            page = _dig(body, items)
            if not isinstance(page, list):
                raise InvalidResponseError("GET", path, 200, f"no list at {items!r} in the body")
            collected.extend(page)
            if len(page) < page_size:
                return collected
            offset += len(page)


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else value
    return out


def _decode(method: str, path: str, response: httpx.Response) -> Any:
    if not response.content:
        return {}
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponseError(
            method, path, response.status_code, "the response body is not valid JSON"
        ) from None


def _dig(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def _backoff(attempt: int) -> float:
    return float(min(0.25 * 2 ** (attempt - 1), 4.0))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), 120.0)
    except ValueError:
        return None
