"""SQLite persistence for the sandbox: companies, locations, bearer tokens, OAuth clients and
refresh tokens, and one generic object table.

Every kind of object (tags, custom fields, calendars, ...) lives in ``objects`` as a JSON
document keyed by ``(kind, id)``. ``seq`` keeps creation order, which list endpoints return.
Agency-level kinds (custom menu links) are stored with the company id in ``location_id``.
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

SCHEMA_VERSION = 2  # 2: companies, tokens.kind/data, oauth_clients, refresh_tokens

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
CREATE TABLE IF NOT EXISTS companies (
    id   TEXT PRIMARY KEY,
    name TEXT,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS tokens (
    token       TEXT PRIMARY KEY,
    location_id TEXT,
    company_id  TEXT,
    user_type   TEXT NOT NULL DEFAULT 'Location',
    kind        TEXT NOT NULL DEFAULT 'pit',
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS tokens_by_location ON tokens (location_id);
CREATE INDEX IF NOT EXISTS tokens_by_company ON tokens (company_id);
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id     TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token     TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    data      TEXT NOT NULL,
    used      INTEGER NOT NULL DEFAULT 0
);
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
CREATE INDEX IF NOT EXISTS objects_by_seq ON objects (seq);  -- MAX(seq) on every insert
"""

# Columns added after schema version 1: a version-1 file gets them with ALTER TABLE on open.
_ADDED_COLUMNS = (
    ("tokens", "kind", "TEXT NOT NULL DEFAULT 'pit'"),
    ("tokens", "data", "TEXT NOT NULL DEFAULT '{}'"),
)


@dataclass(frozen=True)
class StoredObject:
    """One row of ``objects``: the stored document and where it belongs."""

    location_id: str
    kind: str
    id: str
    parent_id: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class TokenInfo:
    """A registered bearer token.

    Attributes:
        token: The bearer token.
        location_id: The location of a sub-account token (None for agency tokens).
        company_id: The agency: an agency token's own, a location token's location's company.
        user_type: ``"Location"`` or ``"Company"``, as GHL's OAuth answers name them.
        kind: ``"pit"`` (a Private Integration Token) or ``"oauth"`` (an OAuth access token).
        data: Extra facts of OAuth tokens (``client_id``, ``user_id``, ``scope``).
    """

    token: str
    location_id: str | None
    company_id: str | None
    user_type: str
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class RefreshGrant:
    """An OAuth refresh token: its client, what it authorizes and whether it was used."""

    token: str
    client_id: str
    data: dict[str, Any]
    used: bool


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
            self._migrate()
            self._conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _migrate(self) -> None:
        for table, column, ddl in _ADDED_COLUMNS:
            present = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")

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

    def set_location_data(self, location_id: str, data: dict[str, Any]) -> None:
        """Replace a location's extra data (its business details, settings, ...)."""
        self._execute("UPDATE locations SET data = ? WHERE id = ?", (_dump(data), location_id))

    def set_location_company(self, location_id: str, company_id: str) -> None:
        """Make a location belong to a company."""
        self._execute("UPDATE locations SET company_id = ? WHERE id = ?", (company_id, location_id))

    def locations_of_company(self, company_id: str) -> list[dict[str, Any]]:
        """The stored records (see :meth:`location`) of a company's locations, oldest first."""
        rows = self._query(
            "SELECT id, name, company_id, data FROM locations WHERE company_id = ? ORDER BY rowid",
            (company_id,),
        )
        return [
            {**json.loads(data), "id": loc_id, "name": name, "companyId": company}
            for loc_id, name, company, data in rows
        ]

    def add_company(self, company_id: str, name: str | None = None) -> None:
        """Create the company (agency) if it is missing (an existing one is left unchanged)."""
        self._execute(
            "INSERT OR IGNORE INTO companies (id, name) VALUES (?, ?)", (company_id, name)
        )

    def company_exists(self, company_id: str) -> bool:
        """True when the company was provisioned."""
        return bool(self._query("SELECT 1 FROM companies WHERE id = ?", (company_id,)))

    def tokens_of_location(self, location_id: str, *, kind: str | None = None) -> list[str]:
        """The tokens registered for a location (optionally of one kind), oldest first."""
        sql = "SELECT token FROM tokens WHERE location_id = ?"
        params: tuple[Any, ...] = (location_id,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        return [str(r[0]) for r in self._query(sql + " ORDER BY rowid", params)]

    def agency_tokens(self, company_id: str, *, kind: str | None = None) -> list[str]:
        """The agency (``Company``) tokens of a company (optionally of one kind), oldest first."""
        sql = "SELECT token FROM tokens WHERE company_id = ? AND user_type = 'Company'"
        params: tuple[Any, ...] = (company_id,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        return [str(r[0]) for r in self._query(sql + " ORDER BY rowid", params)]

    def token_owner(self, token: str) -> tuple[str | None, str | None, str] | None:
        """``(location_id, company_id, user_type)`` of a token, or None if unknown."""
        info = self.token_info(token)
        return None if info is None else (info.location_id, info.company_id, info.user_type)

    def token_info(self, token: str) -> TokenInfo | None:
        """Everything known about a bearer token, or None if unknown. A location token's
        ``company_id`` is its location's current company."""
        rows = self._query(
            "SELECT t.location_id, COALESCE(t.company_id, l.company_id), t.user_type, t.kind,"
            " t.data FROM tokens t LEFT JOIN locations l ON l.id = t.location_id"
            " WHERE t.token = ?",
            (token,),
        )
        if not rows:
            return None
        location_id, company_id, user_type, kind, data = rows[0]
        return TokenInfo(
            token, location_id, company_id, str(user_type), str(kind), json.loads(data)
        )

    def add_token(
        self,
        token: str,
        *,
        location_id: str | None,
        company_id: str | None = None,
        user_type: str = "Location",
        kind: str = "pit",
        data: dict[str, Any] | None = None,
    ) -> None:
        """Register a bearer token (its owner must not already own it: see ``token_owner``).

        Args:
            token: The bearer token.
            location_id: The location of a sub-account token, None for an agency token.
            company_id: The agency of an agency token (location tokens take their location's).
            user_type: ``"Location"`` or ``"Company"``.
            kind: ``"pit"`` or ``"oauth"``.
            data: Extra facts of OAuth tokens (``client_id``, ``user_id``, ``scope``).
        """
        self._execute(
            "INSERT INTO tokens (token, location_id, company_id, user_type, kind, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (token, location_id, company_id, user_type, kind, _dump(data or {})),
        )

    def set_token_data(self, token: str, data: dict[str, Any]) -> None:
        """Replace the extra facts of a registered token (scopes, revocation)."""
        self._execute("UPDATE tokens SET data = ? WHERE token = ?", (_dump(data), token))

    # -- OAuth clients and refresh tokens ------------------------------------------------------

    def set_oauth_client(self, client_id: str, client_secret: str) -> None:
        """Register an OAuth client (a new secret replaces the old one)."""
        self._execute(
            "INSERT OR REPLACE INTO oauth_clients (client_id, client_secret) VALUES (?, ?)",
            (client_id, client_secret),
        )

    def oauth_client_secret(self, client_id: str) -> str | None:
        """The secret of a registered OAuth client, or None if unknown."""
        rows = self._query(
            "SELECT client_secret FROM oauth_clients WHERE client_id = ?", (client_id,)
        )
        return str(rows[0][0]) if rows else None

    def add_refresh_token(self, token: str, client_id: str, data: dict[str, Any]) -> None:
        """Register an unused refresh token of ``client_id`` authorizing ``data``."""
        self._execute(
            "INSERT INTO refresh_tokens (token, client_id, data) VALUES (?, ?, ?)",
            (token, client_id, _dump(data)),
        )

    def refresh_grant(self, token: str) -> RefreshGrant | None:
        """A refresh token's record, or None if it was never issued."""
        rows = self._query(
            "SELECT client_id, data, used FROM refresh_tokens WHERE token = ?", (token,)
        )
        if not rows:
            return None
        client_id, data, used = rows[0]
        return RefreshGrant(token, str(client_id), json.loads(data), bool(used))

    def use_refresh_token(self, token: str) -> bool:
        """Mark a refresh token used; False when it is unknown or was already used."""
        return (
            self._execute(
                "UPDATE refresh_tokens SET used = 1 WHERE token = ? AND used = 0", (token,)
            )
            > 0
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
