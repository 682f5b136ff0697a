"""One connection pool per run: every location's requests (and the OAuth token exchanges) go
through one httpx client, one transport, one SSL context, over keep-alive connections, each
request with its own principal's token. Over real HTTP to the sandbox, through the CLI."""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from httpcore._backends.sync import SyncBackend

from ghlops.client import DEFAULT_BASE_URL, Connection, GhlClient
from tests.helpers.cli import HttpSandbox
from tests.integration.test_auth_modes import COMPANY, A, B
from tests.integration.test_auth_modes import project as oauth_project  # noqa: F401 (fixture)
from tests.integration.test_auth_modes import run as oauth_run
from tests.integration.test_read_set import LOCATIONS, THREE_KINDS, TOKENS, project


@dataclass
class Wire:
    """What the run did on the wire: clients, transports, CA bundle loads, TCP connects, and
    every request as (transport, method, path, token sent or None)."""

    made_before: int = 0
    transports: int = 0
    ca_loads: int = 0
    connects: int = 0
    sent: list[tuple[int, str, str, str | None]] = field(default_factory=list)

    def clients(self) -> int:
        """httpx clients made by ghlops' connection pools since the run started."""
        return Connection.made - self.made_before

    def tokens(self) -> set[str | None]:
        return {token for _, _, _, token in self.sent}


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    seen = Wire(made_before=Connection.made)
    lock = threading.Lock()
    transport_init = httpx.HTTPTransport.__init__
    handle = httpx.HTTPTransport.handle_request
    load = ssl.SSLContext.load_verify_locations
    connect = SyncBackend.connect_tcp

    def new_transport(self: httpx.HTTPTransport, *args: Any, **kwargs: Any) -> None:
        seen.transports += 1
        transport_init(self, *args, **kwargs)

    def send(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization")
        with lock:
            seen.sent.append(
                (
                    id(self),
                    request.method,
                    request.url.path,
                    auth.removeprefix("Bearer ") if auth else None,
                )
            )
        return handle(self, request)

    def load_ca(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        seen.ca_loads += 1
        load(self, *args, **kwargs)

    def connect_tcp(self: SyncBackend, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        with lock:
            seen.connects += 1
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(httpx.HTTPTransport, "__init__", new_transport)
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", send)
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", load_ca)
    monkeypatch.setattr(SyncBackend, "connect_tcp", connect_tcp)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)  # a proxy would add transports of its own
    return seen


def test_every_location_of_a_run_sends_through_one_pool(
    tmp_path: Path, http_sandbox: HttpSandbox, wire: Wire
) -> None:
    for i, loc in enumerate(LOCATIONS):
        http_sandbox.sandbox.provision_location(loc, token=TOKENS[f"GHL_READSET_{i}"])
    runner = project(tmp_path, THREE_KINDS)

    result = runner(
        "apply", "--base-url", http_sandbox.url, "--auto-approve", "-p", "3", env=dict(TOKENS)
    )
    assert result.exit_code == 0, result.output

    assert (wire.clients(), wire.transports, wire.ca_loads) == (1, 1, 1)  # one SSL context
    assert len({transport for transport, *_ in wire.sent}) == 1
    assert len(wire.sent) == 3 * 3 + 3 * 3  # per location: 3 list calls, then 3 creates
    assert wire.tokens() == set(TOKENS.values())  # each location's own token, no other
    for i, loc in enumerate(LOCATIONS):  # and each token only for its own location
        token = TOKENS[f"GHL_READSET_{i}"]
        paths = [path for _, method, path, sent in wire.sent if sent == token and method == "GET"]
        others = [other for other in LOCATIONS if other != loc]
        assert paths and not any(other in path for path in paths for other in others)
        assert http_sandbox.sandbox.objects(loc, "tags")[0]["name"] == "vip"
    # keep-alive: at most one connection per request in flight, far fewer than requests
    assert wire.connects <= 3 * 3  # 3 locations x 3 kinds read at once, at most
    assert wire.connects < len(wire.sent)


def test_the_oauth_exchanges_share_the_run_s_pool(
    oauth_project: Path,  # noqa: F811
    http_sandbox: HttpSandbox,
    wire: Wire,
) -> None:
    applied = oauth_run(oauth_project, http_sandbox.url, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output

    assert (wire.clients(), wire.transports, wire.ca_loads) == (1, 1, 1)
    assert len({transport for transport, *_ in wire.sent}) == 1
    posts = [path for _, method, path, _ in wire.sent if method == "POST"]
    assert posts.count("/oauth/token") == 1  # the refresh, sending no bearer token
    assert posts.count("/oauth/locationToken") == 2  # one exchange per location
    assert [t for _, _, path, t in wire.sent if path == "/oauth/token"] == [None]
    assert len(wire.tokens() - {None}) == 3  # the agency's and the two locations' tokens
    assert [t["name"] for t in http_sandbox.sandbox.objects(A, "tags")] == ["vip"]
    assert [t["name"] for t in http_sandbox.sandbox.objects(B, "tags")] == ["vip"]
    assert http_sandbox.sandbox.objects(COMPANY, "customMenus")


def test_clients_on_one_pool_send_their_own_token_and_leave_it_open() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json={"ok": True})

    shared = Connection(DEFAULT_BASE_URL, transport=httpx.MockTransport(answer))
    made = Connection.made
    with GhlClient("tok-a", connection=shared) as a, GhlClient("tok-b", connection=shared) as b:
        assert a.request("GET", "/x", version=None) == {"ok": True}
        assert b.request("GET", "/x", version=None) == {"ok": True}
        assert a.request("GET", "/x", version=None) == {"ok": True}
    with GhlClient(None, connection=shared) as anonymous:  # OAuth refresh: no bearer token
        anonymous.request("POST", "/oauth/token", version=None, form={"a": "b"})
    assert seen == ["Bearer tok-a", "Bearer tok-b", "Bearer tok-a", None]
    assert Connection.made - made == 1  # one httpx client for the four
    assert not shared.is_closed and not shared.http.is_closed  # clients leave the pool open
    assert shared.http.auth is None and "authorization" not in shared.http.headers
    shared.close()
    with pytest.raises(RuntimeError, match="closed"):
        shared.http  # noqa: B018
    with pytest.raises(ValueError, match="shared connection"):
        GhlClient("tok", connection=shared, base_url=DEFAULT_BASE_URL)


def test_a_client_without_a_pool_makes_and_closes_its_own() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    own = GhlClient("tok-c", transport=transport)
    own.request("GET", "/x", version=None)
    http = own.connection.http
    own.close()
    assert own.connection.is_closed and http.is_closed
