"""Location groups in ghlops.yaml: shared bundles and vars, in a documented order; unknown
groups get "did you mean"; render names the group a bundle came from."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.manifest.loader import load_desired
from ghlops.manifest.project import load_project
from ghlops.manifest.schema import project_schema

NORTH, SOUTH = "ve9EPM428h8vShlRW1KT", "ve9EPM428h8vShlRW1KU"

PROJECT = f"""\
version: 1
defaults:
  bundles: [bundles/base]
  vars: {{city: Springfield, brand: Acme, tier: basic}}
groups:
  dental:
    bundles: [bundles/dental]
    vars: {{brand: Acme Dental, tier: dental, specialty: teeth}}
  premium:
    bundles: [bundles/premium]
    vars: {{tier: premium}}
locations:
  - name: north
    id: {NORTH}
    groups: [dental, premium]
    vars: {{city: North}}
  - name: south
    id: {SOUTH}
    groups: [premium, dental]
    bundles: [bundles/south.yaml]
"""


def make(root: Path, project: str = PROJECT) -> Path:
    for folder in ("base", "dental", "premium"):
        (root / "bundles" / folder).mkdir(parents=True, exist_ok=True)
    (root / "ghlops.yaml").write_text(project)
    (root / "bundles" / "base" / "b.yaml").write_text(
        "tags: [{name: vip}, {name: lead}]\n"
        "customValues:\n"
        "  - {name: Brand, value: '{{ vars.brand }}'}\n"
        "  - {name: Tier, value: '{{ vars.tier }}'}\n"
        "  - {name: Where, value: base}\n"
    )
    (root / "bundles" / "dental" / "d.yaml").write_text(
        "customValues:\n"
        "  - {name: City, value: '{{ vars.city }} {{ vars.specialty }}'}\n"
        "  - {name: Where, value: dental}\n"
    )
    (root / "bundles" / "premium" / "p.yaml").write_text(
        "customValues:\n  - {name: Where, value: premium}\n"
    )
    (root / "bundles" / "south.yaml").write_text("customValues:\n  - {name: Where, value: south}\n")
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def values(root: Path, location: str) -> dict[str, str]:
    state = load_desired(load_project(root), location)
    return {item.key: item.fields["value"] for item in state.items["customValues"]}


def test_vars_defaults_then_groups_in_the_locations_order_then_its_own(tmp_path: Path) -> None:
    root = make(tmp_path)
    project = load_project(root)
    north, south = project.locations
    assert north.vars == {
        "city": "North",  # own
        "brand": "Acme Dental",  # group dental over defaults
        "tier": "premium",  # premium is listed after dental
        "specialty": "teeth",
    }
    assert south.vars["tier"] == "dental"  # dental is listed after premium
    assert north.groups == ("dental", "premium")


def test_bundles_defaults_then_groups_then_own_and_own_replaces_defaults(tmp_path: Path) -> None:
    root = make(tmp_path)
    north, south = load_project(root).locations
    assert north.bundles == ["bundles/base", "bundles/dental", "bundles/premium"]
    assert north.bundle_origins() == ["defaults", "group dental", "group premium"]
    assert [str(p) for _, p in north.bundle_entries()] == [
        "ghlops.yaml:3",
        "ghlops.yaml:7",
        "ghlops.yaml:10",
    ]
    # south lists its own bundles: they replace the defaults, the groups' bundles stay
    assert south.bundles == ["bundles/premium", "bundles/dental", "bundles/south.yaml"]
    assert south.bundle_origins() == ["group premium", "group dental", "location"]
    assert values(root, "north")["Where"] == "premium"
    assert values(root, "south")["Where"] == "south"


def test_render_names_the_group_each_bundle_came_from(tmp_path: Path) -> None:
    root = make(tmp_path)
    result = run(root, "render", "-l", "north")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"# location north ({NORTH}): bundles/base/b.yaml, bundles/dental/d.yaml (group dental), "
        "bundles/premium/p.yaml (group premium)\n"
        "tags:\n"
        "  # bundles/base/b.yaml:1\n"
        "  - name: vip\n"
        "  # bundles/base/b.yaml:1\n"
        "  - name: lead\n"
        "customValues:\n"
        "  # bundles/base/b.yaml:3\n"
        "  - name: Brand\n"
        "    value: Acme Dental\n"
        "  # bundles/base/b.yaml:4\n"
        "  - name: Tier\n"
        "    value: premium\n"
        "  # bundles/premium/p.yaml:2 (group premium), overrides bundles/dental/d.yaml:3 "
        "(group dental)\n"
        "  - name: Where\n"
        "    value: premium\n"
        "  # bundles/dental/d.yaml:2 (group dental)\n"
        "  - name: City\n"
        "    value: North teeth\n"
    )


def test_an_unknown_group_gets_did_you_mean(tmp_path: Path) -> None:
    root = make(tmp_path, PROJECT.replace("groups: [premium, dental]", "groups: [premium, dentl]"))
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  ghlops.yaml:19: unknown group 'dentl' (declared: dental, premium); "
        "did you mean 'dental'?\n"
    )


def test_a_group_without_any_groups_declared(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        f"version: 1\ndefaults: {{bundles: [bundles/base]}}\nlocations:\n"
        f"  - {{name: north, id: {NORTH}, groups: [dental]}}\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  ghlops.yaml:4: unknown group 'dental': ghlops.yaml declares no groups "
        "(groups: {dental: {bundles: [...], vars: {...}}})\n"
    )


def test_group_mistakes_are_reported_with_their_lines(tmp_path: Path) -> None:
    root = make(
        tmp_path,
        PROJECT.replace("groups: [dental, premium]", "groups: [dental, dental]")
        .replace("    bundles: [bundles/premium]", "    bundle: [bundles/premium]")
        .replace("    bundles: [bundles/dental]", "    bundles: [bundles/dentist]")
        .replace("  premium:", "  -premium:"),
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: 5 problems in the manifests:"
    assert "  ghlops.yaml:7: bundle 'bundles/dentist' does not exist" in lines
    assert any(
        line.startswith("  ghlops.yaml:9: groups.-premium.[key]: not a valid group name")
        for line in lines
    )
    assert any(
        line.startswith("  ghlops.yaml:10: groups.-premium.bundle: unknown ")
        and "did you mean 'bundles'" in line
        for line in lines
    ), lines
    assert "  ghlops.yaml:15: group 'dental' is listed twice" in lines
    assert any(line.startswith("  ghlops.yaml:19: unknown group 'premium'") for line in lines)


def test_a_bundle_a_location_gets_twice_is_an_error(tmp_path: Path) -> None:
    root = make(
        tmp_path, PROJECT.replace("bundles: [bundles/south.yaml]", "bundles: [bundles/dental/]")
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  ghlops.yaml:17: location 'south' gets bundle 'bundles/dental/' twice: from group "
        "dental (line 7) and from location (line 20); a bundle applied again would override "
        "what came between: list it once\n"
    )


def test_the_project_schema_describes_groups(tmp_path: Path) -> None:
    schema = project_schema()
    groups = schema["properties"]["groups"]
    assert "bundles" in json.dumps(groups) or "GroupSpec" in json.dumps(groups)
    group = schema["$defs"]["GroupSpec"]
    assert set(group["properties"]) == {"bundles", "vars"}
    assert group["additionalProperties"] is False
    assert "groups" in schema["$defs"]["LocationSpec"]["properties"]
    committed = json.loads(
        (Path(__file__).parents[2] / "schemas" / "ghlops.schema.json").read_text()
    )
    assert committed["$defs"]["GroupSpec"]["properties"].keys() == {"bundles", "vars"}
    assert (
        run(
            make(tmp_path), "schema", "--check", "--out", str(Path(__file__).parents[2] / "schemas")
        ).exit_code
        == 0
    )
