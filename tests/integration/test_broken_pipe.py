"""Output cut off by its reader (``ghlops render | head``): ghlops stops quietly with the
shell's code for it, 141, instead of reporting an internal error."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.cli import EXAMPLES


def test_a_closed_output_ends_the_command_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ghlops", "-C", str(EXAMPLES / "dental"), "render"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 141, err
    assert err == b""
