"""Saved plans you can hand to CI: a plan file records where and how it was made (target, flags,
ghlops version, project files, locations by id) and its apply uses that, once per location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import Sandbox
from tests.helpers.cli import HttpSandbox
from tests.integration.test_safety import IDS, NAMES, sandbox, set_greeting, tags_of, ui

TOKENS = {f"GHL_TOKEN_{n.upper()}": f"pit-test-{n}-000001" for n in NAMES}


def run(root: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    runner = CliRunner(env={"GHLOPS_BASE_URL": None, **(env or {})})
    return runner.invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def write_fleet(root: Path, policy: str = "", token_env: bool = False) -> None:
    (root / "bundles").mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "policy:", "  prune: [tags]"]
    lines += [f"  {line}" for line in policy.splitlines() if line]
    lines.append("locations:")
    for n in NAMES:
        token = f", tokenEnv: GHL_TOKEN_{n.upper()}" if token_env else ""
        lines.append(f"  - {{name: {n}, id: {IDS[n]}{token}}}")
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    tags = "\n".join(f"  - name: tag-{i:02d}" for i in range(12))
    (root / "bundles" / "tags.yaml").write_text(f"tags:\n{tags}\n")
    (root / "bundles" / "values.yaml").write_text(
        "customValues:\n  - name: Greeting\n    value: Hello {{ location.name }}\n"
    )


def http_fleet(tmp_path: Path, http_sandbox: HttpSandbox) -> Path:
    """The fleet with a token per location, provisioned in a sandbox served over HTTP."""
    root = tmp_path / "fleet"
    write_fleet(root, token_env=True)
    for n in NAMES:
        http_sandbox.sandbox.provision_location(IDS[n], token=TOKENS[f"GHL_TOKEN_{n.upper()}"])
    return root


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    root = tmp_path / "fleet"
    write_fleet(root)
    assert run(root, "apply", "--sandbox", "--auto-approve").exit_code == 0
    return root


def document(root: Path, name: str = "plan.json") -> dict[str, object]:
    data = json.loads((root / name).read_text())
    assert isinstance(data, dict)
    return data


def greetings(root: Path) -> dict[str, str]:
    with sandbox(root) as sb:
        return {n: sb.objects(IDS[n], "customValues")[0]["value"] for n in NAMES}


# -- target ------------------------------------------------------------------------------------


def test_a_sandbox_plan_applies_to_the_sandbox_without_sandbox_flag(fleet: Path) -> None:
    set_greeting(fleet, "Welcome to")
    planned = run(fleet, "plan", "--sandbox", "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    assert document(fleet)["target"] == {"mode": "embedded-sandbox"}
    # the hint repeats nothing the file knows: no --sandbox
    hint = next(line for line in planned.stderr.splitlines() if "apply it with:" in line)
    assert hint.endswith(f"apply it with: ghlops -C {fleet} apply plan.json")
    assert "planned against the embedded sandbox" in planned.stderr

    # a conflicting target on the command line is an error naming both, and nothing is sent
    wrong = run(fleet, "apply", "plan.json", "--base-url", "http://127.0.0.1:9")
    assert wrong.exit_code == 1
    assert "was planned against the embedded sandbox (--sandbox)" in wrong.stderr
    assert "--base-url http://127.0.0.1:9" in wrong.stderr
    env_wrong = run(fleet, "apply", "plan.json", env={"GHLOPS_BASE_URL": "https://example.com"})
    assert env_wrong.exit_code == 1 and "--base-url https://example.com" in env_wrong.stderr
    assert greetings(fleet)["north"] == "Hello north"

    applied = run(fleet, "apply", "plan.json")  # no --sandbox, no token: the sandbox it is
    assert applied.exit_code == 0, applied.output
    assert greetings(fleet) == {n: f"Welcome to {n}" for n in NAMES}
    assert run(fleet, "apply", "plan.json", "--sandbox").exit_code == 0  # the same target: fine


def test_a_url_plan_applies_to_its_url_and_refuses_another_target(
    tmp_path: Path, http_sandbox: HttpSandbox
) -> None:
    root = http_fleet(tmp_path, http_sandbox)
    env: dict[str, str | None] = dict(TOKENS)
    planned = run(root, "plan", "--base-url", http_sandbox.url + "/", "--out", "p.json", env=env)
    assert planned.exit_code == 0, planned.output
    assert document(root, "p.json")["target"] == {"mode": "api", "base_url": http_sandbox.url}
    assert f"planned against the API at {http_sandbox.url}" in planned.stderr

    for args, named in (
        (["--sandbox"], "--sandbox"),
        (["--base-url", "https://services.leadconnectorhq.com"], "--base-url https://services"),
    ):
        refused = run(root, "apply", "p.json", *args, env=env)
        assert refused.exit_code == 1, refused.output
        assert f"p.json was planned against {'--base-url ' if '--base' in named else ''}" in (
            refused.stderr
        )
        assert http_sandbox.url in refused.stderr and named in refused.stderr
    assert http_sandbox.sandbox.objects(IDS["north"], "tags") == []
    assert not (root / ".ghlops" / "sandbox.sqlite3").exists(), "the embedded sandbox untouched"

    applied = run(root, "apply", "p.json", env=env)  # no --base-url: the recorded one
    assert applied.exit_code == 0, applied.output
    assert len(http_sandbox.sandbox.objects(IDS["north"], "tags")) == 12


# -- flags -------------------------------------------------------------------------------------


def test_a_forced_plan_applies_on_merge_with_plain_apply(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    write_fleet(root)  # default thresholds: fleetLosingPercent 20, from 5 locations
    assert run(root, "apply", "--sandbox", "--auto-approve").exit_code == 0
    # a routine fleet-wide prune: tag-11 goes everywhere
    tags = root / "bundles" / "tags.yaml"
    tags.write_text(tags.read_text().replace("  - name: tag-11\n", ""))

    refused = run(root, "plan", "--sandbox", "--out", "plan.json")
    assert refused.exit_code == 1
    assert "5 of 5 locations would lose something" in refused.stderr
    not_forced = run(root, "apply", "plan.json")
    assert not_forced.exit_code == 1
    assert "--force" in not_forced.stderr and "tag-11" in tags_of(root, "north")
    # the flag cannot be added at apply time: a reviewed plan applies as it was reviewed
    added = run(root, "apply", "plan.json", "--force")
    assert added.exit_code == 1
    assert "plan.json was planned with no flags, but this apply was given --force" in added.stderr

    forced = run(root, "plan", "--sandbox", "--force", "--out", "plan.json")
    assert forced.exit_code == 0, forced.output
    assert document(root)["flags"]["force"] is True  # type: ignore[index]
    assert "with --force); apply it with: ghlops" in forced.stderr
    hint = next(line for line in forced.stderr.splitlines() if "apply it with:" in line)
    assert hint.endswith(f"apply it with: ghlops -C {root} apply plan.json")

    merged = run(root, "apply", "plan.json")
    assert merged.exit_code == 0, merged.output
    assert "Warning: --force: going past a safety threshold" in merged.stderr
    assert all("tag-11" not in tags_of(root, n) for n in NAMES)


def test_recorded_selection_and_gates(fleet: Path) -> None:
    set_greeting(fleet, "Hi")
    planned = run(
        fleet,
        "plan",
        "--sandbox",
        "-l",
        "north",
        "-l",
        "south",
        "--allow",
        "update",
        "--out",
        "p.json",
    )
    assert planned.exit_code == 0, planned.output
    data = document(fleet, "p.json")
    assert data["flags"] == {
        "force": False,
        "allow": ["update"],
        "deny": [],
        "allow_destroy_opportunities": False,
        "locations": ["north", "south"],
        "exclude_locations": [],
        "kinds": [],
        "exclude_kinds": [],
        "shard": None,
    }
    assert data["selection"]["location_ids"] == [IDS["north"], IDS["south"]]  # type: ignore[index]
    assert "with --allow update --location north --location south)" in planned.stderr
    assert run(fleet, "apply", "p.json", "--deny", "update").exit_code == 1
    same = run(fleet, "apply", "p.json", "--allow", "update")  # the recorded flags: fine
    assert same.exit_code == 0, same.output
    assert greetings(fleet) == {
        n: ("Hi" if n in ("north", "south") else "Hello") + f" {n}" for n in NAMES
    }


# -- the project -------------------------------------------------------------------------------


def test_a_changed_project_refuses_the_plan_naming_the_files(fleet: Path) -> None:
    set_greeting(fleet, "Hi")
    assert run(fleet, "plan", "--sandbox", "--out", "plan.json").exit_code == 0
    files = document(fleet)["project_files"]
    assert set(files) == {"ghlops.yaml", "bundles/tags.yaml", "bundles/values.yaml"}  # type: ignore[arg-type]
    assert document(fleet)["ghlops_version"]

    set_greeting(fleet, "Hey", old="Hi")
    (fleet / "bundles" / "more.yaml").write_text("tags:\n  - name: extra\n")
    result = run(fleet, "apply", "plan.json")
    assert result.exit_code == 1
    assert (
        "plan.json cannot be applied: the project changed since the plan: "
        "bundles/more.yaml (added), bundles/values.yaml (changed). Nothing was applied; plan again"
    ) in result.stderr
    assert greetings(fleet)["north"] == "Hello north"
    assert document(fleet)["applied"] == {}


def test_a_location_name_pointed_at_another_id_refuses_the_plan(fleet: Path) -> None:
    set_greeting(fleet, "Hi")
    assert run(fleet, "plan", "--sandbox", "--out", "plan.json").exit_code == 0
    project = fleet / "ghlops.yaml"
    other = "Z" * 20
    project.write_text(project.read_text().replace(IDS["north"], other))
    result = run(fleet, "apply", "plan.json")
    assert result.exit_code == 1
    assert (
        f"location north was planned for id {IDS['north']}, and ghlops.yaml now gives that "
        f"name id {other}"
    ) in result.stderr
    with Sandbox(fleet / ".ghlops" / "sandbox.sqlite3") as sb:
        assert sb.objects(other, "customValues") == []
    assert greetings(fleet)["south"] == "Hello south"


def test_an_old_plan_file_format_is_refused(fleet: Path) -> None:
    assert run(fleet, "plan", "--sandbox", "--out", "plan.json").exit_code == 0
    data = document(fleet)
    data["format_version"] = "1"
    (fleet / "plan.json").write_text(json.dumps(data))
    result = run(fleet, "apply", "plan.json")
    assert result.exit_code == 1
    assert "plan file plan.json has format '1'" in result.stderr and "plan again" in result.stderr


# -- locations and the agency by id ------------------------------------------------------------

COMPANY = "AcmeAgencyCompany001"


def test_a_location_called_agency_is_never_confused_with_the_agency(tmp_path: Path) -> None:
    root = tmp_path / "agency"
    (root / "bundles").mkdir(parents=True)
    (root / "ghlops.yaml").write_text(
        f"version: 1\nagency: {{companyId: {COMPANY}, tokenEnv: GHL_AGENCY_TOKEN}}\n"
        "defaults: {bundles: [bundles]}\nlocations:\n"
        f"  - {{name: agency, id: {IDS['north']}}}\n  - {{name: south, id: {IDS['south']}}}\n"
    )
    (root / "bundles" / "all.yaml").write_text(
        "tags:\n  - name: vip\ncustomMenuLinks:\n  - title: Portal\n"
        "    url: https://portal.example.com\n    icon: {name: tooth, fontFamily: fas}\n"
    )
    planned = run(root, "plan", "--sandbox", "--out", "plan.json")
    assert planned.exit_code == 0, planned.output
    data = document(root)
    assert data["agency"]["id"] == COMPANY  # type: ignore[index]
    # the location called "agency" changes live between plan and apply: it alone is refused
    ui(root, "north", "POST", "/locations/{loc}/tags", {"name": "from-the-ui"})
    applied = run(root, "apply", "plan.json")
    assert applied.exit_code == 3, applied.output
    assert f"Refused agency ({IDS['north']}): its live state changed" in applied.stderr
    with Sandbox(root / ".ghlops" / "sandbox.sqlite3") as sb:
        assert [t["name"] for t in sb.objects(IDS["north"], "tags")] == ["from-the-ui"]
        assert [t["name"] for t in sb.objects(IDS["south"], "tags")] == ["vip"]
        assert [o["title"] for o in sb.objects(COMPANY, "customMenus")] == ["Portal"]
    applied_to = document(root)["applied"]
    assert set(applied_to) == {f"location:{IDS['south']}", f"agency:{COMPANY}"}  # type: ignore[arg-type]


# -- refusals, refused applies and show --------------------------------------------------------


def prune_one_tag_everywhere(root: Path) -> None:
    """A routine fleet-wide change that the default fleetLosingPercent (20%) refuses."""
    tags = root / "bundles" / "tags.yaml"
    tags.write_text(tags.read_text().replace("  - name: tag-11\n", ""))


def test_refusals_come_first_in_text_json_and_markdown(fleet: Path) -> None:
    prune_one_tag_everywhere(fleet)
    threshold = "5 of 5 locations would lose something (100% > 20%)"
    text = run(fleet, "--no-color", "plan", "--sandbox")
    assert text.exit_code == 1
    assert text.stdout.splitlines()[:2] == [
        "Refused (1): nothing is applied while this stands",
        f"  fleet: {threshold}: north, south, east, west, central  [use --force to proceed]",
    ]
    assert (
        f"Refused: fleet: {threshold}" in text.stderr and "(use --force to proceed)" in text.stderr
    )

    as_json = run(fleet, "plan", "--sandbox", "--json")
    data = json.loads(as_json.stdout)
    assert list(data)[:2] == ["refusals", "allowed"]
    assert data["refusals"] == [
        {
            "where": "fleet",
            "location_id": None,
            "rule": "fleet-threshold",
            "message": f"{threshold}: north, south, east, west, central",
            "allow": "--force",
        }
    ]

    md = run(fleet, "plan", "--sandbox", "--markdown").stdout
    assert md.startswith("## ❌ ghlops plan refused (1 refusal)\n")
    first = md.split("## ghlops plan:")[0]
    assert "**fleet** (fleet-threshold): 5 of 5 locations would lose something" in first
    assert "allow with `--force`" in first

    forced = run(fleet, "plan", "--sandbox", "--markdown", "--force").stdout
    assert forced.startswith("> ⚠️ **Allowed by flags recorded in the plan**")
    assert "allowed by `--force`" in forced.split("## ghlops plan:")[0]


def test_each_refusal_names_the_flag_that_allows_it(fleet: Path) -> None:
    set_greeting(fleet, "Hi")
    gated = run(fleet, "--no-color", "plan", "--sandbox", "-l", "north", "--allow", "create")
    assert gated.exit_code == 1
    assert "[use --allow create,update to proceed]" in gated.stdout.splitlines()[1]
    denied = run(fleet, "--no-color", "plan", "--sandbox", "-l", "north", "--deny", "update")
    assert "[use no --deny to proceed]" in denied.stdout.splitlines()[1]
    both = run(fleet, "plan", "--sandbox", "-l", "north", "--deny", "update,delete", "--json")
    assert json.loads(both.stdout)["refusals"][0]["allow"] == "--deny delete"

    policy = fleet / "ghlops.yaml"
    policy.write_text(
        policy.read_text().replace(
            "  prune: [tags]", "  prune: [tags]\n  protect: {tags: ['tag-11']}"
        )
    )
    prune_one_tag_everywhere(fleet)
    protected = run(fleet, "--no-color", "plan", "--sandbox", "-l", "north", "--force")
    assert protected.exit_code == 1
    assert protected.stdout.splitlines()[1].endswith("[no flag allows this]")
    assert "is protected and would be deleted" in protected.stdout.splitlines()[1]


def test_a_fully_refused_apply_exits_1_and_the_file_applies_once_fixed(
    tmp_path: Path, http_sandbox: HttpSandbox
) -> None:
    root = http_fleet(tmp_path, http_sandbox)
    env: dict[str, str | None] = dict(TOKENS)
    assert (
        run(root, "plan", "--base-url", http_sandbox.url, "--out", "p.json", env=env).exit_code == 0
    )

    # the apply job lacks the tokens: every location is refused, nothing is applied
    missing = {k: None for k in TOKENS}
    refused = run(root, "--no-color", "apply", "p.json", env=missing)
    assert refused.exit_code == 1, refused.output
    assert "No changes" not in refused.output
    assert refused.stdout.startswith("Refused (5):")
    assert "north (AAAAAAAAAAAAAAAAAAAA): its live state could not be read" in refused.stdout
    assert "GHL_TOKEN_NORTH" in refused.output
    assert "Nothing to apply: every location with changes was refused." in refused.stderr
    assert document(root, "p.json")["applied"] == {}
    assert http_sandbox.sandbox.objects(IDS["north"], "tags") == []

    # once the tokens are there, the same file applies, once
    fixed = run(root, "apply", "p.json", env=env)
    assert fixed.exit_code == 0, fixed.output
    assert all(len(http_sandbox.sandbox.objects(IDS[n], "tags")) == 12 for n in NAMES)
    again = run(root, "apply", "p.json", env=env)
    assert again.exit_code == 0 and "already applied" in again.stdout


def test_show_renders_a_saved_plan_in_three_formats_without_the_api(fleet: Path) -> None:
    prune_one_tag_everywhere(fleet)
    assert run(fleet, "plan", "--sandbox", "--force", "--out", "plan.json").exit_code == 0
    ui(fleet, "south", "POST", "/locations/{loc}/tags", {"name": "from-the-ui"})
    assert run(fleet, "apply", "plan.json").exit_code == 3
    db = fleet / ".ghlops" / "sandbox.sqlite3"
    db.rename(fleet / "elsewhere.sqlite3")  # show must not need (or create) any API

    text = run(fleet, "--no-color", "show", "plan.json")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == "Allowed by flags (1):"
    assert lines[1].endswith("[allowed by --force]")
    assert "target: the embedded sandbox (--sandbox)" in lines
    assert "flags: --force" in lines
    assert f"not applied yet: south ({IDS['south']})" in lines
    assert any(line.startswith(f"applied: north ({IDS['north']}) at ") for line in lines)
    assert any(line.startswith("last apply: ") and line.endswith(", exit code 3") for line in lines)
    assert (
        f"  refused: south ({IDS['south']}): its live state changed since the plan (tags)"
        "  [plan again]"
    ) in lines
    assert '- tag "tag-11"' in text.stdout

    md = run(fleet, "show", "plan.json", "--markdown").stdout
    assert md.startswith("> ⚠️ **Allowed by flags recorded in the plan**")
    assert "> flags: --force" in md and "## ghlops plan: 0 to create" in md

    data = json.loads(run(fleet, "show", "plan.json", "--json").stdout)
    assert list(data)[:3] == ["refusals", "allowed", "plan_file"]
    assert data["allowed"][0]["allow"] == "--force"
    assert data["plan_file"]["flags"]["force"] is True
    assert data["plan_file"]["not_applied"] == [f"location:{IDS['south']}"]
    assert len(data["plan_file"]["applied"]) == 4
    last = data["plan_file"]["last_apply"]
    assert last["exit_code"] == 3
    assert [(r["where"], r["rule"]) for r in last["refusals"]] == [
        (f"south ({IDS['south']})", "stale")
    ]
    assert data["summary"]["delete"] == 5
    assert not db.exists()

    missing = run(fleet, "show", "nope.json")
    assert missing.exit_code == 1 and "plan file nope.json does not exist" in missing.stderr


def test_a_sharded_kind_restricted_plan_applies_only_its_shard_and_kind(fleet: Path) -> None:
    from ghlops.cli.common import shard_of

    set_greeting(fleet, "Hi")
    tags = fleet / "bundles" / "tags.yaml"
    tags.write_text(tags.read_text() + "  - name: newtag\n")
    planned = run(fleet, "plan", "--sandbox", "--kind", "tags", "--shard", "1/2", "--out", "p.json")
    assert planned.exit_code == 0, planned.output
    data = document(fleet, "p.json")
    assert data["flags"]["shard"] == "1/2" and data["flags"]["kinds"] == ["tags"]  # type: ignore[index]
    assert "with --kind tags --shard 1/2)" in planned.stderr
    mine = [n for n in NAMES if shard_of(n, 2) == 1]
    assert data["selection"]["location_ids"] == [IDS[n] for n in mine]  # type: ignore[index]

    applied = run(fleet, "apply", "p.json")
    assert applied.exit_code == 0, applied.output
    for n in NAMES:
        assert ("newtag" in tags_of(fleet, n)) == (n in mine), n
    assert greetings(fleet) == {n: f"Hello {n}" for n in NAMES}, "customValues not applied"
