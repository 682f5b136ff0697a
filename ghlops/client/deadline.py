"""Every socket operation of a call bounded by the call's deadline, on new and reused connections.

httpx's timeouts bound each read, write or connect; a server sending a byte a second resets the
read timeout forever. The worker thread that makes a call (see ``GhlClient._exchange``) sets its
deadline with :func:`call_deadline`; the pool's network backend is wrapped
(:func:`bound_transports`) so that every connect, TLS handshake, read and write in that thread
waits at most until the deadline. On a kept-alive connection reused for the call, whose socket the
caller never saw connect, a server trickling headers is thus cut off at the deadline too, and the
worker thread ends there instead of lingering.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

_LEAST = 0.001  # a timeout past the deadline: the operation fails at once, as a timeout


class _Deadline(threading.local):
    at: float | None = None


_DEADLINE = _Deadline()


@contextlib.contextmanager
def call_deadline(at: float) -> Iterator[None]:
    """Bound every socket operation of this thread by ``at`` (``time.monotonic``) meanwhile."""
    _DEADLINE.at = at
    try:
        yield
    finally:
        _DEADLINE.at = None


def bounded(timeout: float | None) -> float | None:
    """``timeout``, shortened to what is left of this thread's call deadline."""
    at = _DEADLINE.at
    if at is None:
        return timeout
    left = max(at - time.monotonic(), _LEAST)
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, bounded(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, bounded(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, bounded(timeout), local_address, socket_options
        )
        return DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return DeadlineStream(
            self._backend.connect_unix_socket(path, bounded(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bound_transports(client: httpx.Client) -> bool:
    """Wrap the network backend of every pool of ``client`` (its transport and the proxies'
    mounts); False when a pool is not one this knows (the caller's watchdog still cuts the
    call off at the deadline, but a worker may then linger until the server stops)."""
    transports = [client._transport, *client._mounts.values()]
    wrapped = True
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, DeadlineBackend):
            continue
        if isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
        elif transport is not None:
            wrapped = False
    return wrapped
