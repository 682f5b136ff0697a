"""Fixtures for the sandbox tests: a fresh sandbox, a provisioned location and a client whose
every answer is checked against GHL's spec. Helpers to import are in ``tests.helpers.sandbox``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ghlops.sandbox import Sandbox, SandboxHTTPServer
from tests.helpers.sandbox import LOC, make_client, served


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    sandbox = Sandbox(raise_server_errors=True)
    yield sandbox
    sandbox.close()


@pytest.fixture
def token(sb: Sandbox) -> str:
    return sb.provision_location(LOC, name="Main")


@pytest.fixture
def client(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    with make_client(sb.transport(), token=token) as c:
        yield c


@pytest.fixture
def http_server(sb: Sandbox) -> Iterator[SandboxHTTPServer]:
    with served(sb) as (server, _url):
        yield server


@pytest.fixture
def http_url(http_server: SandboxHTTPServer) -> str:
    host, port = http_server.server_address[:2]
    return f"http://{host!s}:{port}"
