"""The first hour of a new user: the README's Quickstart and links, the docs site's nav,
`demo --keep`, and a non-editable install that still has its examples."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from click.testing import CliRunner

from ghlops.cli.main import cli
from tests.helpers.cli import ROOT

README = ROOT / "README.md"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- the README -------------------------------------------------------------------------------


def quickstart_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_fits_on_a_few_screens_and_has_two_quickstart_lines() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 250
    demo, tests = quickstart_lines()
    assert demo == "python -m pip install . && ghlops demo"
    # the test line installs what CI installs (.ci/run): the locked versions, then ghlops itself
    assert tests == (
        "python -m pip install --require-hashes -r requirements/test.txt && "
        "python -m pip install --no-deps -e . && pytest"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "requirements/test.txt" in ci and "install --quiet --no-deps -e ." in ci
    assert ".ci/venv/bin/pytest\n" in ci


def test_no_page_suggests_installing_from_a_registry_ghlops_is_not_on() -> None:
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    pages.append(ROOT / "ghlops" / "examples" / "ci" / "github-actions.yml")
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # a bare name or a version pin asks an index; "ghlops @ git+…" or a wheel file does not
        bare = r"pip install (-U )?['\"]?ghlops(==[^\s'\"]*)?['\"]?(?!\s*@)(\s|$)"
        assert not re.search(bare, text, re.M), page


def test_no_page_points_at_a_url_ghlops_is_not_hosted_at() -> None:
    """ghlops has no public home: a placeholder such as github.com/OWNER/ghlops would send a
    reader to a page that does not exist. Install lines name a clone, a wheel or a variable."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / ".pre-commit-hooks.yaml"]
    pages += sorted((ROOT / "ghlops" / "examples").rglob("*.y*ml"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "OWNER" not in text, page
        assert not re.search(r"git\+https?://\S*ghlops", text), page
        assert not re.search(r"https?://(www\.)?(github|gitlab)\.com/[^/\s]+/ghlops", text), page
    readme = README.read_text(encoding="utf-8")
    assert "(`python -m pip install .`)" in readme
    assert "python -m pip wheel --no-deps -w dist ." in readme
    workflow = (ROOT / "ghlops" / "examples" / "ci" / "github-actions.yml").read_text("utf-8")
    assert 'GHLOPS_INSTALL: "vendor/ghlops-0.1.0-py3-none-any.whl"' in workflow


def test_readme_and_docs_links_point_at_files_that_exist() -> None:
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_mkdocs_nav_lists_every_docs_page() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [p for entry in nav for p in pages(entry)]
        if isinstance(nav, dict):
            return [p for value in nav.values() for p in pages(value)]
        return []

    listed = set(pages(config["nav"]))
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert page.name in listed, f"docs/{page.name} is not in mkdocs.yml's nav: add it there"
    assert listed <= {p.name for p in (ROOT / "docs").glob("*.md")}


# -- demo --keep and a non-editable install ---------------------------------------------------


def test_demo_keep_leaves_the_project_and_says_where() -> None:
    code, out, _ = run("demo", "--keep")
    assert code == 0, out
    match = re.search(r"Kept the demo project in (\S+): try 'cd \S+ && ghlops plan --sandbox'", out)
    assert match, out
    kept = Path(match.group(1))
    try:
        assert (kept / "ghlops.yaml").is_file()
        assert (kept / ".ghlops" / "sandbox.sqlite3").is_file()
        code, out, _ = run("-C", str(kept), "plan", "--sandbox")
        assert code == 0 and "No changes." in out
    finally:
        shutil.rmtree(kept.parent)


def test_a_built_wheel_ships_the_examples_and_runs_the_demo(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "ghlops", source / "ghlops", ignore=shutil.ignore_patterns("__pycache__", ".ghlops")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("ghlops-*.whl")
    installed = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    assert (installed / "ghlops" / "examples" / "dental" / "sandbox-seed.yaml").is_file()
    assert (installed / "ghlops" / "examples" / "ci" / "github-actions.yml").is_file()
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run(
        [sys.executable, "-c", "import ghlops; print(ghlops.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(installed))
    demo = subprocess.run(
        [sys.executable, "-m", "ghlops", "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.rstrip().endswith("Converged: the second plan shows no changes.")


def test_example_modelines_point_at_the_committed_schemas() -> None:
    examples = ROOT / "ghlops" / "examples"
    lines = [
        (path, path.read_text(encoding="utf-8").splitlines()[0])
        for path in sorted(examples.rglob("*.yaml"))
    ]
    modelines = [(p, line) for p, line in lines if "yaml-language-server" in line]
    assert len(modelines) >= 5
    for path, line in modelines:
        target = line.split("$schema=", 1)[1]
        assert (path.parent / target).resolve().is_file(), f"{path}: {target}"
