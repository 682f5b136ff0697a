"""Choosing locations and kinds: patterns, exclusions, kinds, and stable shards for CI matrices."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.common import shard_of
from ghlops.cli.main import cli

NAMES = [f"clinic-{i:02d}" for i in range(12)] + ["hq-east", "hq-west"]


def location_id(i: int) -> str:
    return (string.ascii_letters[i] * 20)[:20]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    (root / "bundles").mkdir(parents=True)
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "locations:"]
    lines += [f"  - {{name: {n}, id: {location_id(i)}}}" for i, n in enumerate(NAMES)]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    (root / "bundles" / "base.yaml").write_text(
        "tags: [{name: vip}]\ncustomValues: [{name: City, value: '{{ location.name }}'}]\n"
    )
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def planned(root: Path, *args: str) -> dict[str, list[tuple[str, str]]]:
    result = run(root, "plan", "--sandbox", "--json", *args)
    assert result.exit_code == 0, result.output
    return {
        loc["name"]: [(c["kind"], c["key"]) for c in loc["changes"]]
        for loc in json.loads(result.stdout)["locations"]
    }


def test_patterns_and_exclusions(fleet: Path) -> None:
    assert list(planned(fleet, "-l", "hq-*")) == ["hq-east", "hq-west"]
    names = planned(
        fleet,
        "-l",
        "clinic-0*",
        "--exclude-location",
        "clinic-05",
        "--exclude-location",
        "clinic-0[0-2]",
    )
    assert list(names) == [
        "clinic-03",
        "clinic-04",
        "clinic-06",
        "clinic-07",
        "clinic-08",
        "clinic-09",
    ]


def test_kind_filters(fleet: Path) -> None:
    only_tags = planned(fleet, "-l", "hq-east", "--kind", "tags")
    assert only_tags == {"hq-east": [("tags", "vip")]}
    no_tags = planned(fleet, "-l", "hq-east", "--exclude-kind", "tags")
    assert no_tags == {"hq-east": [("customValues", "City")]}
    bad = run(fleet, "plan", "--sandbox", "--kind", "tag")
    assert bad.exit_code == 1
    assert "unknown kind 'tag' (known: tags, customFields" in bad.stderr


def test_shards_partition_the_selection_stably(fleet: Path) -> None:
    shards = [set(planned(fleet, "--shard", f"{k}/4")) for k in range(1, 5)]
    assert set().union(*shards) == set(NAMES)
    assert sum(len(s) for s in shards) == len(NAMES), "every location in exactly one shard"
    assert all(shards), "14 locations over 4 shards: none empty with this hash"
    for k, names in enumerate(shards, start=1):
        assert all(shard_of(n, 4) == k for n in names)
    # stable: adding a location moves no other location between shards
    text = (fleet / "ghlops.yaml").read_text()
    (fleet / "ghlops.yaml").write_text(text + f"  - {{name: new-one, id: {location_id(30)}}}\n")
    again = [set(planned(fleet, "--shard", f"{k}/4")) - {"new-one"} for k in range(1, 5)]
    assert again == shards
    # shards apply to the selection
    assert set(planned(fleet, "-l", "hq-*", "--shard", "1/1")) == {"hq-east", "hq-west"}


def test_bad_shard_is_a_usage_error(fleet: Path) -> None:
    for value in ("0/4", "5/4", "two/4", "3"):
        result = run(fleet, "plan", "--sandbox", "--shard", value)
        assert result.exit_code == 2
        assert "expected K/N with 1 <= K <= N" in result.output


def test_parallel_apply_converges(fleet: Path) -> None:
    applied = run(fleet, "apply", "--sandbox", "--auto-approve", "--parallelism", "6")
    assert applied.exit_code == 0, applied.output
    assert f"Apply: {2 * len(NAMES)} change(s) made" in applied.stdout
    assert run(fleet, "plan", "--sandbox", "--detailed-exitcode", "-p", "3").exit_code == 0


def test_fleet_output_groups_identical_changes(fleet: Path) -> None:
    result = run(fleet, "plan", "--sandbox")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Changes made identically in several locations" in out
    assert (
        '  + tag "vip" — 14 locations (clinic-00, clinic-01, clinic-02, clinic-03, clinic-04, '
        "clinic-05, clinic-06, clinic-07, clinic-08, clinic-09, … and 4 more)"
    ) in out
    assert out.count('+ tag "vip"') == 1
    # each location's own value differs, so it is listed under each location
    assert '  + custom value "City"' in out and out.count('+ custom value "City"') == 14
    assert "  … and 1 change(s) listed above" in out
    assert "14 location(s): 0 unchanged, 14 with changes: +28 ~0 -/+0 -0" in out
    assert "  location      +    ~  -/+    -    !  calls  status" in out
    assert "  hq-west       2    0    0    0    0" in out
    assert "API calls: " in out
    expanded = run(fleet, "plan", "--sandbox", "--expand").stdout
    assert expanded.count('+ tag "vip"') == 14
    assert "Changes made identically" not in expanded


def test_unchanged_fleet_is_summarised_not_listed(fleet: Path) -> None:
    assert run(fleet, "apply", "--sandbox", "--auto-approve").exit_code == 0
    out = run(fleet, "plan", "--sandbox").stdout
    assert "14 location(s): 14 unchanged, 0 with changes: +0 ~0 -/+0 -0" in out
    assert out.rstrip().endswith("No changes. Live state matches the manifests.")


def test_progress_lines_without_a_terminal(tmp_path: Path) -> None:
    root = tmp_path / "big"
    (root / "bundles").mkdir(parents=True)
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "locations:"]
    lines += [
        f"  - {{name: loc-{i:02d}, id: {(string.ascii_letters[i] * 20)[:20]}}}" for i in range(30)
    ]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    (root / "bundles" / "base.yaml").write_text("tags: [{name: vip}]\n")
    result = run(root, "plan", "--sandbox")
    assert result.exit_code == 0, result.output
    assert "Planning: 3/30 locations" in result.stderr
    assert "Planning: 30/30 locations" in result.stderr
