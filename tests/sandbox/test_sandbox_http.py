"""The sandbox over real HTTP (``make_server`` on a free port): the same API, byte for byte."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import httpx
import pytest

from ghlops.sandbox import Sandbox, SandboxHTTPServer
from tests.helpers.sandbox import LOC, OTHER_LOC, make_client


@pytest.fixture
def server(http_server: SandboxHTTPServer) -> SandboxHTTPServer:
    return http_server


@pytest.fixture
def base_url(http_url: str) -> str:
    return http_url


@pytest.fixture
def web(base_url: str, token: str) -> Iterator[httpx.Client]:
    with make_client(token=token, base_url=base_url) as client:
        yield client


def test_server_binds_a_free_port(server: SandboxHTTPServer) -> None:
    assert server.server_address[1] != 0


def test_full_crud_over_http(web: httpx.Client, sb: Sandbox) -> None:
    tag = web.post(f"/locations/{LOC}/tags", json={"name": "vip"})
    assert tag.status_code == 200
    tag_id = tag.json()["tag"]["id"]
    assert web.put(f"/locations/{LOC}/tags/{tag_id}", json={"name": "VIP"}).status_code == 200

    field = web.post(
        f"/locations/{LOC}/customFields", json={"name": "Pin Code", "dataType": "TEXT"}
    )
    assert field.status_code == 201
    assert field.json()["customField"]["fieldKey"] == "contact.pin_code"
    by_key = web.get(f"/locations/{LOC}/customFields/contact.pin_code")
    assert by_key.json() == field.json()

    value = web.post(f"/locations/{LOC}/customValues", json={"name": "Brand", "value": "Acme"})
    assert value.status_code == 201

    assert sb.objects(LOC, "tags") == [{"name": "VIP", "locationId": LOC, "id": tag_id}]
    assert web.delete(f"/locations/{LOC}/tags/{tag_id}").json() == {"succeded": True}
    assert web.get(f"/locations/{LOC}/tags").json() == {"tags": []}


def test_errors_over_http(base_url: str, web: httpx.Client, sb: Sandbox, token: str) -> None:
    assert web.get("/nothing/here").json() == {
        "statusCode": 404,
        "message": "Cannot GET /nothing/here",
    }
    assert web.post(f"/locations/{LOC}/tags", json={"name": None}).status_code == 422
    sb.provision_location(OTHER_LOC)
    assert web.get(f"/locations/{OTHER_LOC}/tags").status_code == 403
    with make_client(token=None, base_url=base_url) as anonymous:
        assert anonymous.get(f"/locations/{LOC}/tags").status_code == 401
    with make_client(token=token, version=None, base_url=base_url) as unversioned:
        assert unversioned.get(f"/locations/{LOC}/tags").status_code == 400


def test_raw_http_chunked_body_and_keep_alive(server: SandboxHTTPServer, token: str) -> None:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=5)
    try:
        headers = {
            "Authorization": f"Bearer {token}",
            "Version": "2021-07-28",
            "Content-Type": "application/json",
        }
        conn.request(
            "POST",
            f"/locations/{LOC}/tags",
            body=iter([b'{"name":', b' "chunked"}']),
            headers=headers,
            encode_chunked=True,
        )
        first = conn.getresponse()
        assert first.status == 200
        assert first.getheader("Content-Type") == "application/json"
        assert b'"chunked"' in first.read()
        conn.request("GET", f"/locations/{LOC}/tags", headers=headers)  # same connection
        second = conn.getresponse()
        assert second.status == 200
        assert b'"chunked"' in second.read()
    finally:
        conn.close()


def test_parallel_clients(base_url: str, token: str, sb: Sandbox) -> None:
    failures: list[int] = []

    def worker() -> None:
        with make_client(token=token, base_url=base_url) as client:
            for _ in range(5):
                response = client.post(
                    f"/locations/{LOC}/customValues", json={"name": "N", "value": "v"}
                )
                if response.status_code != 201:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    keys = [v["fieldKey"] for v in sb.objects(LOC, "customValues")]
    assert len(keys) == 30 and len(set(keys)) == 30
