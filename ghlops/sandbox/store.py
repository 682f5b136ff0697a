"""SQLite persistence for the sandbox: locations, bearer tokens and one generic object table.

Every kind of object (tags, custom fields, calendars, ...) lives in ``objects`` as a JSON
document keyed by ``(kind, id)``. ``seq`` keeps creation order, which list endpoints return.
Each request's writes run in one ``BEGIN IMMEDIATE`` transaction that is committed before the
answer is sent, so a killed client can never leave half-written state.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS locations (
    id         TEXT PRIMARY KEY,
    name       TEXT,
    company_id TEXT,
    data       TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS tokens (
    token       TEXT PRIMARY KEY,
    location_id TEXT,
    company_id  TEXT,
    user_type   TEXT NOT NULL DEFAULT 'Location'
);
CREATE INDEX IF NOT EXISTS tokens_by_location ON tokens (location_id);
CREATE TABLE IF NOT EXISTS objects (
    location_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    parent_id   TEXT,
    seq         INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_by_location ON objects (location_id, kind, seq);
"""


@dataclass(frozen=True)
class StoredObject:
    """One row of ``objects``: the stored document and where it belongs."""

    location_id: str
    kind: str
    id: str
    parent_id: str | None
    data: dict[str, Any]


class Store:
    """Thread-safe access to the sandbox database.

    Args:
        path: A database file (parent folders are created; WAL journal) or None for memory.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.lock = threading.RLock()
        self._depth = 0
        if path is None:
            target = ":memory:"
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            target = os.fspath(path)
        self._conn = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        with self.lock:
            if path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_DDL)
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and run the block in one transaction (nested uses join the outer one)."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._conn.execute(sql, params).fetchall()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self.lock:
            return self._conn.execute(sql, params).rowcount

    # -- locations and tokens -----------------------------------------------------------------

    def location_exists(self, location_id: str) -> bool:
        """True when the location was provisioned."""
        return bool(self._query("SELECT 1 FROM locations WHERE id = ?", (location_id,)))

    def location(self, location_id: str) -> dict[str, Any] | None:
        """The location's stored record (``id``, ``name``, ``companyId`` plus extra data)."""
        rows = self._query(
            "SELECT id, name, company_id, data FROM locations WHERE id = ?", (location_id,)
        )
        if not rows:
            return None
        loc_id, name, company_id, data = rows[0]
        return {**json.loads(data), "id": loc_id, "name": name, "companyId": company_id}

    def add_location(self, location_id: str, name: str | None, company_id: str | None) -> None:
        """Create the location if it is missing (an existing one is left unchanged)."""
        self._execute(
            "INSERT OR IGNORE INTO locations (id, name, company_id) VALUES (?, ?, ?)",
            (location_id, name, company_id),
        )

    def rename_location(self, location_id: str, name: str) -> None:
        """Set a location's name."""
        self._execute("UPDATE locations SET name = ? WHERE id = ?", (name, location_id))

    def tokens_of_location(self, location_id: str) -> list[str]:
        """The tokens registered for a location, oldest first."""
        rows = self._query(
            "SELECT token FROM tokens WHERE location_id = ? ORDER BY rowid", (location_id,)
        )
        return [str(r[0]) for r in rows]

    def token_owner(self, token: str) -> tuple[str | None, str | None, str] | None:
        """``(location_id, company_id, user_type)`` of a token, or None if unknown."""
        rows = self._query(
            "SELECT location_id, company_id, user_type FROM tokens WHERE token = ?", (token,)
        )
        if not rows:
            return None
        location_id, company_id, user_type = rows[0]
        return location_id, company_id, str(user_type)

    def add_token(
        self,
        token: str,
        *,
        location_id: str | None,
        company_id: str | None = None,
        user_type: str = "Location",
    ) -> None:
        """Register a bearer token (its owner must not already own it: see ``token_owner``)."""
        self._execute(
            "INSERT INTO tokens (token, location_id, company_id, user_type) VALUES (?, ?, ?, ?)",
            (token, location_id, company_id, user_type),
        )

    # -- objects ------------------------------------------------------------------------------

    def insert(
        self,
        location_id: str,
        kind: str,
        object_id: str,
        data: dict[str, Any],
        *,
        parent_id: str | None = None,
    ) -> None:
        """Store a new object at the end of its kind's creation order."""
        with self.lock:
            (seq,) = self._conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM objects").fetchone()
            self._conn.execute(
                "INSERT INTO objects (location_id, kind, id, parent_id, seq, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (location_id, kind, object_id, parent_id, seq, _dump(data)),
            )

    def get(self, kind: str, object_id: str) -> StoredObject | None:
        """The object ``kind``/``object_id`` in any location, or None."""
        rows = self._query(
            "SELECT location_id, kind, id, parent_id, data FROM objects WHERE kind = ? AND id = ?",
            (kind, object_id),
        )
        return _row(rows[0]) if rows else None

    def list(
        self, location_id: str, kind: str, *, parent_id: str | None = None
    ) -> list[StoredObject]:
        """A location's objects of one kind (optionally under one parent), in creation order."""
        sql = (
            "SELECT location_id, kind, id, parent_id, data FROM objects"
            " WHERE location_id = ? AND kind = ?"
        )
        params: tuple[Any, ...] = (location_id, kind)
        if parent_id is not None:
            sql += " AND parent_id = ?"
            params += (parent_id,)
        return [_row(r) for r in self._query(sql + " ORDER BY seq", params)]

    def update(self, kind: str, object_id: str, data: dict[str, Any]) -> bool:
        """Replace an object's document; False when it does not exist."""
        return (
            self._execute(
                "UPDATE objects SET data = ? WHERE kind = ? AND id = ?",
                (_dump(data), kind, object_id),
            )
            > 0
        )

    def delete(self, kind: str, object_id: str) -> bool:
        """Delete an object and the objects stored under it; False when it does not exist."""
        with self.lock:
            self._conn.execute("DELETE FROM objects WHERE parent_id = ?", (object_id,))
            return (
                self._execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, object_id))
                > 0
            )


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _row(row: tuple[Any, ...]) -> StoredObject:
    location_id, kind, object_id, parent_id, data = row
    return StoredObject(location_id, kind, object_id, parent_id, json.loads(data))
