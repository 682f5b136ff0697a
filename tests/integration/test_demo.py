"""`ghlops demo` is the Quickstart's first command: it must converge and leave nothing behind."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from ghlops.cli.main import cli
from tests.helpers.cli import EXAMPLES


def test_demo_runs_plan_apply_plan() -> None:
    result = CliRunner().invoke(cli, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("$ ghlops plan --sandbox --detailed-exitcode") == 2
    assert "$ ghlops apply --sandbox --auto-approve" in out
    assert "(exit code 2)" in out and "(exit code 0)" in out
    assert "No changes." in out
    assert out.rstrip().endswith("Converged: the second plan shows no changes.")
    assert not (EXAMPLES / "quickstart" / ".ghlops").exists()


def test_console_script_help_and_version() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "ghlops", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("validate", "plan", "apply", "sandbox", "demo"):
        assert command in help_text
    version = subprocess.run(
        [sys.executable, "-m", "ghlops", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("ghlops, version ")


def test_dental_example_uses_every_kind_and_converges_but_for_seeded_pipeline_drift() -> None:
    from ghlops.resources import registry

    bundles = "\n".join(
        p.read_text() for p in sorted((EXAMPLES / "dental" / "bundles").rglob("*.yaml"))
    )
    for kind in registry.bundle_kinds():
        assert f"\n{kind}:" in f"\n{bundles}", f"the dental example does not use {kind}"

    result = CliRunner().invoke(cli, ["demo", "dental"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "$ ghlops sandbox seed sandbox-seed.yaml" in out
    assert "Apply: 116 change(s) made, 0 failed, 0 not attempted." in out
    last = out.rsplit("$ ghlops plan --sandbox --detailed-exitcode", 1)[1]
    assert '  ! pipeline "Recall"' in last
    assert "# 1. rename stage 2 'Called' to 'Contacted'" in last
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 manual." in last
    assert "Converged: the last plan shows only 1 manual change(s)" in out
