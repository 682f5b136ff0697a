"""The files a project is made of, and their digests (what a saved plan was computed from)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ghlops.manifest.bundles import expand_bundle
from ghlops.manifest.project import Project
from ghlops.settings import PROJECT_FILE


def project_files(project: Project) -> dict[str, str]:
    """SHA-256 of every project file a plan reads: ``ghlops.yaml`` and every bundle file of
    every location, by path relative to the project folder. A saved plan records it, so that
    its apply can name the files that changed, appeared or went away since."""
    files: dict[str, Path] = {PROJECT_FILE: project.file}
    for location in project.locations:
        for entry, pos in location.bundle_entries():
            for bundle_file in expand_bundle(project.root, entry, pos)[0]:
                files.setdefault(bundle_file.rel, bundle_file.path)
    digests = {}
    for rel, path in sorted(files.items()):
        try:
            digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            digests[rel] = f"unreadable ({exc.strerror or exc})"
    return digests
