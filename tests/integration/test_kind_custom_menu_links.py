"""Agency-level custom menu links: declared per location, one agency object each, planned once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import Sandbox

COMPANY = "AcmeAgencyCompany001"
A, B, C = "LocAAAAAAAAAAAAAAAA1", "LocBBBBBBBBBBBBBBBB2", "LocCCCCCCCCCCCCCCCC3"
KIND = "customMenus"  # the sandbox's stored kind

PROJECT = f"""
version: 1
agency: {{companyId: {COMPANY}, tokenEnv: GHL_AGENCY_TOKEN}}
defaults:
  bundles: [bundles/base]
locations:
  - {{name: clinic-a, id: {A}, tokenEnv: GHL_TOKEN_A}}
  - {{name: clinic-b, id: {B}, tokenEnv: GHL_TOKEN_B}}
  - {{name: clinic-c, id: {C}, tokenEnv: GHL_TOKEN_C, bundles: [bundles/c]}}
"""
BASE = """
customMenuLinks:
  - title: Patient Portal
    url: https://portal.example.com
    icon: {name: tooth, fontFamily: fas}
tags:
  - name: vip
"""
ONLY_C = """
customMenuLinks:
  - title: Help Desk
    url: https://help.example.com
    icon: {name: life-ring, fontFamily: fas}
    openMode: new_tab
    showToAllLocations: true
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "agency"
    (root / "bundles" / "base").mkdir(parents=True)
    (root / "bundles" / "c").mkdir()
    (root / "ghlops.yaml").write_text(PROJECT)
    (root / "bundles" / "base" / "links.yaml").write_text(BASE)
    (root / "bundles" / "c" / "links.yaml").write_text(ONLY_C)
    return root


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


def links(project: Path) -> dict[str, dict[str, object]]:
    with Sandbox(project / ".ghlops" / "sandbox.sqlite3") as sb:
        return {str(o["title"]): o for o in sb.objects(COMPANY, KIND)}


def test_links_are_planned_once_under_agency_and_converge(project: Path) -> None:
    plan = run(project, "plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert plan.stdout.count('+ custom menu link "Patient Portal"') == 1
    assert f"Agency {COMPANY}\n" in plan.stdout
    agency_part = plan.stdout.split(f"Agency {COMPANY}")[1]
    assert '+ custom menu link "Patient Portal"' in agency_part
    assert f'locations: ["{A}", "{B}"]' in agency_part
    data = json.loads(run(project, "plan", "--sandbox", "--json").stdout)
    assert data["agency"]["id"] == COMPANY
    assert {c["key"] for c in data["agency"]["changes"]} == {"Patient Portal", "Help Desk"}
    assert all(c["kind"] != "customMenuLinks" for loc in data["locations"] for c in loc["changes"])

    applied = run(project, "apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    made = links(project)
    assert sorted(made["Patient Portal"]["locations"]) == [A, B]  # type: ignore[arg-type]
    assert made["Help Desk"]["showToAllLocations"] is True
    assert run(project, "plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_declaring_in_another_location_updates_membership(project: Path) -> None:
    assert run(project, "apply", "--sandbox", "--auto-approve").exit_code == 0
    before = links(project)["Patient Portal"]
    (project / "bundles" / "c" / "portal.yaml").write_text(BASE)
    plan = run(project, "plan", "--sandbox", "--location", "clinic-c")
    assert f'      locations: ["{A}", "{B}"] → ["{A}", "{B}", "{C}"]' in plan.stdout, plan.output
    assert run(project, "apply", "--sandbox", "--auto-approve", "-l", "clinic-c").exit_code == 0
    after = links(project)["Patient Portal"]
    assert after["id"] == before["id"]
    assert sorted(after["locations"]) == [A, B, C]  # type: ignore[arg-type]


def test_conflicting_definitions_are_an_error(project: Path) -> None:
    (project / "bundles" / "c" / "portal.yaml").write_text(BASE.replace("portal.example", "other"))
    result = run(project, "validate")
    assert result.exit_code == 1
    assert "custom menu link 'Patient Portal' differs between locations" in result.stderr
    assert "(url)" in result.stderr
    assert "bundles/c/portal.yaml:3" in result.stderr


def test_links_need_the_agency_section(project: Path) -> None:
    text = (project / "ghlops.yaml").read_text()
    (project / "ghlops.yaml").write_text(
        text.replace(f"agency: {{companyId: {COMPANY}, tokenEnv: GHL_AGENCY_TOKEN}}\n", "")
    )
    result = run(project, "plan", "--sandbox")
    assert result.exit_code == 1
    assert "customMenuLinks are agency-level: add 'agency:" in result.stderr
