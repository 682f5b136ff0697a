"""What apply shows, decided by the real check of stderr: ghlops runs as its own process, once
with stderr on a pseudo-terminal (a progress bar, then one block per location) and once with
stderr on a pipe (plain streamed lines, then one summary line per location)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers.cli import ROOT

pty = pytest.importorskip("pty")  # POSIX only; CI runs Linux

NAMES = ["north", "south", "west"]
IDS = ["aaxxxxxxxxxxxxxxxxxx", "baxxxxxxxxxxxxxxxxxx", "caxxxxxxxxxxxxxxxxxx"]


def three_locations(root: Path) -> Path:
    (root / "bundles").mkdir(parents=True)
    lines = ["version: 1", "defaults: {bundles: [bundles]}", "locations:"]
    lines += [f"  - {{name: {n}, id: {i}}}" for n, i in zip(NAMES, IDS, strict=True)]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    (root / "bundles" / "base.yaml").write_text(
        "tags: [{name: vip}, {name: '{{ location.name }}-lead'}]\n"
    )
    return root


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GHLOPS_", "GHL_"))}
    clean.pop("NO_COLOR", None)
    return {**clean, "PYTHONPATH": str(ROOT), "COLUMNS": "100", "TERM": "xterm"}


def apply_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "ghlops", "-C", str(root), "--no-color", "apply", "--sandbox",
            "--auto-approve", "-p", "3"]  # fmt: skip


def test_stderr_on_a_terminal_gets_a_bar_and_blocks_per_location(tmp_path: Path) -> None:
    root = three_locations(tmp_path / "p")
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # the terminal closed (EIO on Linux)
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            apply_command(root), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
            env=env(), cwd=tmp_path, timeout=300,
        )  # fmt: skip
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    out = done.stdout.decode()
    terminal = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0, out + terminal
    # the bar: drawn with carriage returns, ending at all 6 changes of 6
    assert "Applying" in terminal, terminal
    assert re.search(r"Applying\s+\[[#\- ]*\]\s+6/6", terminal), terminal
    # stdout: no streamed lines; the blocks, one per location, in plan order, then the summary
    assert ": + tag" not in out.replace('  + tag "', "")
    report = out.split("\n\n")
    blocks = next(part for part in report if part.startswith("north: "))
    lines = blocks.split("\n")
    assert [line for line in lines if not line.startswith("  ")] == [
        "north: 2 done",
        "south: 2 done",
        "west: 2 done",
    ]
    for name in NAMES:
        at = lines.index(f"{name}: 2 done")
        made = {line.split(": created (id ")[0] for line in lines[at + 1 : at + 3]}
        assert made == {'  + tag "vip"', f'  + tag "{name}-lead"'}
    assert "Apply: 6 change(s) made, 0 failed, 0 not attempted." in out


def test_stderr_on_a_pipe_gets_plain_lines_then_a_line_per_location(tmp_path: Path) -> None:
    root = three_locations(tmp_path / "p")
    done = subprocess.run(
        apply_command(root), stdin=subprocess.DEVNULL, capture_output=True, env=env(),
        cwd=tmp_path, timeout=300, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Applying" not in done.stderr and "\r" not in done.stderr + done.stdout
    lines = done.stdout.split("\n")
    streamed = [
        line for line in lines if re.fullmatch(r"  \w+: \+ tag \"[\w-]+\": created .*", line)
    ]
    assert len(streamed) == 6, done.stdout
    for name in NAMES:
        assert f'  {name}: + tag "vip": created (id ' in done.stdout
        assert f'  {name}: + tag "{name}-lead": created (id ' in done.stdout
    # after the streamed lines, a blank line and one line per location, in plan order
    last = max(lines.index(line) for line in streamed)
    assert lines[last + 1 : last + 5] == ["", "north: 2 done", "south: 2 done", "west: 2 done"]
    assert lines[last + 5] == ""
    assert lines[last + 6].startswith("Apply: 6 change(s) made, 0 failed, 0 not attempted.")
