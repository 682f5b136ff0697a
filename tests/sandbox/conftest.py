"""Fixtures for the sandbox tests: a fresh sandbox, a provisioned location and a client whose
every answer is checked against GHL's spec (``spec_check.check_response``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from spec_check import check_response

from ghlops.sandbox import Sandbox

BASE_URL = "https://services.leadconnectorhq.com"
LOC = "ve9EPM428h8vShlRW1KT"
OTHER_LOC = "aWdODOBVOlH1RUFKWQke"
VERSION = "2021-07-28"


def spec_hook(response: httpx.Response) -> None:
    """httpx response hook: every answer must match the spec for its operation and status."""
    response.read()
    request = response.request
    check_response(request.method, request.url.path, response.status_code, response.json())


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
