"""State in a database file survives closing and reopening the sandbox."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC, make_client


def test_state_and_tokens_survive_reopen(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "sandbox.db"  # parent folders are created
    sb = Sandbox(db)
    token = sb.provision_location(LOC, name="Main")
    with make_client(sb.transport(), token=token) as client:
        tag = client.post(f"/locations/{LOC}/tags", json={"name": "vip"}).json()["tag"]
        field = client.post(
            f"/locations/{LOC}/customFields",
            json={"name": "Pin", "dataType": "TEXT", "acceptedFormat": [".pdf"]},
        ).json()["customField"]
        value = client.post(
            f"/locations/{LOC}/customValues", json={"name": "Brand", "value": "Acme"}
        ).json()["customValue"]
    sb.close()
    assert db.exists()

    reopened = Sandbox(db)
    try:
        assert reopened.provision_location(LOC) == token  # the same token comes back
        with make_client(reopened.transport(), token=token) as client:
            assert client.get(f"/locations/{LOC}/tags").json() == {"tags": [tag]}
            assert client.get(f"/locations/{LOC}/customFields").json() == {"customFields": [field]}
            assert client.get(f"/locations/{LOC}/customValues/{value['id']}").json() == {
                "customValue": value
            }
            # The key generator sees the persisted keys.
            second = client.post(
                f"/locations/{LOC}/customFields", json={"name": "Pin", "dataType": "TEXT"}
            ).json()["customField"]
        assert second["fieldKey"] == "contact.pin_1"
        # Hidden request fields were persisted too (stored, just never returned).
        stored = reopened.store.get("customFields", field["id"])
        assert stored is not None and stored.data["acceptedFormat"] == [".pdf"]
    finally:
        reopened.close()


def test_creation_order_survives_reopen(tmp_path: Path) -> None:
    db = tmp_path / "order.db"
    sb = Sandbox(db)
    token = sb.provision_location(LOC)
    with make_client(sb.transport(), token=token) as client:
        for name in ("z", "a", "m"):
            client.post(f"/locations/{LOC}/tags", json={"name": name})
    sb.close()
    reopened = Sandbox(db)
    try:
        assert [t["name"] for t in reopened.objects(LOC, "tags")] == ["z", "a", "m"]
    finally:
        reopened.close()


def test_file_database_uses_wal_and_commits_each_write(tmp_path: Path) -> None:
    db = tmp_path / "wal.db"
    sb = Sandbox(db)
    try:
        token = sb.provision_location(LOC)
        with make_client(sb.transport(), token=token) as client:
            client.post(f"/locations/{LOC}/tags", json={"name": "committed"})
        # A second connection sees the write while the sandbox is still open: it is committed.
        other = sqlite3.connect(db)
        try:
            assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            rows = other.execute("SELECT data FROM objects WHERE kind = 'tags'").fetchall()
        finally:
            other.close()
        assert len(rows) == 1 and "committed" in rows[0][0]
    finally:
        sb.close()


def test_failed_request_writes_nothing(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "x.db")
    try:
        token = sb.provision_location(LOC)
        with make_client(sb.transport(), token=token) as client:
            assert client.post(f"/locations/{LOC}/tags", json={"name": 1}).status_code == 422
        assert sb.objects(LOC, "tags") == []
    finally:
        sb.close()


def test_concurrent_writes_from_threads(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "threads.db")
    token = sb.provision_location(LOC)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with make_client(sb.transport(), token=token) as client:
                for i in range(10):
                    response = client.post(
                        f"/locations/{LOC}/customFields", json={"name": "Same", "dataType": "TEXT"}
                    )
                    assert response.status_code == 201, (n, i, response.text)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        keys = [f["fieldKey"] for f in sb.objects(LOC, "customFields")]
        assert len(keys) == 80
        assert len(set(keys)) == 80  # key generation is atomic with the insert
    finally:
        sb.close()
