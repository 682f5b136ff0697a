"""The ``ghlops`` command line: validate, plan, apply, schema, sandbox serve/seed, demo.

Each command lives in its own module of this package; importing them registers them on the
group defined in :mod:`ghlops.cli.app`.
"""

from __future__ import annotations

from ghlops.cli import (  # noqa: F401  (registers the commands)
    doctor_cmd,
    export_cmd,
    init_cmd,
    misc,
    plan_apply,
    render_cmd,
    sandbox_cmd,
    saved,
)
from ghlops.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="ghlops")
