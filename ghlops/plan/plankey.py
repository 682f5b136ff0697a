"""The plan key: the secret that keys every digest in a plan file.

A plan file holds digests of what it was computed from (live state, rendered manifests, its
changes, the project files), and those cover values the file shows masked. Keyed with a salt
stored in the same file, a short secret (a 4-digit PIN, a door code) could be recovered offline
by trying every value. So the digests are HMAC-SHA-256 keyed with a secret kept *outside* the
plan file (and with the file's random salt, so the digests of two files never match):

- ``GHLOPS_PLAN_KEY`` (at least 32 characters), when set: the way for CI, where the plan and the
  apply run on different machines — one repository secret given to both jobs;
- otherwise ``.ghlops/plan-key`` in the project folder, made (mode 0600, 32 random bytes) by the
  first ``ghlops plan --out``.

The plan file records only the key's id (an HMAC of a fixed text, which tells nothing of the
key), so an apply with another key says so instead of calling every location stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ghlops.errors import ConfigError
from ghlops.fileio import read_limited
from ghlops.secrets import register_secret

ENV = "GHLOPS_PLAN_KEY"
KEY_FILE = Path(".ghlops") / "plan-key"
MIN_ENV_LENGTH = 32
_ID_TEXT = b"ghlops plan key id"


@dataclass(frozen=True)
class PlanKey:
    secret: bytes
    source: str  # "GHLOPS_PLAN_KEY" or ".ghlops/plan-key", for messages

    @property
    def key_id(self) -> str:
        return hmac.new(self.secret, _ID_TEXT, hashlib.sha256).hexdigest()[:16]

    def digest(self, salt: str, digest: str) -> str:
        """``digest`` keyed with this key and the plan file's ``salt``."""
        return hmac.new(self.secret, f"{salt}:{digest}".encode(), hashlib.sha256).hexdigest()


def plan_key(root: Path, *, create: bool) -> PlanKey | None:
    """The plan key of the project at ``root``: ``GHLOPS_PLAN_KEY``, else ``.ghlops/plan-key``
    (made when ``create`` and missing). None when there is none and ``create`` is false."""
    value = os.environ.get(ENV, "")
    if value:
        if len(value) < MIN_ENV_LENGTH:
            raise ConfigError(
                f"{ENV} is {len(value)} characters long; a plan key must have at least "
                f"{MIN_ENV_LENGTH} (for example: python -c 'import secrets; "
                f"print(secrets.token_hex(32))')"
            )
        register_secret(value)
        return PlanKey(value.encode("utf-8"), ENV)
    path = root / KEY_FILE
    if not path.exists() and not path.is_symlink():
        if not create:
            return None
        _make_key_file(path)
    try:
        text = read_limited(path, 1024, f"plan key {KEY_FILE}").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the plan key {KEY_FILE}: {exc}") from None
    if len(text) < MIN_ENV_LENGTH:
        raise ConfigError(f"the plan key {KEY_FILE} is damaged (too short); remove it")
    register_secret(text)
    return PlanKey(text.encode("utf-8"), str(KEY_FILE))


def _make_key_file(path: Path) -> None:
    """Write a new key whole or not at all (a kill mid-way leaves no short key): into a
    temporary file, then linked to its name, which fails when another process made it first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), stat.S_IRUSR | stat.S_IWUSR)
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs
            os.link(temporary, path)
    except OSError as exc:
        raise ConfigError(
            f"cannot make the plan key {KEY_FILE}: {exc.strerror or type(exc).__name__}"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def require_plan_key(root: Path, key_id: str, plan_name: str) -> PlanKey:
    """The key a plan file was made with (its ``plan_key_id``), or an error saying why not."""
    key = plan_key(root, create=False)
    if key is None:
        raise ConfigError(
            f"{plan_name} cannot be applied here: its digests are keyed with a plan key this "
            f"checkout does not have (no {ENV}, no {KEY_FILE}). Apply where it was planned, or "
            f"set {ENV} to the same secret for the plan and the apply. Nothing was applied"
        )
    if key.key_id != key_id:
        raise ConfigError(
            f"{plan_name} cannot be applied here: it was made with another plan key than "
            f"{key.source}. Apply where it was planned, or set {ENV} to the same secret for "
            f"the plan and the apply. Nothing was applied"
        )
    return key
