"""CI-gated deployments: saved plans and stale checks, gates, thresholds, protect, renames,
ignore patterns — on the embedded sandbox through the CLI."""

from __future__ import annotations

import json
import string
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import Sandbox

NAMES = ["north", "south", "east", "west", "central"]
IDS = {n: (string.ascii_uppercase[i] * 20) for i, n in enumerate(NAMES)}


def write_project(root: Path, extra_policy: str = "", tags: int = 12) -> None:
    (root / "bundles").mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "policy:", "  prune: [tags]"]
    lines += [f"  {line}" for line in extra_policy.splitlines() if line]
    lines.append("locations:")
    lines += [f"  - {{name: {n}, id: {IDS[n]}}}" for n in NAMES]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    tag_lines = "\n".join(f"  - name: tag-{i:02d}" for i in range(tags))
    (root / "bundles" / "tags.yaml").write_text(f"tags:\n{tag_lines}\n")
    (root / "bundles" / "values.yaml").write_text(
        "customValues:\n  - name: Greeting\n    value: Hello {{ location.name }}\n"
    )


def run(root: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], input=input, catch_exceptions=False)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    write_project(root)
    result = run(root, "apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return root


def sandbox(root: Path) -> Sandbox:
    return Sandbox(root / ".ghlops" / "sandbox.sqlite3")


def ui(
    root: Path, location: str, method: str, path: str, body: dict[str, str] | None = None
) -> None:
    """An edit made in the GHL UI (through the sandbox's API, as another client)."""
    with sandbox(root) as sb:
        token = sb.provision_location(IDS[location])
        with httpx.Client(
            transport=sb.transport(),
            base_url="https://services.leadconnectorhq.com",
            headers={"Authorization": f"Bearer {token}", "Version": "2021-07-28"},
        ) as http:
            http.request(method, path.format(loc=IDS[location]), json=body).raise_for_status()


def tags_of(root: Path, location: str) -> dict[str, str]:
    with sandbox(root) as sb:
        return {t["name"]: t["id"] for t in sb.objects(IDS[location], "tags")}


def set_greeting(root: Path, text: str, old: str = "Hello") -> None:
    path = root / "bundles" / "values.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, text))


# -- saved plans -------------------------------------------------------------------------------


def test_saved_plan_applies_unchanged_locations_and_refuses_moved_ones(fleet: Path) -> None:
    set_greeting(fleet, "Welcome to")
    planned = run(fleet, "plan", "--sandbox", "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    assert "Saved the plan to plan.json" in planned.stderr
    document = json.loads((fleet / "plan.json").read_text())
    assert document["kind"] == "ghlops-plan" and document["applied"] == {}
    assert document["summary"]["update"] == 5
    assert "sbx-" not in (fleet / "plan.json").read_text(), "no token in the plan file"

    # someone edits south's greeting in the UI between plan and apply
    with sandbox(fleet) as sb:
        value_id = sb.objects(IDS["south"], "customValues")[0]["id"]
    greeting = f"/locations/{{loc}}/customValues/{value_id}"
    ui(fleet, "south", "PUT", greeting, {"name": "Greeting", "value": "Howdy"})

    applied = run(fleet, "apply", "plan.json")
    assert applied.exit_code == 3, applied.output
    assert (
        f"Refused south ({IDS['south']}): its live state changed since the plan (customValues)"
        in applied.stderr
    )
    assert "Apply: 4 change(s) made" in applied.output
    with sandbox(fleet) as sb:
        values = {n: sb.objects(IDS[n], "customValues")[0]["value"] for n in NAMES}
    assert values["south"] == "Howdy"
    assert values["north"] == "Welcome to north"
    applied_to = json.loads((fleet / "plan.json").read_text())["applied"]
    assert set(applied_to) == {f"location:{IDS[n]}" for n in NAMES if n != "south"}

    # south is still refused while its live state differs; the others are not applied twice
    again = run(fleet, "apply", "plan.json")
    assert again.exit_code == 1, again.output
    assert f"north ({IDS['north']}): already applied at" in again.stderr
    assert "No changes" not in again.output
    assert "Apply: 0 change(s) made" in again.output

    # the UI edit is undone: the same file now applies south, and only south
    ui(fleet, "south", "PUT", greeting, {"name": "Greeting", "value": "Hello south"})
    fixed = run(fleet, "apply", "plan.json")
    assert fixed.exit_code == 0, fixed.output
    assert "Apply: 1 change(s) made, 0 failed" in fixed.output
    with sandbox(fleet) as sb:
        assert sb.objects(IDS["south"], "customValues")[0]["value"] == "Welcome to south"
    last = run(fleet, "apply", "plan.json")
    assert last.exit_code == 0
    assert "every location with changes was already applied" in last.stdout


def test_all_or_nothing(fleet: Path) -> None:
    set_greeting(fleet, "Hi")
    assert run(fleet, "plan", "--sandbox", "--out", "plan.json").exit_code == 0
    ui(fleet, "north", "POST", "/locations/{loc}/tags", {"name": "from-the-ui"})
    result = run(fleet, "apply", "plan.json", "--all-or-nothing")
    assert result.exit_code == 1
    assert f"Refused north ({IDS['north']}): its live state changed since the plan (tags)" in (
        result.stderr
    )
    assert "Apply refused (--all-or-nothing): nothing was changed." in result.stderr
    with sandbox(fleet) as sb:
        assert sb.objects(IDS["south"], "customValues")[0]["value"] == "Hello south"
    assert json.loads((fleet / "plan.json").read_text())["applied"] == {}


def test_a_damaged_or_foreign_plan_file_is_a_clear_error(fleet: Path) -> None:
    (fleet / "plan.json").write_text('{"kind": "terraform"}')
    result = run(fleet, "apply", "plan.json", "--sandbox")
    assert result.exit_code == 1
    assert "is not a ghlops plan" in result.stderr
    result = run(fleet, "apply", "missing.json", "--sandbox")
    assert "plan file missing.json does not exist" in result.stderr


# -- gates and thresholds ----------------------------------------------------------------------


def test_allow_and_deny_gates(fleet: Path) -> None:
    set_greeting(fleet, "Hi")
    result = run(fleet, "plan", "--sandbox", "--allow", "create")
    assert result.exit_code == 1
    assert (
        "Refused: north: the plan holds 1 update, which this run does not allow (allowed: create)"
        in result.stderr
    )
    assert run(fleet, "plan", "--sandbox", "--allow", "create,update").exit_code == 0
    result = run(fleet, "apply", "--sandbox", "--auto-approve", "--deny", "update")
    assert result.exit_code == 1
    assert "Apply refused; nothing was changed." in result.stderr
    bad = run(fleet, "plan", "--sandbox", "--allow", "create,nuke")
    assert bad.exit_code == 2 and "nuke: expected a comma-separated list" in bad.output


def test_location_threshold_refuses_and_force_passes(fleet: Path) -> None:
    path = fleet / "bundles" / "tags.yaml"
    path.write_text("tags:\n" + "\n".join(f"  - name: tag-{i:02d}" for i in range(8)) + "\n")
    # only north: 4 of its 13 objects deleted = 31% > 30%; one location of five is 20%, not over
    result = run(fleet, "apply", "--sandbox", "--auto-approve", "-l", "north")
    assert result.exit_code == 1
    assert (
        "Refused: north: would delete or replace 4 of 13 objects (31% > 30%) (use --force to proceed)"
        in result.stderr
    )
    assert len(tags_of(fleet, "north")) == 12
    forced = run(fleet, "apply", "--sandbox", "--auto-approve", "-l", "north", "--force")
    assert forced.exit_code == 0, forced.output
    assert "Warning: --force: going past a safety threshold: north: would delete" in forced.stderr
    assert len(tags_of(fleet, "north")) == 8


def test_fleet_threshold(fleet: Path) -> None:
    ui(fleet, "north", "POST", "/locations/{loc}/tags", {"name": "stray"})
    ui(fleet, "south", "POST", "/locations/{loc}/tags", {"name": "stray"})
    result = run(fleet, "plan", "--sandbox")
    assert result.exit_code == 1
    assert (
        "Refused: fleet: 2 of 5 locations would lose something (40% > 20%): north, south"
        in result.stderr
    )
    assert run(fleet, "plan", "--sandbox", "--force").exit_code == 0


# -- protect, ignore, renames ------------------------------------------------------------------


def test_protect_blocks_even_with_force(fleet: Path) -> None:
    text = (
        (fleet / "ghlops.yaml")
        .read_text()
        .replace("  prune: [tags]", "  prune: [tags]\n  protect: {tags: ['keep-*']}")
    )
    (fleet / "ghlops.yaml").write_text(text)
    ui(fleet, "north", "POST", "/locations/{loc}/tags", {"name": "keep-me"})
    result = run(fleet, "apply", "--sandbox", "--auto-approve", "--force", "-l", "north")
    assert result.exit_code == 1
    assert "Refused: north: tags 'keep-me' is protected and would be deleted" in result.stderr
    assert "keep-me" in tags_of(fleet, "north")


def test_protect_on_an_item_blocks_its_replace(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_project(root)
    (root / "bundles" / "fields.yaml").write_text(
        "customFields:\n  - {name: Pet, dataType: TEXT, protect: true}\n"
    )
    assert run(root, "apply", "--sandbox", "--auto-approve").exit_code == 0
    (root / "bundles" / "fields.yaml").write_text(
        "customFields:\n  - {name: Pet, dataType: LARGE_TEXT, protect: true}\n"
    )
    result = run(root, "plan", "--sandbox", "-l", "north", "--force")
    assert result.exit_code == 1
    assert "customFields 'contact:Pet' is protected and would be replaced" in result.stderr
    as_json = json.loads(run(root, "plan", "--sandbox", "-l", "north", "--json").stdout)
    change = as_json["locations"][0]["changes"][0]
    assert change["protected"] is True and "protect" not in change["after"]


def test_ignore_patterns_are_never_touched(fleet: Path) -> None:
    text = (
        (fleet / "ghlops.yaml")
        .read_text()
        .replace("  prune: [tags]", "  prune: [tags]\n  ignore: {tags: ['zapier-*']}")
    )
    (fleet / "ghlops.yaml").write_text(text)
    ui(fleet, "east", "POST", "/locations/{loc}/tags", {"name": "zapier-sync"})
    result = run(fleet, "plan", "--sandbox", "--detailed-exitcode", "-l", "east")
    assert result.exit_code == 0, result.output
    assert "1 tags ignored by policy.ignore (never touched): 'zapier-sync'" in result.stdout


def test_renamed_from_keeps_the_ghl_object(fleet: Path) -> None:
    before = tags_of(fleet, "west")["tag-03"]
    path = fleet / "bundles" / "tags.yaml"
    path.write_text(
        path.read_text().replace("  - name: tag-03", "  - name: tag-three\n    renamedFrom: tag-03")
    )
    values = fleet / "bundles" / "values.yaml"
    values.write_text(
        values.read_text().replace(
            "  - name: Greeting", "  - name: Welcome Text\n    renamedFrom: Greeting"
        )
    )
    plan = run(fleet, "plan", "--sandbox", "-l", "west")
    assert f'  ~ tag "tag-three" (id {before})' in plan.stdout
    assert '      name: "tag-03" → "tag-three"' in plan.stdout
    assert "to create" in plan.stdout and "0 to delete" in plan.stdout
    assert run(fleet, "apply", "--sandbox", "--auto-approve", "-l", "west").exit_code == 0
    assert tags_of(fleet, "west")["tag-three"] == before
    assert "tag-03" not in tags_of(fleet, "west")
    with sandbox(fleet) as sb:
        assert [v["name"] for v in sb.objects(IDS["west"], "customValues")] == ["Welcome Text"]
    assert run(fleet, "plan", "--sandbox", "-l", "west", "--detailed-exitcode").exit_code == 0
