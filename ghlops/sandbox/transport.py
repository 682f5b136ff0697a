"""httpx transports that answer requests with a :class:`~ghlops.sandbox.Sandbox`, in-process.

An answer's ``delay`` (latency, slow faults) is slept here, outside the sandbox's locks
(``asyncio.sleep`` in the async transport). A dropped connection (an injected ``timeout``,
``reset-before`` or ``reset-after``) is raised as the exception httpx raises for it over a real
socket: ``httpx.ReadTimeout`` (at once: there is no client timeout to wait out in-process) or
``httpx.ReadError`` (connection reset by peer).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

import httpx

from ghlops.sandbox.middleware.faults import ConnectionFault


class _Handles(Protocol):
    def handle(
        self, method: str, url_path_with_query: str, headers: Mapping[str, str], body: bytes
    ) -> _Answer: ...


class _Answer(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def delay(self) -> float: ...


def _target(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii")


def _dropped(fault: ConnectionFault, request: httpx.Request) -> httpx.TransportError:
    if fault.reset:
        return httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
    return httpx.ReadTimeout("timed out", request=request)


def _response(answer: _Answer, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


class SandboxTransport(httpx.BaseTransport):
    """Use as ``httpx.Client(transport=SandboxTransport(sb), base_url=...)``: no sockets.

    ``sleep`` waits out an answer's delay (tests pass a recorder instead of ``time.sleep``).
    """

    def __init__(self, sandbox: _Handles, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sandbox = sandbox
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        try:
            answer = self._sandbox.handle(request.method, _target(request), request.headers, body)
        except ConnectionFault as fault:
            raise _dropped(fault, request) from None
        if answer.delay > 0:
            self._sleep(answer.delay)
        return _response(answer, request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """The async counterpart of :class:`SandboxTransport` (the sandbox itself is synchronous)."""

    def __init__(
        self, sandbox: _Handles, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._sandbox = sandbox
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            answer = self._sandbox.handle(request.method, _target(request), request.headers, body)
        except ConnectionFault as fault:
            raise _dropped(fault, request) from None
        if answer.delay > 0:
            await self._sleep(answer.delay)
        return _response(answer, request)
