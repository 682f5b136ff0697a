"""Fleet-scale text plans stay short: unchanged locations on one line, identical field changes
grouped even when the objects differ elsewhere, every name of a group up to 10, --expand."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli

FLEET = 60


def location_id(i: int) -> str:
    letters = string.ascii_letters
    return (letters[i % 52] + letters[i // 52] + "x" * 18)[:20]


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """60 clinics, all applied: custom values with a per-location value and a shared one."""
    root = tmp_path / "fleet"
    (root / "bundles").mkdir(parents=True)
    lines = ["version: 1", "defaults: {bundles: [bundles], vars: {phone: '555-0100'}}"]
    lines.append("locations:")
    lines += [f"  - {{name: clinic-{i:02d}, id: {location_id(i)}}}" for i in range(FLEET)]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    (root / "bundles" / "base.yaml").write_text(
        "tags: [{name: vip}]\n"
        "customFields:\n"
        "  - {name: Pet, dataType: TEXT, placeholder: '{{ location.name }}'}\n"
        "customValues:\n"
        "  - {name: City, value: '{{ location.name }}'}\n"
        "  - {name: Phone, value: '{{ vars.phone }}'}\n"
    )
    applied = run(root, "apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    return root


def set_var(root: Path, old: str, new: str, only: str | None = None) -> None:
    project = root / "ghlops.yaml"
    text = project.read_text()
    if only is None:
        project.write_text(text.replace(old, new))
    else:
        project.write_text(
            text.replace(f"{{name: {only}, ", f"{{name: {only}, vars: {{phone: '{new}'}}, ")
        )


def test_one_change_in_one_location_of_sixty_fits_in_15_lines(fleet: Path) -> None:
    set_var(fleet, "", "555-0199", only="clinic-07")
    result = run(fleet, "plan", "--sandbox", "--no-color")
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").split("\n")
    assert len(lines) < 15, result.stdout
    assert lines[:4] == [
        f"Location clinic-07 ({location_id(7)})",
        lines[1],
        '      value: "555-0100" → "555-0199"',
        "",
    ]
    assert lines[1].startswith('  ~ custom value "Phone" (id ')
    assert "59 locations unchanged" in lines
    assert "no changes" not in result.stdout
    assert "60 location(s): 59 unchanged, 1 with changes: +0 ~1 -/+0 -0" in lines
    assert lines[-1] == (
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete. "
        "(1 of 60 location(s) with changes)"
    )


def test_one_change_everywhere_is_one_group_with_ten_names(fleet: Path) -> None:
    set_var(fleet, "phone: '555-0100'", "phone: '555-0199'")
    result = run(fleet, "plan", "--sandbox", "--no-color")
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").split("\n")
    assert len(lines) < 15, result.stdout
    names = ", ".join(f"clinic-{i:02d}" for i in range(10))
    assert lines[:5] == [
        "Changes made identically in several locations",
        f'  ~ custom value "Phone" — 60 locations ({names}, … and 50 more)',
        '      value: "555-0100" → "555-0199"',
        "  (--expand lists them under each location)",
        "",
    ]
    assert "60 locations with only the changes listed above" in lines
    assert "unchanged" not in result.stdout.split("location(s):")[0]
    assert "  location " not in result.stdout  # no table of 60 rows that all say the same


def test_identical_field_changes_group_when_the_objects_differ_elsewhere(fleet: Path) -> None:
    # every location's custom field has its own placeholder; the dataType change is the same
    bundle = fleet / "bundles" / "base.yaml"
    bundle.write_text(bundle.read_text().replace("dataType: TEXT", "dataType: LARGE_TEXT"))
    result = run(fleet, "plan", "--sandbox", "--no-color", "-l", "clinic-0*", "--force")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count('-/+ custom field "contact:Pet"') == 1, out
    assert "DESTRUCTIVE" in out
    assert '      dataType: "TEXT" → "LARGE_TEXT"' in out
    names = ", ".join(f"clinic-{i:02d}" for i in range(10))
    assert f"— 10 locations ({names})" in out  # up to 10: every name, no "more"


def test_expand_lists_every_location(fleet: Path) -> None:
    set_var(fleet, "phone: '555-0100'", "phone: '555-0199'")
    out = run(fleet, "plan", "--sandbox", "--no-color", "--expand").stdout
    assert "Changes made identically" not in out
    assert out.count('~ custom value "Phone"') == FLEET
    assert out.count("Location clinic-") == FLEET


# -- apply: progress on a terminal, one block per location at the end --------------------------


def test_apply_on_a_terminal_reports_per_location_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghlops.cli import apply_report

    root = tmp_path / "three"
    (root / "bundles").mkdir(parents=True)
    names = ["north", "south", "west"]
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "locations:"]
    lines += [f"  - {{name: {n}, id: {location_id(i)}}}" for i, n in enumerate(names)]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    (root / "bundles" / "base.yaml").write_text(
        "tags: [{name: vip}, {name: '{{ location.name }}-lead'}]\n"
    )
    monkeypatch.setattr(apply_report, "_stderr_is_tty", lambda: True)
    result = run(root, "apply", "--sandbox", "--auto-approve", "-p", "3")
    assert result.exit_code == 0, result.output
    report = result.stdout.split("\n\n")[-2:]  # after the plan: the blocks, then the summary
    blocks = report[0].split("\n")
    assert [line for line in blocks if not line.startswith("  ")] == [
        "north: 2 done",
        "south: 2 done",
        "west: 2 done",
    ]
    for name in names:
        at = blocks.index(f"{name}: 2 done")
        made = {line.split(": created (id ")[0] for line in blocks[at + 1 : at + 3]}
        assert made == {'  + tag "vip"', f'  + tag "{name}-lead"'}
    assert report[1].startswith("Apply: 6 change(s) made, 0 failed, 0 not attempted.")
    assert "north: + tag" not in result.output  # no interleaved streaming lines


def test_apply_without_a_terminal_streams_plain_lines(quickstart: Path) -> None:
    result = run(quickstart, "apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert '  downtown: + tag "vip": created (id ' in result.stdout
    assert "downtown: 9 done" not in result.stdout


def test_progress_names_retries_throttles_and_waits() -> None:
    from ghlops.cli.apply_report import activity_text, report_totals
    from ghlops.engine import Activity

    assert activity_text(Activity()) == ""
    assert report_totals(Activity()) == ""
    assert activity_text(Activity(retries=2, throttled=1, waited=12.4)) == (
        "2 retried, 1 throttled (429), waited 12 s for rate limits"
    )
    assert report_totals(Activity(waited=3)) == "API: waited 3 s for rate limits."


def test_markdown_groups_like_the_text_plan_and_expand_lists_all(tmp_path: Path) -> None:
    root = tmp_path / "four"
    (root / "bundles").mkdir(parents=True)
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "locations:"]
    lines += [f"  - {{name: c{i}, id: {location_id(i)}}}" for i in range(4)]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    (root / "bundles" / "base.yaml").write_text("tags: [{name: vip}]\n")
    grouped = run(root, "plan", "--sandbox", "--markdown")
    assert grouped.exit_code == 0, grouped.output
    assert '<details><summary><code>+ tag "vip"</code> — 4 locations</summary>' in grouped.stdout
    assert "In `c0`, `c1`, `c2`, `c3`." in grouped.stdout
    expanded = run(root, "plan", "--sandbox", "--markdown", "--expand")
    assert expanded.exit_code == 0, expanded.output
    assert "Changes in several locations" not in expanded.stdout
    assert expanded.stdout.count("<summary><b>c") == 4
