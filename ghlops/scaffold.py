"""The files of a new project (``ghlops init``): pure text, written by the CLI.

A minimal project: one location, one bundle, the JSON Schemas its modelines point at, a
``.gitignore`` for local state and plan files, and the GitHub Actions workflow of
``ghlops/examples/ci`` with the project's token variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ghlops.settings import PLACEHOLDER_LOCATION_ID, PROJECT_FILE

WORKFLOW_PATH = ".github/workflows/ghlops.yml"

GITIGNORE_LINES = (
    ".ghlops/",
    "*.plan.json",
    "plan.json",
    "plan.md",
)

_EXAMPLE_WORKFLOW = Path(__file__).resolve().parent / "examples" / "ci" / "github-actions.yml"
_SECRET_LINE = re.compile(r"^( +)[A-Z][A-Z0-9_]*: \$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}\n", re.M)
_SECRET_BLOCK = re.compile(r"(?:^ +[A-Z][A-Z0-9_]*: \$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}\n)+", re.M)


@dataclass(frozen=True)
class NewLocation:
    name: str
    id: str
    token_env: str


def default_token_env(name: str) -> str:
    """``GHL_TOKEN_<NAME>``: the name upper-cased, other characters as ``_``."""
    return "GHL_TOKEN_" + re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def project_file(location: NewLocation) -> str:
    id_note = (
        "  # your location id: in the sub-account's address bar, /v2/location/<id>/"
        if location.id == PLACEHOLDER_LOCATION_ID
        else ""
    )
    return f"""\
# yaml-language-server: $schema=schemas/ghlops.schema.json
# The project file: the locations (sub-accounts) ghlops manages and the bundles they use.
# Reference: the docs/ folder of ghlops (docs/projects.md).
version: 1
defaults:
  bundles: [bundles/base]        # folders (every *.yaml inside, sorted) or files, in order
  vars: {{}}                       # template variables for every location: {{{{ vars.NAME }}}}
policy:
  prune: []                      # kinds whose live-only objects apply may delete, e.g. [tags]
locations:
  # name: the handle used on the command line (-l NAME); id: the GHL location id;
  # tokenEnv: the environment variable holding its Private Integration Token
  - name: {location.name}
    id: {location.id}{id_note}
    tokenEnv: {location.token_env}
    vars:
      city: Springfield
"""


BUNDLE = """\
# yaml-language-server: $schema=../../schemas/bundle.schema.json
# What every location should have: one top-level key per kind (tags, customFields, customValues,
# calendars, products, ...), with GHL's own API field names. Rendered with jinja2 per location.
tags:
  - name: vip
  - name: "{{ vars.city | lower }}-lead"
customValues:
  - name: Clinic City
    value: "{{ vars.city }}"
"""


def gitignore_additions(existing: str) -> str:
    """The lines of GITIGNORE_LINES missing from an existing ``.gitignore`` (text to append)."""
    present = {line.strip() for line in existing.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return ""
    head = "" if not existing or existing.endswith("\n") else "\n"
    return (
        head
        + "# ghlops: local state (embedded sandbox, apply lock) and saved plans\n"
        + "".join(f"{line}\n" for line in missing)
    )


def workflow(token_envs: list[str]) -> str:
    """The example workflow, passing exactly ``token_envs`` (as secrets of the same names)."""
    text = _EXAMPLE_WORKFLOW.read_text(encoding="utf-8")

    def block(match: re.Match[str]) -> str:
        first = _SECRET_LINE.match(match.group(0))
        indent = first.group(1) if first else "          "
        return "".join(f"{indent}{name}: ${{{{ secrets.{name} }}}}\n" for name in token_envs)

    text = _SECRET_BLOCK.sub(block, text)
    return text.replace("(names below: examples/dental)", "(names below: this project's)")


def project_files(location: NewLocation, schemas: dict[str, str]) -> dict[str, str]:
    """Relative path -> text of every file of a new project (``.gitignore`` aside)."""
    files = {
        PROJECT_FILE: project_file(location),
        "bundles/base/main.yaml": BUNDLE,
        WORKFLOW_PATH: workflow([location.token_env]),
    }
    files.update({f"schemas/{name}": text for name, text in schemas.items()})
    return files
