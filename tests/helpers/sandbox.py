"""Helpers of the sandbox tests: ids, clients whose every answer is checked against GHL's spec,
the sandbox served over HTTP in a thread or by ``ghlops sandbox serve`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ghlops.sandbox import Sandbox, SandboxHTTPServer, make_server
from tests.helpers.spec_check import check_response

BASE_URL = "https://services.leadconnectorhq.com"
LOC = "ve9EPM428h8vShlRW1KT"
OTHER_LOC = "aWdODOBVOlH1RUFKWQke"
VERSION = "2021-07-28"


def spec_hook(response: httpx.Response) -> None:
    """httpx response hook: every answer must match the spec for its operation and status."""
    response.read()
    request = response.request
    check_response(request.method, request.url.path, response.status_code, response.json())


def check_unprocessable(response: httpx.Response) -> None:
    """Where a spec documents 400, not 422, for an operation (calendars.json, PUT /locations),
    the sandbox's validation answer is a 400 with NestJS's message list (``{"statusCode": 400,
    "message": [...], "error": "Bad Request"}``), checked here; other answers are checked
    against the spec."""
    response.read()
    body = response.json()
    if response.status_code == 400 and isinstance(body.get("message"), list):
        assert set(body) == {"statusCode", "message", "error"}
        assert body["statusCode"] == 400 and body["error"] == "Bad Request"
        assert body["message"] and all(isinstance(m, str) for m in body["message"])
    else:
        spec_hook(response)


def make_client(
    transport: httpx.BaseTransport | None = None,
    *,
    token: str | None,
    version: str | None = VERSION,
    base_url: str = BASE_URL,
) -> httpx.Client:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if version is not None:
        headers["Version"] = version
    return httpx.Client(
        transport=transport,
        base_url=base_url,
        headers=headers,
        event_hooks={"response": [spec_hook]},
    )


@contextmanager
def served(sb: Sandbox) -> Iterator[tuple[SandboxHTTPServer, str]]:
    """``sb`` over real HTTP on a free loopback port: (server, base URL), stopped afterwards."""
    server = make_server(sb, host="127.0.0.1", port=0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield server, f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_cli(project: Path, *options: str) -> Iterator[tuple[str, list[str]]]:
    """``ghlops sandbox serve --port 0 OPTIONS`` in a subprocess: (its URL, its banner lines)."""
    command = [sys.executable, "-m", "ghlops", "-C", str(project), "sandbox", "serve"]
    with subprocess.Popen(
        [*command, "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    ) as proc:
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline() for _ in range(5)]
            listening = next(x for x in lines if "listening on" in x)
            yield listening.split("listening on ")[1].split()[0], lines
        finally:
            proc.terminate()
            proc.wait(timeout=10)
