"""Updates, replaces, unmanaged objects and pruning, end to end on the embedded sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.cli import Runner

DOWNTOWN = "ve9EPM428h8vShlRW1KT"
UPTOWN = "Xk3pQ9wRt7LmN2bV5cZa"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def sandbox_of(project: Path) -> Sandbox:
    return Sandbox(project / ".ghlops" / "sandbox.sqlite3")


def by_name(project: Path, location: str, kind: str) -> dict[str, dict[str, object]]:
    sb = sandbox_of(project)
    try:
        return {str(o["name"]): o for o in sb.objects(location, kind)}
    finally:
        sb.close()


@pytest.fixture
def applied(ghlops: Runner) -> Runner:
    result = ghlops("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return ghlops


def ui_create_tag(project: Path, location: str, name: str) -> None:
    """What a user clicking in GHL would do: create an object ghlops does not manage."""
    sb = sandbox_of(project)
    try:
        token = sb.provision_location(location)
        with httpx.Client(
            transport=sb.transport(),
            base_url="https://services.leadconnectorhq.com",
            headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
        ) as http:
            http.post(f"/locations/{location}/tags", json={"name": name}).raise_for_status()
    finally:
        sb.close()


def test_changed_values_are_updates_of_the_same_objects(applied: Runner) -> None:
    project = applied.directory
    before = by_name(project, UPTOWN, "customValues")
    fields_before = by_name(project, UPTOWN, "customFields")
    edit(project / "ghlops.yaml", "brand: Acme Dental", "brand: Acme Smiles")
    edit(
        project / "bundles/base/fields.yaml",
        'placeholder: "Your pet\'s name"',
        'placeholder: "Name of your pet"',
    )

    plan = applied("plan", "--sandbox", "--detailed-exitcode", "--location", "uptown")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ custom value "Brand Name" (id {before["Brand Name"]["id"]})' in plan.stdout
    assert '      value: "Acme Dental" → "Acme Smiles"' in plan.stdout
    assert '  ~ custom field "contact:Pet Name"' in plan.stdout
    assert '      placeholder: "Your pet\'s name" → "Name of your pet"' in plan.stdout
    assert "Plan: 0 to create, 2 to update, 0 to replace, 0 to delete." in plan.stdout

    result = applied("apply", "--sandbox", "--auto-approve", "--location", "uptown")
    assert result.exit_code == 0, result.output
    after = by_name(project, UPTOWN, "customValues")
    assert after["Brand Name"]["id"] == before["Brand Name"]["id"]
    assert after["Brand Name"]["value"] == "Acme Smiles"
    fields_after = by_name(project, UPTOWN, "customFields")
    assert fields_after["Pet Name"]["id"] == fields_before["Pet Name"]["id"]
    assert fields_after["Pet Name"]["placeholder"] == "Name of your pet"
    assert applied("plan", "--sandbox", "--detailed-exitcode", "-l", "uptown").exit_code == 0


def test_datatype_change_is_a_destructive_replace(applied: Runner) -> None:
    project = applied.directory
    old = by_name(project, DOWNTOWN, "customFields")["Insurance Provider"]
    edit(
        project / "bundles/base/fields.yaml",
        "  - name: Insurance Provider\n    model: contact\n    dataType: TEXT",
        "  - name: Insurance Provider\n    model: contact\n    dataType: LARGE_TEXT",
    )

    plan = applied("plan", "--sandbox", "--location", "downtown")
    assert plan.exit_code == 0, plan.output
    assert (
        f'  -/+ custom field "contact:Insurance Provider" (id {old["id"]})  DESTRUCTIVE'
        in plan.stdout
    )
    assert '      dataType: "TEXT" → "LARGE_TEXT"' in plan.stdout
    assert "data stored in it is lost" in plan.stdout
    as_json = json.loads(applied("plan", "--sandbox", "--json", "-l", "downtown").stdout)
    [change] = as_json["locations"][0]["changes"]
    assert change["action"] == "replace" and change["destructive"] is True

    result = applied("apply", "--sandbox", "--auto-approve", "--location", "downtown")
    assert result.exit_code == 0, result.output
    new = by_name(project, DOWNTOWN, "customFields")["Insurance Provider"]
    assert new["id"] != old["id"]
    assert new["dataType"] == "LARGE_TEXT"
    assert new["fieldKey"] == old["fieldKey"], "deleted before re-created, so the key is reused"
    assert applied("plan", "--sandbox", "--detailed-exitcode", "-l", "downtown").exit_code == 0


def test_unmanaged_objects_are_left_alone_unless_pruned(applied: Runner) -> None:
    project = applied.directory
    ui_create_tag(project, UPTOWN, "from-the-ui")

    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "2 locations unchanged\n  unmanaged in them: 1 (tags 1) — live only" in plan.stdout
    assert "No changes." in plan.stdout
    assert applied("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert "from-the-ui" in by_name(project, UPTOWN, "tags")

    edit(project / "ghlops.yaml", "prune: []", "prune: [tags]")
    pruned = applied("plan", "--sandbox", "--detailed-exitcode")
    assert pruned.exit_code == 2
    assert re.search(r'  - tag "from-the-ui" \(id \w{20}\)  DESTRUCTIVE', pruned.stdout)
    assert "policy.prune includes tags" in pruned.stdout
    assert applied("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert "from-the-ui" not in by_name(project, UPTOWN, "tags")
    assert set(by_name(project, DOWNTOWN, "tags")) == {
        "vip",
        "new-patient",
        "springfield-lead",
        "parking-validated",
    }


def test_api_422_names_location_and_resource_and_stops_that_location(ghlops: Runner) -> None:
    project = ghlops.directory
    # An empty value passes ghlops' own checks; GHL's API rejects it (class-validator IsNotEmpty).
    edit(project / "bundles/base/fields.yaml", 'value: "{{ vars.city }}"', 'value: ""')
    result = ghlops("apply", "--sandbox", "--auto-approve", "--location", "uptown")
    assert result.exit_code == 3, result.output
    assert (
        "uptown: + custom value \"Clinic City\": FAILED: create custom value 'Clinic City': "
        f"POST /locations/{UPTOWN}/customValues → 422 Unprocessable Entity: "
        "value should not be empty"
    ) in result.stderr
    assert "stopped at the first failure" in result.stderr
    assert "Traceback" not in result.output
    # Everything before the failure was applied; the rest was not attempted and is still planned.
    follow = json.loads(ghlops("plan", "--sandbox", "--json", "-l", "uptown").stdout)
    assert [c["key"] for c in follow["locations"][0]["changes"]] == ["Clinic City"]


def test_apply_that_fails_first_exits_1(ghlops: Runner) -> None:
    edit(ghlops.directory / "bundles/base/tags.yaml", "  - name: vip\n", "")
    edit(ghlops.directory / "bundles/base/tags.yaml", "  - name: new-patient\n", "")
    edit(
        ghlops.directory / "bundles/base/tags.yaml",
        '  - name: "{{ vars.city | lower }}-lead"\n',
        "",
    )
    edit(ghlops.directory / "bundles/base/fields.yaml", "customFields:", "notAKind: []\nx:")
    result = ghlops("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 1
    assert "bundles/base/fields.yaml" in result.stderr
