"""Id generators in GHL's formats (notes 0.6): Firestore ids, Mongo ObjectIds, UUIDs."""

from __future__ import annotations

import itertools
import os
import secrets
import string
import threading
import time
import uuid

_ALNUM = string.ascii_letters + string.digits
_OID_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))
_OID_LOCK = threading.Lock()
_OID_PROCESS = os.urandom(5)


def firestore_id() -> str:
    """A 20-character alphanumeric id (locations, tags, custom fields/values, calendars, ...)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(20))


def object_id() -> str:
    """A 24-hex-digit Mongo ObjectId (products, prices, store objects): time, random, counter."""
    with _OID_LOCK:
        counter = next(_OID_COUNTER) & 0xFFFFFF
    raw = int(time.time()).to_bytes(4, "big") + _OID_PROCESS + counter.to_bytes(3, "big")
    return raw.hex()


def uuid_id() -> str:
    """A random UUID string (pipeline stages, custom menus)."""
    return str(uuid.uuid4())


def sandbox_token() -> str:
    """A bearer token for a sandbox location: ``sbx-`` and 32 URL-safe characters."""
    return "sbx-" + secrets.token_urlsafe(24)
