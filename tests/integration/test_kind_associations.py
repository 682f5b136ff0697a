"""Associations end to end through the CLI on the embedded sandbox: created after the custom
object they name (in one apply), labels updated in place, an undeclared object refused, GHL's
system association left alone, every page read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "PetCareL0cat10nAbCd2"
AGENCY = "agency: {companyId: PetCareAgencyCompany}\n"
BUNDLE = """\
customObjects:
  - key: custom_objects.pets
    labels: {singular: Pet, plural: Pets}
    primaryDisplayPropertyDetails: {key: name, name: Pet name, dataType: TEXT}
associations:
  - key: pet_owner
    firstObjectKey: custom_objects.pets
    firstObjectLabel: Pet
    secondObjectKey: contact
    secondObjectLabel: Owner
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    return KindProject(tmp_path, LOC, BUNDLE, AGENCY)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def test_created_after_its_object_then_no_changes(project: KindProject, calls: Calls) -> None:
    project.converges()
    [association] = project.objects("associations")
    assert (
        association["key"],
        association["firstObjectKey"],
        association["secondObjectLabel"],
    ) == (
        "pet_owner",
        "custom_objects.pets",
        "Owner",
    )
    posts = [t for m, t in calls.seen if m == "POST"]
    assert posts.index("/objects/") < posts.index("/associations/")


def test_labels_update_in_place(project: KindProject) -> None:
    project.converges()
    [before] = project.objects("associations")
    project.write(BUNDLE.replace("secondObjectLabel: Owner", "secondObjectLabel: Guardian"))
    plan = project("plan", "--sandbox", "--json")
    [change] = json.loads(plan.stdout)["locations"][0]["changes"]
    assert (change["action"], change["key"]) == ("update", "pet_owner")
    project.converges()
    [after] = project.objects("associations")
    assert after["id"] == before["id"] and after["secondObjectLabel"] == "Guardian"


def test_an_unknown_custom_object_fails_the_plan(project: KindProject) -> None:
    project.write(
        BUNDLE.replace("firstObjectKey: custom_objects.pets", "firstObjectKey: custom_objects.cars")
    )
    plan = project("plan", "--sandbox")
    assert plan.exit_code == 1, plan.output
    assert "firstObjectKey 'custom_objects.cars' is neither contact" in plan.output


def test_every_page_is_read_and_the_system_association_is_not_unmanaged(
    project: KindProject, calls: Calls
) -> None:
    project.converges()
    with project.sandbox() as sb:
        for i in range(105):
            sb.store.insert(
                LOC,
                "associations",
                f"seeded{i:014d}",
                {
                    "id": f"seeded{i:014d}",
                    "locationId": LOC,
                    "key": f"seeded_{i}",
                    "firstObjectKey": "contact",
                    "firstObjectLabel": "A",
                    "secondObjectKey": "contact",
                    "secondObjectLabel": "B",
                    "associationType": "USER_DEFINED",
                },
            )
    calls.seen.clear()
    plan = project("plan", "--sandbox", "--json")
    [loc] = json.loads(plan.stdout)["locations"]
    assert loc["unmanaged"] == {"associations": 105}
    assert loc["changes"] == []
    pages = calls.to("/associations/")
    assert len(pages) == 2 and "skip=100" in pages[1], pages
