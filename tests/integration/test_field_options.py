"""Dropdown custom fields with their options: declared, sent on create and update, read back from
``picklistOptions``, compared regardless of order; plan, apply, export, re-plan = no changes."""

from __future__ import annotations

from pathlib import Path

import yaml

from ghlops.models.custom_field import CustomField
from ghlops.resources.custom_fields import CustomFieldAdapter, UnorderedList
from ghlops.sandbox import Sandbox
from tests.helpers.cli import Runner

DOWNTOWN = "ve9EPM428h8vShlRW1KT"
DB = Path(".ghlops") / "sandbox.sqlite3"
FIELDS = """
customFields:
  - name: Pet Name
    model: contact
    dataType: TEXT
  - name: Insurance Provider
    model: contact
    dataType: TEXT
  - name: Treatment Value
    model: opportunity
    dataType: MONETORY
  - name: Preferred Time
    model: contact
    dataType: SINGLE_OPTIONS
    options: [Morning, Afternoon, Evening]
  - name: Services
    model: opportunity
    dataType: MULTIPLE_OPTIONS
    options: [Cleaning, Whitening]
"""


def options_of(project: Path, name: str) -> list[str]:
    with Sandbox(project / DB) as sb:
        field = next(f for f in sb.objects(DOWNTOWN, "customFields") if f["name"] == name)
    return list(field["picklistOptions"])


def test_options_round_trip(ghlops: Runner, tmp_path: Path) -> None:
    project = ghlops.directory
    (project / "bundles" / "base" / "fields.yaml").write_text(FIELDS)
    first = ghlops("plan", "--sandbox", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert ghlops("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert options_of(project, "Preferred Time") == ["Morning", "Afternoon", "Evening"]
    assert options_of(project, "Services") == ["Cleaning", "Whitening"]
    again = ghlops("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    # GHL answering the options in another order is no change
    with Sandbox(project / DB) as sb:
        for obj in sb.store.list(DOWNTOWN, "customFields"):
            if obj.data["name"] == "Preferred Time":
                sb.store.update(
                    "customFields",
                    obj.id,
                    {**obj.data, "picklistOptions": ["Evening", "Morning", "Afternoon"]},
                )
    assert ghlops("plan", "--sandbox", "--detailed-exitcode").exit_code == 0

    # a changed option is an update that sends the declared list
    (project / "bundles" / "base" / "fields.yaml").write_text(
        FIELDS.replace("[Morning, Afternoon, Evening]", "[Morning, Afternoon, Evening, Weekend]")
    )
    changed = ghlops("plan", "--sandbox", "--detailed-exitcode")
    assert changed.exit_code == 2 and "options" in changed.stdout, changed.output
    assert ghlops("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert options_of(project, "Preferred Time") == ["Morning", "Afternoon", "Evening", "Weekend"]

    # export, then plan the exported project: no changes
    out = tmp_path / "exported"
    exported = ghlops("export", "--sandbox", "--out", str(out), "--write-project")
    assert exported.exit_code == 0, exported.output
    texts = "\n".join(p.read_text() for p in sorted(out.rglob("*.yaml")))
    assert "Weekend" in texts
    (out / ".ghlops").mkdir(exist_ok=True)
    (out / DB).write_bytes((project / DB).read_bytes())
    replanned = Runner(out)("plan", "--sandbox", "--detailed-exitcode")
    assert replanned.exit_code == 0, replanned.output
    exported_fields = [
        item
        for path in out.rglob("*.yaml")
        for item in (yaml.safe_load(path.read_text()) or {}).get("customFields", [])
        if isinstance(item, dict)
    ]
    weekend = [f for f in exported_fields if f.get("name") == "Preferred Time"]
    assert weekend and sorted(weekend[0]["options"]) == [
        "Afternoon",
        "Evening",
        "Morning",
        "Weekend",
    ]


def test_options_are_only_for_option_types(ghlops: Runner) -> None:
    (ghlops.directory / "bundles" / "base" / "fields.yaml").write_text(
        "customFields:\n  - {name: Pet, dataType: TEXT, options: [a, b]}\n"
    )
    result = ghlops("validate")
    assert result.exit_code == 1
    assert "options are only for dataType SINGLE_OPTIONS, MULTIPLE_OPTIONS, RADIO, CHECKBOX" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_options_compare_regardless_of_order() -> None:
    adapter = CustomFieldAdapter()
    spec = CustomField(name="T", dataType="RADIO", options=["a", "b"])
    desired = adapter.desired_item(spec)
    live = adapter.live_item(
        {
            "id": "f1",
            "name": "T",
            "model": "contact",
            "dataType": "RADIO",
            "picklistOptions": ["b", "a"],
        }
    )
    assert isinstance(desired.fields["options"], UnorderedList)
    assert desired.fields["options"] == live.fields["options"]
    assert UnorderedList(["a", "b"]) != ["a", "c"]
    objects = adapter.live_item(
        {
            "id": "f2",
            "name": "U",
            "dataType": "RADIO",
            "picklistOptions": [{"label": "x", "key": "y"}],
        }
    )
    assert list(objects.fields["options"]) == ["x"]
