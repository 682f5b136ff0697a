"""httpx transports that answer requests with a :class:`~ghlops.sandbox.Sandbox`, in-process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import httpx


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


def _target(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii")


def _response(answer: _Answer, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


class SandboxTransport(httpx.BaseTransport):
    """Use as ``httpx.Client(transport=SandboxTransport(sb), base_url=...)``: no sockets."""

    def __init__(self, sandbox: _Handles) -> None:
        self._sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        answer = self._sandbox.handle(request.method, _target(request), request.headers, body)
        return _response(answer, request)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """The async counterpart of :class:`SandboxTransport` (the sandbox itself is synchronous)."""

    def __init__(self, sandbox: _Handles) -> None:
        self._sandbox = sandbox

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        answer = self._sandbox.handle(request.method, _target(request), request.headers, body)
        return _response(answer, request)
