"""One HTTP connection pool for a run, shared by every principal's client.

Building an ``httpx.Client`` loads the CA bundle into a new SSL context (tens of milliseconds of
CPU, more on a loaded machine) and starts with no open connection. A fleet run makes one
:class:`Connection`, and every location's :class:`~ghlops.client.client.GhlClient` (and the OAuth
token exchange) sends through it: one SSL context, keep-alive connections to the API host reused
from one location to the next.

The pool holds no secret: it has no ``auth`` and no ``Authorization`` header. Each client sends
its own token with each request (and its own timeout), so one location's token can never go out
with another location's call.
"""

from __future__ import annotations

import ipaddress
import threading
from urllib.parse import urlsplit

import httpx

from ghlops import __version__
from ghlops.client.deadline import bound_transports
from ghlops.client.inflate import ACCEPT_ENCODING
from ghlops.errors import ConfigError

# Connections the pool may hold open to the API host. A run has at most (--parallelism, at most
# 64) x (kinds of one location read at once, 4) reads in flight, plus token exchanges: a request
# never waits for a free connection. Idle ones are kept for the next location.
MAX_CONNECTIONS = 320
HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": ACCEPT_ENCODING,  # what client.inflate decodes within the size cap
    "User-Agent": f"ghlops/{__version__}",
}


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


class Connection:
    """The run's ``httpx.Client``: made on first use (a run that sends nothing loads no CA
    bundle), closed by :meth:`close`; thread-safe.

    ``timeout`` is the pool's default per call; clients send their own with each request. TLS
    certificates are always verified, redirects never followed.
    """

    made = 0  # httpx clients made by all Connections of this process (tests: one per run)

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.transport = transport
        # a network needs the per-call watchdog; an in-process transport (the embedded sandbox)
        # does not
        self.networked = transport is None or isinstance(transport, httpx.HTTPTransport)
        self._timeout = timeout
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._http: httpx.Client | None = None
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Connection({self.base_url!r})"

    @property
    def http(self) -> httpx.Client:
        """The shared client, made on first use.

        Raises:
            RuntimeError: the connection was closed (a programming error).
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the run's HTTP connection pool is closed")
            if self._http is None:
                self._http = httpx.Client(
                    base_url=self.base_url,
                    transport=self.transport,
                    timeout=self._timeout,
                    verify=True,
                    follow_redirects=False,
                    headers=HEADERS,
                    limits=self._limits,
                )
                if self.networked:  # every socket operation bounded by its call's deadline
                    bound_transports(self._http)
                Connection.made += 1
            return self._http

    @property
    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every connection of the pool; later use is an error."""
        with self._lock:
            self._closed = True
            if self._http is not None:
                self._http.close()
                self._http = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
