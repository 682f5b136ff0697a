"""An httpx-based client for the GHL API v2 that knows no resource kinds.

It adds the base URL, bearer auth, the per-API ``Version`` header, JSON decoding, pagination
helpers and typed errors. The transport is pluggable: the embedded sandbox plugs in here, so every
layer above runs unchanged against the real API, the sandbox over HTTP, or the sandbox in-process.
"""

from __future__ import annotations

import logging
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ghlops.client.connection import Connection
from ghlops.client.errors import (
    ApiError,
    InvalidRequestError,
    InvalidResponseError,
    RateLimitError,
    ServerError,
    TransportError,
    error_for,
    parse_json,
)
from ghlops.client.exchange import exchange
from ghlops.client.paging import read_pages
from ghlops.client.ratelimit import (
    DailyBudgetSpent,
    RateLimiter,
    RateLimitHeaderError,
)
from ghlops.errors import ConfigError
from ghlops.secrets import mask_text, register_secret

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
DEFAULT_TIMEOUT = 30.0  # seconds per HTTP call, connect to last byte; env GHLOPS_TIMEOUT
TIMEOUT_ENV = "GHLOPS_TIMEOUT"
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # an answer (as sent, and decompressed) larger is refused
log = logging.getLogger("ghlops.http")

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})  # reads: no effect on the server
_IDEMPOTENT = _SAFE | {"PUT", "DELETE"}  # sending these twice has the effect of sending once
# headers whose values are never logged (Authorization keeps its scheme: "Bearer ***")
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "token-id"}
)


@dataclass(frozen=True)
class RetryPolicy:
    """How one API call is retried, and the budget it may spend doing so.

    A call is tried at most ``attempts`` times for server errors (5xx, a 502 HTML page),
    timeouts, dropped connections and unreadable answers to reads; 429 answers are waited out
    (the rate limiter's window or ``Retry-After``) up to ``throttled_attempts`` times. Before
    each new try it waits an exponential backoff with jitter: half of
    ``min(max_delay, base_delay * 2**(n-1))`` plus a random part of the other half. No new try
    starts once ``budget`` seconds have passed since the first.

    Only reads and idempotent writes (PUT, DELETE) are tried again after the request may have
    reached the server; a POST or PATCH only when the connection was never made or the answer
    was 429 (GHL did not apply it). A DELETE answering "not found" (404, or 400 "… not found")
    after an earlier try may have gone through counts as done.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    budget: float = 120.0
    throttled_attempts: int = 8

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.throttled_attempts < 0:
            raise ValueError("attempts must be at least 1 and throttled_attempts at least 0")
        for name in ("base_delay", "max_delay", "budget"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a non-negative number of seconds")

    def delay(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the second try)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def timeout_from_env(env: Mapping[str, str] | None = None) -> float:
    """The per-call timeout: ``GHLOPS_TIMEOUT`` (seconds) when set, else 30.

    Raises:
        ConfigError: the variable is not a positive number.
    """
    value = (env if env is not None else os.environ).get(TIMEOUT_ENV, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ConfigError(f"{TIMEOUT_ENV}={value!r} is not a positive number of seconds")
    return seconds


# what a path may hold: ids and names from GHL go into paths, and one such as "../../companies/X"
# or "a/b?c" must never turn a call into another one
_PATH = re.compile(r"(/[A-Za-z0-9_.~:@!$&'()*+,;=%-]+)+/?")


def check_path(method: str, path: str) -> str:
    """``path`` when it is a plain API path: no ``.``/``..`` segment, no empty segment (but a
    trailing ``/``), no query or fragment, no character outside a URL path's own.

    Raises:
        InvalidRequestError: naming the call, the id or name in it shown escaped.
    """
    segments = path.split("/")[1:]
    if _PATH.fullmatch(path) and not any(s in (".", "..") for s in segments):
        return path
    raise InvalidRequestError(
        method,
        path.encode("unicode_escape").decode("ascii", "replace")[:300],
        None,
        "not sent: an id or name in the path is not a GHL id (it holds '/', '..', '?', "
        "spaces or other characters an id never has)",
    )


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>``; the token never shows in repr or logs."""

    def __init__(self, token: str) -> None:
        if not token or any(not (0x21 <= ord(c) <= 0x7E) for c in token):
            # httpx would refuse it with an error quoting the header value, token included
            raise ConfigError(
                "the API token is empty or contains characters that cannot be sent in an HTTP "
                "header (spaces, line breaks, non-ASCII); check the variable that holds it"
            )
        self._token = token
        register_secret(token)  # never printed, logged or saved, in any encoding

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"

    @property
    def token(self) -> str:
        return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class GhlClient:
    """One authenticated session against one GHL principal (a location or the agency).

    ``connection`` is the run's shared connection pool (:class:`Connection`), which the client
    never closes; without one the client makes its own (from ``base_url`` and ``transport``),
    closed with the client. The token is sent with each request and never stored in the pool.
    ``timeout`` is per HTTP call (default: ``GHLOPS_TIMEOUT`` or 30 s); ``retry`` says how
    failed calls are tried again (see :class:`RetryPolicy`). TLS certificates are always
    verified: there is no option to turn that off.
    """

    def __init__(
        self,
        token: str | None,
        *,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        connection: Connection | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if connection is not None and (transport is not None or base_url is not None):
            raise ValueError("a client on a shared connection takes its URL and transport")
        self._auth = BearerAuth(token) if token is not None else None  # repr: token=***
        self.deadline = timeout if timeout is not None else timeout_from_env()
        self.max_bytes = max_bytes
        self._owns = connection is None
        self.connection = connection or Connection(
            base_url or DEFAULT_BASE_URL, transport=transport, timeout=self.deadline
        )
        self._watchdog = self.connection.networked
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        self.calls = 0  # HTTP requests made, retries included
        self.throttled = 0  # 429 answers received
        self.retries = 0  # calls made again after a failure (429s excluded)
        self._count_lock = threading.Lock()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"GhlClient({self.connection.base_url!r}, auth={self._auth!r})"

    def __enter__(self) -> GhlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _http(self) -> httpx.Client:
        return self.connection.http

    def close(self) -> None:
        """Close the client's own pool; a shared one stays open for the run's other clients."""
        if self._owns:
            self.connection.close()

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
        Failures are retried as :class:`RetryPolicy` says; an error that may hide an applied
        write has ``maybe_applied`` set.
        """
        method = method.upper()
        check_path(method, path)
        headers = {"Version": version} if version else {}
        policy = self.retry
        started = self._clock()
        failures = 0  # tries that failed in a retryable way (429s apart)
        throttles = 0
        uncertain = False  # an earlier try may have reached the server
        while True:
            error: ApiError
            try:
                response = self._send(method, path, headers, params, json, form)
            except TransportError as exc:
                error = exc
                # a POST after a connection that was never made is safe to send again
                retryable = exc.retryable and (method in _IDEMPOTENT or not exc.sent)
                uncertain = uncertain or exc.sent
            except InvalidResponseError as exc:
                # an answer too large to read, or an unbelievable rate-limit header (a broken
                # or hostile server, not a wait): asking again gets the same; a write may have
                # taken effect
                error = exc.annotated(maybe_applied=method not in _SAFE)
                retryable = False
                uncertain = True
            else:
                if 300 <= response.status_code < 400:
                    where = mask_text(response.headers.get("location", "")[:200]) or "nowhere"
                    error = InvalidResponseError(
                        method,
                        path,
                        response.status_code,
                        f"a redirect (to {where}); the GHL API never redirects, and ghlops "
                        "does not follow redirects",
                        maybe_applied=method not in _SAFE,
                    )
                    retryable = False
                elif response.status_code < 400:
                    try:
                        return _decode(method, path, response)
                    except InvalidResponseError as exc:
                        # a 2xx answer: a write took effect, whatever its body says
                        error = exc.annotated(maybe_applied=method not in _SAFE)
                        retryable = method in _IDEMPOTENT
                        uncertain = True
                else:
                    error = error_for(
                        method, path, response.status_code, self._redact(response.content)
                    )
                    if isinstance(error, RateLimitError):
                        # not applied: any method may be sent again once the window (or
                        # Retry-After) has passed; the limiter holds every thread of this client
                        throttles += 1
                        wait = self.limiter.blocked_for()  # Retry-After, else a window
                        if throttles <= policy.throttled_attempts and self._within(started, wait):
                            continue
                        raise error.annotated(f"still throttled after {throttles} tries")
                    if error.means_not_found and method == "DELETE" and uncertain:
                        log.debug(
                            "%s %s: %s (not found) after an uncertain try: already deleted",
                            method,
                            path,
                            response.status_code,
                        )
                        return {}
                    retryable = isinstance(error, ServerError) and method in _IDEMPOTENT
                    if isinstance(error, ServerError):
                        uncertain = True
                        error = error.annotated(maybe_applied=method not in _SAFE)
            if isinstance(error, TransportError) and error.sent and method not in _SAFE:
                error = error.annotated(maybe_applied=True)
            failures += 1
            delay = policy.delay(failures, self._rng)
            if not retryable or failures >= policy.attempts or not self._within(started, delay):
                note = f"after {failures} tries" if failures > 1 else None
                raise error.annotated(note)
            with self._count_lock:
                self.retries += 1
            log.debug(
                "%s %s: %s; trying again in %.2f s (try %d of %d)",
                method,
                path,
                error.detail,
                delay,
                failures + 1,
                policy.attempts,
            )
            self._sleep(delay)

    def _within(self, started: float, delay: float) -> bool:
        """Whether a new try after ``delay`` seconds still starts within the budget."""
        return self._clock() - started + delay <= self.retry.budget

    def _redact(self, content: bytes) -> bytes:
        """``content`` without this client's token (an API echoing it must not leak it)."""
        if self._auth is not None:
            content = content.replace(self._auth.token.encode(), b"***")
        return content

    def _send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None,
        body: Any,
        form: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            self.limiter.acquire()
        except DailyBudgetSpent as exc:
            raise RateLimitError(method, path, None, str(exc)) from None
        with self._count_lock:
            self.calls += 1
        started = time.monotonic()
        try:
            request = self._http.build_request(
                method,
                path,
                headers=headers,
                params=_clean(params),
                json=body,
                data=form,
                timeout=self.deadline,  # this client's, not the shared pool's
            )
            response = self._exchange(path, request)
        except httpx.HTTPError as exc:
            self.limiter.abandon()
            raise self._transport_error(method, path, exc, started) from None
        except BaseException:
            self.limiter.abandon()
            raise
        throttled = response.status_code == 429
        if throttled:
            with self._count_lock:
                self.throttled += 1
        try:
            self.limiter.observe(response.headers, throttled=throttled)
        except RateLimitHeaderError as exc:
            raise InvalidResponseError(method, path, response.status_code, str(exc)) from None
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s (%.0f ms) [%s]",
                method,
                mask_text(str(response.request.url)),
                response.status_code,
                (time.monotonic() - started) * 1000,
                masked_headers(response.request.headers),
            )
        return response

    def _exchange(self, path: str, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its whole answer within the call's deadline and the size
        cap (see :func:`ghlops.client.exchange.exchange`)."""
        return exchange(
            self._http,
            request,
            path=path,
            auth=self._auth,
            seconds=self.deadline,
            max_bytes=self.max_bytes,
            worker=self._watchdog,
        )

    def _transport_error(
        self, method: str, path: str, exc: httpx.HTTPError, started: float
    ) -> TransportError:
        """The TransportError for an httpx failure; its text never holds the token."""
        name = type(exc).__name__
        sent, retryable = True, True
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            sent, text = False, f"could not connect ({name}: {exc})"
        elif isinstance(exc, httpx.TimeoutException):
            text = f"timed out ({name})"
        elif isinstance(exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
            # never sent, and sending it again fails the same way; the text may quote headers
            sent, retryable = False, False
            text = f"the request could not be sent ({name})"
        else:
            text = f"{name}: {exc}"
        text = mask_text(self._redact(text.encode()).decode("utf-8", "replace"))
        log.debug(
            "%s %s -> %s after %.0f ms", method, path, text, (time.monotonic() - started) * 1000
        )
        return TransportError(method, path, None, text, sent=sent, retryable=retryable)

    def paginate(
        self,
        path: str,
        *,
        version: str | None,
        items: str,
        total: str | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        style: str = "offset",
    ) -> list[Any]:
        """Read every page of a list endpoint (see :func:`ghlops.client.paging.read_pages`).

        ``items`` is a dotted path to the list in the body, ``total`` one to the number of
        items the answer reports (paging goes on until that many are read, whatever the page
        size GHL actually serves). ``style`` is ``"offset"`` (limit/offset) or ``"skip"``.
        """

        def fetch(query: Mapping[str, Any]) -> Any:
            return self.request("GET", path, version=version, params=query)

        return read_pages(
            fetch,
            path,
            items=items,
            total=total,
            params=params,
            page_size=page_size,
            style=style,
        )


def masked_headers(headers: Mapping[str, str]) -> str:
    """Request headers for a log line, secrets masked (``Authorization: Bearer ***``)."""
    shown = []
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} ***" if rest and lower.endswith("authorization") else "***"
        shown.append(f"{'-'.join(part.capitalize() for part in name.split('-'))}: {value}")
    return ", ".join(shown)


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
        return parse_json(response.content)
    except ValueError as exc:
        raise InvalidResponseError(
            method, path, response.status_code, f"the response body is not valid JSON ({exc})"
        ) from None
