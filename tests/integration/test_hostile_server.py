"""A hostile API on loopback: raw HTTP answers no sandbox would give.

A small TCP server answers each request with raw bytes: an endless chunked body, a gzip bomb, a
byte per tick, a huge declared length, deeply nested JSON, a redirect. Each must end as an error
bounded in time and memory that names the call, and, in a fleet, stays inside its location:
the other locations are planned and applied as usual (requests for them are passed on to a real
sandbox). Every scenario is bounded on the server side too (bytes sent, seconds), so a client
that did not stop would fail the test, not hang it.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.client import GhlClient
from ghlops.client.client import RetryPolicy
from ghlops.client.errors import ApiError, InvalidRequestError, InvalidResponseError, TransportError
from ghlops.sandbox import SandboxRequest, SandboxResponse, json_response
from ghlops.sandbox.app import CallNext
from tests.helpers.cli import HttpSandbox
from tests.integration.fleet import (
    OLD_TAG,
    location_id,
    seed_fleet,
    tokens,
    use_fast_retries,
    write_fleet,
)

SERVER_LIMIT = 256 * 1024 * 1024  # bytes a scenario sends at most
SERVER_SECONDS = 20.0  # seconds a scenario sends at most
TICK = 0.05  # seconds between the trickled bytes
CAP = 1024 * 1024  # the clients' size cap in these tests
ONCE = RetryPolicy(attempts=1)
HOSTILE = location_id(1)  # the location whose answers are hostile in the fleet tests

Send = Callable[[socket.socket], None]


def _head(status: str, headers: dict[str, str], *, close: bool = True) -> bytes:
    """A status line and headers; the connection closes after a hostile answer."""
    headers = {**headers, "Connection": "close"} if close else headers
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode()


def _bounded(sock: socket.socket, chunks: Iterator[bytes]) -> None:
    sent, until = 0, time.monotonic() + SERVER_SECONDS
    for chunk in chunks:
        if sent > SERVER_LIMIT or time.monotonic() > until:
            return
        sock.sendall(chunk)
        sent += len(chunk)


def endless_chunked(sock: socket.socket) -> None:
    sock.sendall(
        _head("200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    )
    piece = b" " * 65536
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    _bounded(sock, iter(lambda: frame, None))


def _bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = b" " * (1024 * 1024)
    out = [packer.compress(zeros) for _ in range(64)]  # 64 MiB of blanks
    return b"".join(out) + packer.flush()


BOMB = _bomb()


def gzip_bomb(sock: socket.socket) -> None:
    head = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    sock.sendall(_head("200 OK", {**head, "Content-Length": str(len(BOMB))}) + BOMB)


def huge_declared(sock: socket.socket) -> None:
    head = {"Content-Type": "application/json", "Content-Length": str(100 * 1024 * 1024)}
    sock.sendall(_head("200 OK", head))
    _bounded(sock, iter(lambda: b" " * 65536, None))


def large_compressed(sock: socket.socket) -> None:
    """Random bytes, gzipped: larger than the cap as sent already."""
    noise = gzip.compress(bytes(range(256)) * 8 * 1024, compresslevel=0)  # 2 MiB
    head = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    sock.sendall(_head("200 OK", {**head, "Transfer-Encoding": "chunked"}))
    for i in range(0, len(noise), 65536):
        piece = noise[i : i + 65536]
        sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    sock.sendall(b"0\r\n\r\n")


def trickle_body(sock: socket.socket) -> None:
    sock.sendall(_head("200 OK", {"Content-Type": "application/json", "Content-Length": "100000"}))

    def ticks() -> Iterator[bytes]:
        while True:
            time.sleep(TICK)
            yield b" "

    _bounded(sock, ticks())


def trickle_headers(sock: socket.socket) -> None:
    def ticks() -> Iterator[bytes]:
        yield b"HTTP/1.1 200 OK\r\n"
        while True:
            time.sleep(TICK)
            yield b"X"

    _bounded(sock, ticks())


def _json(status: str, body: bytes) -> Send:
    def send(sock: socket.socket) -> None:
        head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        sock.sendall(_head(status, head) + body)

    return send


DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"tags": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
deep_json = _json("200 OK", DEEP)
deep_object = _json("200 OK", DEEP_OBJECT)
deep_error = _json("400 Bad Request", b'{"message": ' + DEEP + b"}")


def redirect(sock: socket.socket) -> None:
    head = {"Location": "https://evil.example/steal", "Content-Length": "0"}
    sock.sendall(_head("302 Found", head))


SCENARIOS: dict[str, Send] = {
    "endless chunked body": endless_chunked,
    "gzip bomb": gzip_bomb,
    "huge declared length": huge_declared,
    "larger than the cap as sent": large_compressed,
    "a byte per tick in the body": trickle_body,
    "a byte per tick in the headers": trickle_headers,
    "deeply nested JSON": deep_json,
    "deeply nested JSON object": deep_object,
    "deeply nested error body": deep_error,
    "redirect": redirect,
}
EXPECTED = {
    "endless chunked body": "the answer is larger than 1 MiB; it was not read",
    "gzip bomb": "the answer is larger than 1 MiB; it was not read",
    "huge declared length": "the answer is larger than 1 MiB; it was not read",
    "larger than the cap as sent": "the answer is larger than 1 MiB; it was not read",
    "a byte per tick in the body": "timed out (ReadTimeout)",
    "a byte per tick in the headers": "timed out (ReadTimeout)",
    "deeply nested JSON": "the response body is not valid JSON (nested deeper than 64 levels)",
    "deeply nested JSON object": "not valid JSON (nested deeper than 64 levels)",
    "deeply nested error body": '400 Bad Request: {"message": [[[[',
    "redirect": "302: a redirect (to https://evil.example/steal); the GHL API never redirects",
}


@dataclass
class Hostile:
    """The server: answers requests for ``hostile`` paths (all, when None) with ``send``, and
    passes the others on to ``upstream``."""

    url: str = ""
    send: Send = redirect
    hostile: str | None = None
    upstream: str = ""
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    accept_encoding: str = ""  # of the last request


def _read_request(rfile: Any) -> tuple[str, str, dict[str, str], bytes] | None:
    line = rfile.readline(65537).decode("latin-1").strip()
    if not line:
        return None
    method, target, _ = line.split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = rfile.readline(65537).decode("latin-1").strip()
        if not header:
            break
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rfile.read(int(headers.get("content-length", "0") or 0))
    return method, target, headers, body


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    state = Hostile()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while True:
                request = _read_request(self.rfile)
                if request is None:
                    return
                method, target, headers, body = request
                with state.lock:
                    state.requests.append(f"{method} {target}")
                    state.accept_encoding = headers.get("accept-encoding", "")
                try:
                    if state.hostile is None or state.hostile in target:
                        state.send(self.connection)
                        return  # one hostile answer per connection
                    self._relay(method, target, headers, body)
                except OSError:  # the client hung up: what a bounded client does
                    return

        def _relay(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
            keep = {k: v for k, v in headers.items() if k in ("authorization", "version")}
            answer = httpx.request(
                method, state.upstream + target, headers=keep, content=body, timeout=30
            )
            head = {"Content-Type": "application/json", "Content-Length": str(len(answer.content))}
            self.connection.sendall(
                _head(f"{answer.status_code} X", head, close=False) + answer.content
            )

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def client(url: str, timeout: float = 10.0) -> GhlClient:
    """A client trying once; the deadline is short only where the scenario is slowness (a loaded
    machine may take a second to inflate a gzip bomb up to the cap)."""
    return GhlClient(
        "pit-hostile-test-token-0001", base_url=url, timeout=timeout, retry=ONCE, max_bytes=CAP
    )


# -- each answer, through the client -------------------------------------------------------------


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_hostile_answer_is_a_bounded_error_naming_the_call(
    scenario: str, hostile: Hostile
) -> None:
    hostile.send = SCENARIOS[scenario]
    deadline = 1.0 if "per tick" in scenario else 10.0
    with client(hostile.url, deadline) as c, pytest.raises(ApiError) as caught:
        c.request("GET", "/locations/abc/tags", version="2021-07-28")
    error = caught.value
    assert str(error).startswith("GET /locations/abc/tags → "), str(error)
    assert EXPECTED[scenario] in str(error), str(error)
    assert len(str(error)) < 600
    assert len(hostile.requests) == 1  # one try (ONCE), no loop


def test_a_write_cut_off_is_marked_maybe_applied(hostile: Hostile) -> None:
    """What the applier needs to find out whether a create happened, for every answer that
    arrived but cannot be used."""
    for scenario in ("gzip bomb", "deeply nested JSON", "a byte per tick in the body"):
        hostile.send = SCENARIOS[scenario]
        deadline = 1.0 if "per tick" in scenario else 10.0
        with client(hostile.url, deadline) as c, pytest.raises(ApiError) as caught:
            c.request("POST", "/locations/abc/tags", version="2021-07-28", json={"name": "x"})
        assert caught.value.maybe_applied, scenario
        assert isinstance(caught.value, InvalidResponseError | TransportError)


def test_ids_that_would_change_the_path_are_never_sent(hostile: Hostile) -> None:
    with client(hostile.url) as c:
        for path in (
            "/locations/abc/tags/../../../companies/X",
            "/locations/abc/tags/a b",
            "/locations/abc/tags/x?y=1",
            "/locations/abc/tags/x#y",
            "/locations/abc/tags/x\ny",
            "/locations/abc//tags",
        ):
            with pytest.raises(InvalidRequestError, match="not sent: an id or name in the path"):
                c.request("DELETE", path, version="2021-07-28")
    assert hostile.requests == []


# -- in a fleet: the error stays in its location ---------------------------------------------------


@pytest.fixture
def fleet(tmp_path: Path, http_sandbox: HttpSandbox, hostile: Hostile) -> Path:
    root = write_fleet(tmp_path / "fleet", 2, kinds="core")
    seed_fleet(http_sandbox.sandbox, 2, kinds="core")
    hostile.upstream = http_sandbox.url
    hostile.hostile = HOSTILE
    return root


def run(project: Path, url: str, *args: str, timeout: str = "10") -> Result:
    env: dict[str, str | None] = {**tokens(2), "GHLOPS_TIMEOUT": timeout}
    return CliRunner(env=env).invoke(
        cli, ["-C", str(project), *args, "--base-url", url], catch_exceptions=False
    )


FLEET_SCENARIOS = [
    "endless chunked body",
    "gzip bomb",
    "a byte per tick in the body",
    "deeply nested JSON",
    "deeply nested JSON object",
    "deeply nested error body",
    "redirect",
]


@pytest.mark.parametrize("scenario", FLEET_SCENARIOS)
def test_a_hostile_answer_fails_its_location_only(
    scenario: str,
    fleet: Path,
    hostile: Hostile,
    http_sandbox: HttpSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_fast_retries(monkeypatch)
    hostile.send = SCENARIOS[scenario]
    timeout = "3" if "per tick" in scenario else "10"  # a loaded machine inflates bombs slowly
    result = run(fleet, hostile.url, "plan", timeout=timeout)
    output = result.output
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exit_code == 1, output
    # clinic-1 is not planned, with an error naming the call; clinic-0 is planned as usual
    assert f"GET /locations/{HOSTILE}/" in output, output
    assert EXPECTED[scenario].replace("1 MiB", "16 MiB") in output, output
    assert "Location clinic-0 (" in output and '+ tag "clinic-0-patient"' in output, output
    assert not any(r.split(" ", 1)[0] in ("POST", "PUT", "DELETE") for r in hostile.requests)
    assert len(hostile.requests) < 200


# -- answers the sandbox can give: hostile ids, a create answered with nested JSON -------------


def test_a_live_id_that_would_change_the_path_fails_the_location_and_sends_nothing(
    tmp_path: Path, http_sandbox: HttpSandbox
) -> None:
    sb = http_sandbox.sandbox
    project = write_fleet(tmp_path / "ids", 2, kinds="core")
    seed_fleet(sb, 2, kinds="core")
    sent: list[str] = []

    def evil_ids(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        sent.append(f"{request.method} {request.path}")
        answer = call_next(request)
        if request.method == "GET" and request.path == f"/locations/{HOSTILE}/tags":
            tags = answer.json()["tags"]
            for tag in tags:
                if tag["name"] == OLD_TAG:  # pruned: the plan would delete it by this id
                    tag["id"] = "../../../companies/X"
            return json_response(200, {"tags": tags})
        return answer

    sb.middleware.append(evil_ids)
    result = run(project, http_sandbox.url, "apply", "--auto-approve", "--force")
    assert "internal error" not in result.output, result.output
    assert result.exit_code == 3, result.output  # --force: clinic-0 applied, clinic-1 not
    assert "reading tags: the API's answer does not have the documented shape" in result.output
    assert "'../../../companies/X' is not a GHL id" in result.output
    assert not [s for s in sent if "companies" in s or (HOSTILE in s and s[0] != "G")]
    assert OLD_TAG in {t["name"] for t in sb.objects(HOSTILE, "tags")}


def test_a_create_answered_with_nested_json_is_recovered_not_duplicated(
    tmp_path: Path, http_sandbox: HttpSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create went through, its answer cannot be read: the applier reads the kind again
    and adopts the tag instead of aborting the fleet or creating it twice."""
    use_fast_retries(monkeypatch)
    sb = http_sandbox.sandbox
    project = write_fleet(tmp_path / "deep", 2, kinds="core")
    seed_fleet(sb, 2, kinds="core")

    def nested_answer(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        answer = call_next(request)
        if request.method == "POST" and request.path == f"/locations/{HOSTILE}/tags":
            return SandboxResponse(200, dict(answer.headers), DEEP)
        return answer

    sb.middleware.append(nested_answer)
    result = run(project, http_sandbox.url, "apply", "--auto-approve", "--force")
    assert "internal error" not in result.output, result.output
    assert result.exit_code == 0, result.output
    assert "created (adopted after an ambiguous failure)" in result.output
    for i in range(2):
        names = [str(t["name"]) for t in sb.objects(location_id(i), "tags")]
        assert len(names) == len(set(names)) and "recall-due" in names


# -- a kept-alive connection, then trickled headers; bounded decompression ----------------------


@pytest.fixture
def keep_alive_then_trickle() -> Iterator[str]:
    """A server answering the first request of a connection at once (kept alive), and the
    next one on the same connection with headers a byte per tick."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            answered = 0
            while _read_request(self.rfile) is not None:
                try:
                    if answered:
                        trickle_headers(self.connection)
                        return
                    body = b'{"tags": []}'
                    head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
                    self.connection.sendall(_head("200 OK", head, close=False) + body)
                    answered += 1
                except OSError:
                    return

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _http_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ghlops-http" and t.is_alive()]


def test_trickled_headers_on_a_reused_connection_leave_no_thread_behind(
    keep_alive_then_trickle: str,
) -> None:
    before = _http_workers()
    with client(keep_alive_then_trickle, 1.0) as c:
        assert c.request("GET", "/locations/abc/tags", version="2021-07-28") == {"tags": []}
        with pytest.raises(TransportError) as caught:
            c.request("GET", "/locations/abc/tags", version="2021-07-28")
        assert "timed out (ReadTimeout)" in str(caught.value)
        # the call is over, and so is every thread it used (the server trickles for 20 s more)
        assert _http_workers() == before


def test_a_gzip_bomb_is_never_inflated_past_the_cap(hostile: Hostile) -> None:
    """64 MiB of gzipped blanks arrive in 64 KiB pieces: inflating one piece whole would hold
    64 MiB at once. Decompression stops at the cap, whatever the piece."""
    hostile.send = gzip_bomb
    tracemalloc.start()
    try:
        with client(hostile.url) as c, pytest.raises(InvalidResponseError) as caught:
            c.request("GET", "/locations/abc/tags", version="2021-07-28")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "the answer is larger than 1 MiB; it was not read" in str(caught.value)
    assert peak < 6 * CAP, f"{peak / CAP:.1f} MiB held at once"


def test_an_encoding_ghlops_did_not_ask_for_is_an_error(hostile: Hostile) -> None:
    hostile.send = _encoded("br", b"\x0b\x02\x80{}\x03")
    with client(hostile.url) as c, pytest.raises(InvalidResponseError) as caught:
        c.request("GET", "/locations/abc/tags", version="2021-07-28")
    assert "the answer is in the content encoding 'br', which ghlops did not ask for" in str(
        caught.value
    )


def _encoded(encoding: str, body: bytes) -> Send:
    def send(sock: socket.socket) -> None:
        head = {
            "Content-Type": "application/json",
            "Content-Encoding": encoding,
            "Content-Length": str(len(body)),
        }
        sock.sendall(_head("200 OK", head) + body)

    return send


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(b'{"tags": [1, 2]}', mtime=0)),
        ("deflate", zlib.compress(b'{"tags": [1, 2]}')),
        ("deflate", zlib.compress(b'{"tags": [1, 2]}')[2:-4]),  # raw deflate, as some send it
        ("identity", b'{"tags": [1, 2]}'),
    ],
    ids=["gzip", "deflate", "raw-deflate", "identity"],
)
def test_compressed_answers_are_read(hostile: Hostile, encoding: str, packed: bytes) -> None:
    hostile.send = _encoded(encoding, packed)
    with client(hostile.url) as c:
        assert c.request("GET", "/locations/abc/tags", version="2021-07-28") == {"tags": [1, 2]}
    assert hostile.accept_encoding == "gzip, deflate"
