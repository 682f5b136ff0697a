"""Custom objects with their folders and fields, end to end through the CLI on the embedded
sandbox: created with the agency's token, updated in place, options never removed, a pruned
object is a manual change (the API has no delete), reads per object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "PetCareL0cat10nAbCd1"
COMPANY = "PetCareAgencyCompany"
AGENCY = f"agency: {{companyId: {COMPANY}}}\n"
BUNDLE = """\
customObjects:
  - key: custom_objects.pets
    labels: {singular: Pet, plural: Pets}
    description: Our clients' pets
    primaryDisplayPropertyDetails: {key: name, name: Pet name, dataType: TEXT}
    folders:
      - name: Health
    fields:
      - fieldKey: species
        name: Species
        dataType: SINGLE_OPTIONS
        options:
          - {key: dog, label: Dog}
          - {key: cat, label: Cat}
      - fieldKey: custom_objects.pets.vaccinated_on
        name: Vaccinated on
        dataType: DATE
        folder: Health
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    return KindProject(tmp_path, LOC, BUNDLE, AGENCY)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def fields_by_key(project: KindProject) -> dict[str, dict[str, object]]:
    return {str(f["fieldKey"]): f for f in project.objects("customObjectFields")}


def test_create_then_no_changes(project: KindProject, calls: Calls) -> None:
    plan = project("plan", "--sandbox")
    assert '+ custom object "custom_objects.pets"' in plan.stdout, plan.stdout
    assert "Plan: 4 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    project.converges()
    [pets] = project.objects("customObjects")
    assert pets["labels"] == {"singular": "Pet", "plural": "Pets"}
    assert len(pets["id"]) == 24 and int(pets["id"], 16) >= 0
    assert pets["primaryDisplayProperty"] == "custom_objects.pets.name"
    fields = fields_by_key(project)
    assert set(fields) == {
        "custom_objects.pets.name",
        "custom_objects.pets.species",
        "custom_objects.pets.vaccinated_on",
    }
    folders = {f["id"]: f["name"] for f in project.objects("customObjectFolders")}
    assert folders[str(fields["custom_objects.pets.vaccinated_on"]["parentId"])] == "Health"
    # a field without a folder goes into the object's first folder
    assert folders[str(fields["custom_objects.pets.species"]["parentId"])] == "General Info"
    # the object was created with the agency's token, the rest with the location's
    assert ("POST", "/objects/") in calls.seen


def test_without_an_agency_the_create_fails_clearly(tmp_path: Path) -> None:
    """The create takes the agency's token: without an agency the plan is refused up front
    (nothing applied), naming what to add and the flag that applies the rest."""
    project = KindProject(tmp_path, LOC, BUNDLE)
    applied = project("apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert "GHL takes only the agency's token for customObjects create" in applied.output
    assert "add 'agency: {companyId: ..., tokenEnv: ...}'" in applied.output
    assert "use --exclude-kind customObjects to proceed" in applied.output
    assert "Apply refused; nothing was changed." in applied.output
    assert project.objects("customObjects") == []


def test_updates_in_place_and_options_are_never_removed(project: KindProject) -> None:
    project.converges()
    [before] = project.objects("customObjects")
    species_id = fields_by_key(project)["custom_objects.pets.species"]["id"]
    project.write(
        BUNDLE.replace("Our clients' pets", "Pets we care for")
        .replace("plural: Pets}", "plural: Animals}")
        .replace("- {key: cat, label: Cat}", "- {key: bird, label: Bird}")
    )
    plan = project("plan", "--sandbox", "--json")
    changes = json.loads(plan.stdout)["locations"][0]["changes"]
    assert [(c["action"], c["key"]) for c in changes] == [
        ("update", "custom_objects.pets"),
        ("update", "custom_objects.pets/species"),
    ]
    assert any("'cat' are not in the manifest but stay" in r for r in changes[1]["reasons"])
    project.converges()
    [after] = project.objects("customObjects")
    assert after["id"] == before["id"]
    assert after["labels"]["plural"] == "Animals"
    with project.sandbox() as sb:  # stored, never returned
        [stored] = sb.store.list(LOC, "customObjects")
    assert stored.data["searchableProperties"] == ["custom_objects.pets.name"]
    species = fields_by_key(project)["custom_objects.pets.species"]
    assert species["id"] == species_id
    assert [o["key"] for o in species["options"]] == ["dog", "bird", "cat"]  # type: ignore[index]


def test_a_type_change_replaces_the_field(project: KindProject) -> None:
    project.converges()
    project.write(BUNDLE.replace("dataType: DATE", "dataType: TEXT"))
    plan = project("plan", "--sandbox", "--json")
    changes = json.loads(plan.stdout)["locations"][0]["changes"]
    assert [(c["action"], c["key"], c["destructive"]) for c in changes] == [
        ("replace", "custom_objects.pets/vaccinated_on", True)
    ]
    project.converges()
    assert fields_by_key(project)["custom_objects.pets.vaccinated_on"]["dataType"] == "TEXT"


def test_a_pruned_object_is_manual_never_a_call(project: KindProject, calls: Calls) -> None:
    project.converges()
    (project.directory / "ghlops.yaml").write_text(
        "version: 1\nlocations:\n"
        f"  - {{name: main, id: {LOC}, bundles: [bundles/main]}}\n{AGENCY}"
        "policy: {prune: [customObjects, customObjectFields]}\n"
    )
    project.write("customObjects: []\ntags: [{name: keep}]\n")
    plan = project("plan", "--sandbox", "--json")
    [loc] = json.loads(plan.stdout)["locations"]
    manual = [c for c in loc["changes"] if c["action"] == "manual"]
    assert [(c["kind"], c["key"], c["destructive"]) for c in manual] == [
        ("customObjects", "custom_objects.pets", False)
    ]
    assert "delete by hand: the API has no delete for customObjects" in manual[0]["reasons"][0]
    assert "Settings → Objects → 'Pets' → Delete object" in manual[0]["reasons"][1]
    # its fields go with it when a person deletes it: not deleted one by one
    assert not [c for c in loc["changes"] if c["kind"] == "customObjectFields"]
    applied = project("apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert len(project.objects("customObjects")) == 1
    assert not [m for m, t in calls.seen if m == "DELETE"]


def test_an_unchanged_plan_reads_each_object_once_per_nested_kind(
    project: KindProject, calls: Calls
) -> None:
    project.converges()
    calls.seen.clear()
    project.no_changes()
    assert calls.to("/objects/") == [f"/objects/?locationId={LOC}"]
    assert len(calls.to("/custom-fields/object-key/custom_objects.pets")) == 2  # folders, fields


def test_export_round_trip(project: KindProject, tmp_path: Path) -> None:
    project.converges()
    out = tmp_path / "exported"
    exported = project("export", "--sandbox", "--location", "main", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    text = "\n".join(p.read_text() for p in sorted(out.rglob("*.yaml")))
    assert "custom_objects.pets" in text and "vaccinated_on" in text
