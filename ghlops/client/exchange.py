"""One HTTP exchange: a request and its whole answer, within a deadline and a size cap.

The deadline bounds connect, headers and body together (a server sending a byte a second is cut
off). Over a network the exchange runs in a worker thread the caller waits for until the
deadline; every socket operation of that thread is bounded by the deadline too
(:mod:`ghlops.client.deadline`), so the worker ends there, and the caller returns only once it
has. The body is read as sent and decompressed within the cap exactly
(:mod:`ghlops.client.inflate`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from collections.abc import Mapping
from typing import Any

import httpx

from ghlops.client.deadline import call_deadline
from ghlops.client.errors import InvalidResponseError
from ghlops.client.inflate import ACCEPT_ENCODING, BoundedDecoder, TooLarge, UnsupportedEncoding

_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def exchange(
    http: httpx.Client,
    request: httpx.Request,
    *,
    path: str,
    auth: httpx.Auth | None,
    seconds: float,
    max_bytes: int,
    worker: bool,
) -> httpx.Response:
    """Send ``request`` with ``auth`` (the token goes with this request only: the shared pool
    holds none) and read its whole answer within ``seconds`` and ``max_bytes``; ``worker``: in a
    worker thread (over a network).

    Raises:
        httpx.HTTPError: the call failed or ran out of time.
        InvalidResponseError: the answer is larger than ``max_bytes`` (as sent or decompressed),
            or in a content encoding ghlops did not ask for.
    """
    call = _Call(http, request, path, auth, max_bytes, seconds)
    if not worker:
        return call.read_whole()
    request.extensions["trace"] = call.trace
    thread = threading.Thread(target=call.run, name="ghlops-http", daemon=True)
    thread.start()
    if not call.done.wait(seconds):
        call.abort()
        # every socket operation of the worker ends at the deadline: wait for it, so that no
        # thread of this call outlives it
        thread.join(max(1.0, seconds))
        raise httpx.ReadTimeout(f"no whole answer within {seconds:g} s", request=request)
    return call.result()


class _Call:
    """One exchange, and what the caller needs to cut it off when it runs in a worker."""

    def __init__(
        self,
        http: httpx.Client,
        request: httpx.Request,
        path: str,
        auth: httpx.Auth | None,
        cap: int,
        seconds: float,
    ) -> None:
        self.http = http
        self.request = request
        self.path = path
        self.auth = auth
        self.cap = cap
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.done = threading.Event()
        self.response: httpx.Response | None = None
        self.stream: Any = None  # the network stream of a new connection, once connected
        self._answer: httpx.Response | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._answer = self.read_whole()
        except BaseException as exc:  # handed to the caller's thread
            self._error = exc
        finally:
            self.done.set()

    def read_whole(self) -> httpx.Response:
        request = self.request
        with call_deadline(self.deadline):  # every socket operation of this thread
            response = self.http.send(request, stream=True, auth=self.auth)
            self.response = response
            try:
                body, too_large = self._read_body(response)
            finally:
                response.close()
        if too_large:
            raise InvalidResponseError(
                request.method,
                self.path,
                response.status_code,
                f"the answer is larger than {self.cap // (1024 * 1024)} MiB; it was not read",
            )
        # decoded already: the copy must not claim an encoding or a length
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in _FRAMING_HEADERS
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request
        )

    def _read_body(self, response: httpx.Response) -> tuple[bytearray, bool]:
        """The answer's body, decompressed within the cap exactly (a gzip bomb never gets past
        it), and whether it was too large (as sent or decompressed)."""
        cap, request = self.cap, self.request
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return bytearray(), True
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding", ""), cap)
        except UnsupportedEncoding as exc:
            raise InvalidResponseError(
                request.method,
                self.path,
                response.status_code,
                f"the answer is in the content encoding {str(exc)[:40]!r}, which ghlops did not "
                f"ask for ({ACCEPT_ENCODING})",
            ) from None
        if response.is_stream_consumed:  # an in-process transport's answer: read already
            return bytearray(response.content), len(response.content) > cap
        body = bytearray()
        try:
            for raw in response.iter_raw():
                if response.num_bytes_downloaded > cap:
                    return body, True
                body += decoder.feed(raw)
                if time.monotonic() > self.deadline:
                    raise httpx.ReadTimeout(
                        f"no whole answer within {self.seconds:g} s", request=request
                    )
            body += decoder.flush()
        except TooLarge:
            return body, True
        except zlib.error:
            raise httpx.DecodingError("the compressed answer is damaged", request=request) from None
        return body, False

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's trace hook: keeps the stream of a connection made for this call."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.stream = info.get("return_value")

    def abort(self) -> None:
        """Shut the call's socket down, so that the worker's blocking read ends now."""
        stream = self.stream
        if self.response is not None:
            stream = self.response.extensions.get("network_stream", stream)
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def result(self) -> httpx.Response:
        if self._error is not None:
            raise self._error
        assert self._answer is not None
        return self._answer
