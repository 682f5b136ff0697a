"""Trigger links end to end through the CLI on the embedded sandbox: create, templated per
location, update in place keeping the id (and merge field), rename, prune, one list call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "TrGl1nKsL0cAt10nAbCd"
BUNDLE = """\
triggerLinks:
  - {name: Spring offer, redirectTo: "https://{{ location.name }}.acme.example/spring"}
  - {name: Book now, redirectTo: "https://acme.example/book?src=sms&x=1"}
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    return KindProject(tmp_path, LOC, BUNDLE)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def by_name(project: KindProject) -> dict[str, dict[str, str]]:
    return {link["name"]: link for link in project.objects("triggerLinks")}


def test_create_templated_then_no_changes(project: KindProject) -> None:
    plan = project("plan", "--sandbox")
    assert '  + trigger link "Spring offer"' in plan.stdout
    assert "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    project.converges()
    links = by_name(project)
    assert links["Spring offer"]["redirectTo"] == "https://main.acme.example/spring"
    assert links["Book now"]["redirectTo"] == "https://acme.example/book?src=sms&x=1"
    link_id = links["Book now"]["id"]
    assert len(link_id) == 20 and link_id.isalnum()
    assert links["Book now"]["fieldKey"] == f"{{{{trigger_link.{link_id}}}}}"


def test_redirect_change_updates_in_place(project: KindProject) -> None:
    project.converges()
    before = by_name(project)["Book now"]
    project.write(BUNDLE.replace("book?src=sms&x=1", "booking"))
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert f'  ~ trigger link "Book now" (id {before["id"]})' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = by_name(project)["Book now"]
    assert after["id"] == before["id"] and after["fieldKey"] == before["fieldKey"]
    assert after["redirectTo"] == "https://acme.example/booking"
    project.no_changes()


def test_rename_with_renamed_from_keeps_the_link(project: KindProject) -> None:
    project.converges()
    before = by_name(project)["Book now"]
    project.write(BUNDLE.replace("name: Book now,", "name: Book today, renamedFrom: Book now,"))
    plan = json.loads(project("plan", "--sandbox", "--json").stdout)
    [change] = plan["locations"][0]["changes"]
    assert (change["action"], change["id"]) == ("update", before["id"])
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert by_name(project)["Book today"]["id"] == before["id"]
    assert "Book now" not in by_name(project)


def test_live_only_link_is_unmanaged_then_pruned(project: KindProject) -> None:
    project.seed({"triggerLinks": [{"name": "Old promo", "redirectTo": "https://old.example"}]})
    project.converges()
    assert set(by_name(project)) == {"Spring offer", "Book now", "Old promo"}
    (project.directory / "ghlops.yaml").write_text(
        (project.directory / "ghlops.yaml").read_text() + "policy:\n  prune: [triggerLinks]\n"
    )
    plan = project("plan", "--sandbox")
    assert '  - trigger link "Old promo"' in plan.stdout and "DESTRUCTIVE" in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert set(by_name(project)) == {"Spring offer", "Book now"}


def test_unchanged_plan_makes_one_list_call(project: KindProject, calls: Calls) -> None:
    project.converges()
    calls.seen.clear()
    project.no_changes()
    assert calls.under("/links") == [("GET", f"/links/?locationId={LOC}")]
