"""The plan key: digests in plan files give nothing away offline, and only the key compares them.

The attack: someone with the plan file (a CI artifact) knows every part of the plan except a
masked 4-digit door code, and tries all 10,000 values against every digest the file holds, with
every key the file holds (here: 200 values around the true one). Nothing must match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import pytest

from ghlops.errors import ConfigError
from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, Plan, frozen
from ghlops.plan.planfile import changes_checksum, plan_document
from ghlops.plan.plankey import ENV, KEY_FILE, PlanKey, plan_key, require_plan_key

DOOR = "4821"


def _door_plan(code: str) -> LocationPlan:
    change = Change(
        Action.UPDATE,
        "customValues",
        "Door Code",
        "bbbbbbbbbbbbbbbbbbb2",
        frozen({"name": "Door Code", "value": code}),
        frozen({"name": "Door Code", "value": "0000"}),
        (FieldDiff("value", code, "0000"),),
    )
    live = hashlib.sha256(json.dumps({"Door Code": code}).encode()).hexdigest()
    return LocationPlan(
        "downtown", "ve9EPM428h8vShlRW1KT", (change,), live_digests={"customValues": live}
    )


def _candidates_matching(document: dict[str, object]) -> list[str]:
    """Door codes whose digests, computed with what the file holds, match the file's."""
    keys = [b""] + [str(v).encode() for k, v in document.items() if "salt" in k or "key" in k]
    (saved,) = document["locations"]  # type: ignore[misc]
    targets = {saved["changes_checksum"], *saved["live_digests"].values()}
    found = []
    for n in range(4700, 4900):  # the true code among them: enough to show a match
        code = f"{n:04d}"
        loc = _door_plan(code)
        for digest in (changes_checksum(loc), *loc.live_digests.values()):
            tries = {digest} | {
                hmac.new(key, message, hashlib.sha256).hexdigest()
                for key in keys
                for message in (digest.encode(), f"{key.decode()}:{digest}".encode())
            }
            if tries & targets:
                found.append(code)
    return found


def test_a_masked_short_secret_cannot_be_recovered_from_the_plan_file() -> None:
    key = PlanKey(os.urandom(32), "test")
    document = plan_document(Plan((_door_plan(DOOR),)), {}, key=key)
    assert document["plan_key_id"] == key.key_id
    assert key.secret.hex() not in json.dumps(document)
    assert _candidates_matching(document) == []


def test_project_file_digests_are_keyed() -> None:
    key = PlanKey(os.urandom(32), "test")
    short = {"bundles/pin.yaml": hashlib.sha256(b"pin: 4821\n").hexdigest()}
    document = plan_document(Plan(()), {}, project_files=short, key=key)
    saved = document["project_files"]["bundles/pin.yaml"]
    salt = str(document["digest_salt"])
    for n in range(4800, 4900):
        plain = hashlib.sha256(f"pin: {n:04d}\n".encode()).hexdigest()
        assert saved not in (plain, hmac.new(salt.encode(), plain.encode(), "sha256").hexdigest())
    assert saved == key.digest(salt, short["bundles/pin.yaml"])


def test_the_key_file_is_made_once_private_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert plan_key(tmp_path, create=False) is None
    made = plan_key(tmp_path, create=True)
    assert made is not None and made.source == str(KEY_FILE)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    again = plan_key(tmp_path, create=True)
    assert again is not None and again.key_id == made.key_id
    assert require_plan_key(tmp_path, made.key_id, "plan.json") == made


def test_the_environment_key_wins_and_must_be_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "x" * 40)
    key = plan_key(tmp_path, create=True)
    assert key is not None and key.source == ENV and not (tmp_path / KEY_FILE).exists()
    monkeypatch.setenv(ENV, "short")
    with pytest.raises(ConfigError, match=f"{ENV} is 5 characters long"):
        plan_key(tmp_path, create=True)


def test_an_apply_without_the_key_or_with_another_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(ConfigError) as missing:
        require_plan_key(tmp_path, "0123456789abcdef", "plan.json")
    assert str(missing.value) == (
        "plan.json cannot be applied here: its digests are keyed with a plan key this checkout "
        f"does not have (no {ENV}, no {KEY_FILE}). Apply where it was planned, or set {ENV} to "
        "the same secret for the plan and the apply. Nothing was applied"
    )
    monkeypatch.setenv(ENV, "y" * 40)
    with pytest.raises(ConfigError, match="it was made with another plan key than GHLOPS_PLAN"):
        require_plan_key(tmp_path, "0123456789abcdef", "plan.json")
