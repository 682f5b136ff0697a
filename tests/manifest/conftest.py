"""Fixtures for the manifest tests: small projects written into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ONE_LOCATION = """\
version: 1
defaults:
  bundles: [bundles/base]
locations:
  - name: downtown
    id: ve9EPM428h8vShlRW1KT
    vars: {city: Springfield}
"""


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """``make_project(files, ghlops=...)`` writes a project and returns its folder.

    ``files`` maps relative paths to text (dedented) or bytes; ``ghlops`` is the text of
    ghlops.yaml (default: one location ``downtown`` using ``bundles/base``; None: no file).
    """
    root = tmp_path / "project"

    def make(
        files: dict[str, str | bytes] | None = None, ghlops: str | None = ONE_LOCATION
    ) -> Path:
        root.mkdir(exist_ok=True)
        all_files: dict[str, str | bytes] = {}
        if ghlops is not None:
            all_files["ghlops.yaml"] = ghlops
        all_files.update(files or {})
        for rel, content in all_files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content), encoding="utf-8")
        return root

    return make
