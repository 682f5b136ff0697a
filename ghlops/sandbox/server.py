"""Serve a :class:`~ghlops.sandbox.Sandbox` over real HTTP with the standard library.

Each connection has its own thread, so latency and slow answers (an answer's ``delay``, slept
before it is written) overlap across clients. An injected connection fault leaves the request
unanswered: the connection is held for the fault's ``hold`` seconds, then closed (``timeout``)
or reset with a TCP RST (``reset-before``, ``reset-after``).
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ghlops.sandbox.middleware.faults import ConnectionFault

if TYPE_CHECKING:
    from ghlops.sandbox.app import Sandbox

logger = logging.getLogger("ghlops.sandbox.server")

MAX_BODY_BYTES = 16 * 1024 * 1024


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server whose requests are answered by ``sandbox``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sleep: Callable[[float], None] = time.sleep  # waits out delays and held connections
        super().__init__(address, _SandboxRequestHandler)


class _SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    # Headers and body go out in two writes; with Nagle's algorithm on, the client's delayed ACK
    # would hold the body back ~40 ms on every kept-alive call.
    disable_nagle_algorithm = True
    timeout = 120  # seconds an idle keep-alive connection may hold a thread
    server: SandboxHTTPServer

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        target = self.path
        if not target.startswith("/"):  # absolute-form target (proxies)
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            answer = self.server.sandbox.handle(
                self.command, target, dict(self.headers.items()), body
            )
        except ConnectionFault as fault:
            self._drop(fault)
            return
        if answer.delay > 0:
            self.server.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _drop(self, fault: ConnectionFault) -> None:
        """Answer nothing: hold the connection, then reset it or let it close normally."""
        self.close_connection = True
        if fault.hold > 0:
            self.server.sleep(fault.hold)
        if fault.reset:
            # SO_LINGER 0: close() sends RST instead of FIN; the socket's fd closes only when
            # rfile (which shares it) is closed too.
            linger = struct.pack("ii", 1, 0)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            self.rfile.close()

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.send_error(400, "Bad Content-Length")
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after the chunk

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)


def make_server(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8787) -> SandboxHTTPServer:
    """A server for ``sandbox`` bound to ``host:port`` (0 picks a free port).

    The caller runs ``server.serve_forever()`` (e.g. in a thread) and later ``server.shutdown()``
    and ``server.server_close()``; ``server.server_address`` gives the bound address.
    """
    return SandboxHTTPServer((host, port), sandbox)
