"""`ghlops init` then `plan --sandbox` in an empty folder, and global options after the command."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from ghlops.cli import init_cmd
from ghlops.cli.app import hoist_global_options
from ghlops.cli.main import cli
from ghlops.settings import PLACEHOLDER_LOCATION_ID


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- ghlops init ------------------------------------------------------------------------------


def test_init_then_plan_on_the_sandbox_in_an_empty_folder(tmp_path: Path) -> None:
    code, out, _ = run("-C", str(tmp_path), "init", "new")
    assert code == 0, out
    project = tmp_path / "new"
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == [
        ".github/workflows/ghlops.yml",
        ".gitignore",
        "bundles/base/main.yaml",
        "ghlops.yaml",
        "schemas/bundle.schema.json",
        "schemas/ghlops.schema.json",
    ]
    assert f"put your location id in ghlops.yaml (in place of {PLACEHOLDER_LOCATION_ID})" in out
    assert (project / ".gitignore").read_text().splitlines()[1:] == [
        ".ghlops/",
        "*.plan.json",
        "plan.json",
        "plan.md",
    ]
    code, out, err = run("-C", str(project), "plan", "--sandbox", "--detailed-exitcode")
    assert code == 2, out + err
    assert out.startswith(f"Location main ({PLACEHOLDER_LOCATION_ID})\n")
    assert '  + tag "springfield-lead"\n' in out
    assert "Plan: 3 to create, 0 to update, 0 to replace, 0 to delete." in out
    # the placeholder id is never sent to GHL
    code, out, err = run("-C", str(project), "plan")
    assert code == 1
    assert (
        f"FAILED: location main: {PLACEHOLDER_LOCATION_ID} is the placeholder id ghlops init "
        "wrote; put the location's GHL id in ghlops.yaml (or use --sandbox)"
    ) in out


def test_init_files_carry_schema_modelines_that_resolve_and_validate(tmp_path: Path) -> None:
    assert run("-C", str(tmp_path), "init")[0] == 0
    for rel in ("ghlops.yaml", "bundles/base/main.yaml"):
        path = tmp_path / rel
        first = path.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, first
        schema = yaml.safe_load((path.parent / match.group(1)).read_text())
        jsonschema.validate(
            yaml.safe_load(path.read_text().replace("{{", "x").replace("}}", "")), schema
        )


def test_init_workflow_passes_the_projects_token_variables(tmp_path: Path) -> None:
    assert run("-C", str(tmp_path), "init", "--name", "north-shore")[0] == 0
    text = (tmp_path / ".github" / "workflows" / "ghlops.yml").read_text()
    workflow = yaml.safe_load(text)
    envs = [
        step["env"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if any("secrets." in str(v) for v in step.get("env", {}).values())
    ]
    assert len(envs) == 4
    for env in envs:
        assert env == {
            "GHL_TOKEN_NORTH_SHORE": "${{ secrets.GHL_TOKEN_NORTH_SHORE }}",
            "GHLOPS_PLAN_KEY": "${{ secrets.GHLOPS_PLAN_KEY }}",  # the plan key, for both jobs
        }
    assert "GHL_TOKEN_SPRINGFIELD" not in text


def test_init_asks_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(init_cmd, "_stdin_is_tty", lambda: True)
    code, out, _ = run("-C", str(tmp_path), "init", input="downtown\nve9EPM428h8vShlRW1KT\n\n")
    assert code == 0, out
    assert "Location name (a handle for the command line) [main]: downtown" in out
    project = yaml.safe_load((tmp_path / "ghlops.yaml").read_text())
    assert project["locations"][0] == {
        "name": "downtown",
        "id": "ve9EPM428h8vShlRW1KT",
        "tokenEnv": "GHL_TOKEN_DOWNTOWN",
        "vars": {"city": "Springfield"},
    }
    assert PLACEHOLDER_LOCATION_ID not in out


def test_init_without_a_terminal_never_waits_for_input(tmp_path: Path) -> None:
    code, out, _ = run("-C", str(tmp_path), "init", "--id", "ve9EPM428h8vShlRW1KT")
    assert code == 0
    assert "Location name" not in out
    assert yaml.safe_load((tmp_path / "ghlops.yaml").read_text())["locations"][0]["name"] == "main"


def test_init_keeps_what_exists_and_refuses_an_existing_project(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.ghlops/")
    (tmp_path / "bundles" / "base").mkdir(parents=True)
    (tmp_path / "bundles" / "base" / "main.yaml").write_text("tags: [{name: mine}]\n")
    code, out, _ = run("-C", str(tmp_path), "init")
    assert code == 0
    assert "  bundles/base/main.yaml (exists already: kept as it is)" in out
    assert "  .gitignore (added to)" in out
    assert (tmp_path / ".gitignore").read_text() == (
        "node_modules/\n.ghlops/\n"
        "# ghlops: local state (embedded sandbox, apply lock) and saved plans\n"
        "*.plan.json\nplan.json\nplan.md\n"
    )
    assert (tmp_path / "bundles" / "base" / "main.yaml").read_text() == "tags: [{name: mine}]\n"
    code, _, err = run("-C", str(tmp_path), "init")
    assert code == 1
    assert err == (
        f"Error: {tmp_path / 'ghlops.yaml'} exists already; init writes new projects only\n"
    )


def test_init_refuses_a_bad_location_id(tmp_path: Path) -> None:
    code, _, err = run("-C", str(tmp_path), "init", "--id", "abc")
    assert code == 2
    assert "Invalid value: 'abc' is not a GHL location id (20 letters and digits)" in err
    assert not (tmp_path / "ghlops.yaml").exists()


# -- global options anywhere ------------------------------------------------------------------


def test_global_options_are_accepted_after_the_command(
    quickstart: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code, out, err = run("plan", "--sandbox", "--no-color", "-C", str(quickstart), "--debug")
    assert code == 0, err
    assert "\x1b[" not in out
    calls = [r.getMessage() for r in caplog.records if r.name == "ghlops.http"]
    assert calls  # --debug logs the calls
    # ... and never as calls to GHL: the embedded sandbox has a URL of its own
    for call in calls:
        assert call.startswith("GET https://embedded-sandbox.invalid/"), call
        assert "leadconnectorhq" not in call


def test_hoisting_moves_only_global_options_and_stops_at_double_dash() -> None:
    assert hoist_global_options(["plan", "--no-color", "-l", "x", "-C", "d", "--debug"]) == [
        "--no-color",
        "-C",
        "d",
        "--debug",
        "plan",
        "-l",
        "x",
    ]
    assert hoist_global_options(["plan", "--directory=d", "--", "--debug"]) == [
        "--directory=d",
        "plan",
        "--",
        "--debug",
    ]
