"""Resolving bundle entries of ghlops.yaml to the files they stand for.

A bundle entry is a path relative to the project folder, to a file or a folder. A folder stands for
every ``*.yaml``/``*.yml`` file under it, recursively, sorted by relative path (compared part by
part, so ``a/z.yaml`` comes before ``a-b/x.yaml``). Everything must resolve, after symlinks, inside
the project folder. Symlinked folders are followed when they stay inside the project; a symlink
back to an enclosing folder, a symlink to itself and other loops are reported, never followed.
All problems are reported at the entry's line in ghlops.yaml.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ghlops.errors import Problem, SourcePos

BUNDLE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class BundleFile:
    rel: str  # path shown to users, relative to the project folder, with '/'
    path: Path  # absolute path to open (through symlinks)
    real: Path  # fully resolved path


class _Unresolvable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _resolve(path: Path) -> Path:
    """``path`` with every symlink resolved; raises _Unresolvable with a reason."""
    try:
        return path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports loops this way
        raise _Unresolvable("is a symlink loop") from None
    except FileNotFoundError:
        if path.is_symlink():
            raise _Unresolvable("is a broken symlink") from None
        raise _Unresolvable("does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Unresolvable("is a symlink loop") from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise _Unresolvable("does not exist") from None
        raise _Unresolvable(f"cannot be read ({exc.strerror or exc})") from None


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _display(root: Path, entry: str) -> str:
    joined = os.path.normpath(root / entry)
    try:
        return PurePosixPath(Path(joined).relative_to(root)).as_posix()
    except ValueError:
        return PurePosixPath(entry).as_posix()


def expand_bundle(root: Path, entry: str, pos: SourcePos) -> tuple[list[BundleFile], list[Problem]]:
    """The files a bundle entry stands for, in order, and the problems found.

    ``root`` must be the resolved project folder; ``pos`` is the entry's place in ghlops.yaml.
    """
    if not entry.strip():
        return [], [Problem(pos, "bundle path is empty")]
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in entry):
        shown = entry.encode("unicode_escape").decode("ascii")
        return [], [
            Problem(pos, f"bundle path '{shown}' holds a control character (NUL, newline…)")
        ]
    rel = _display(root, entry)
    path = root / entry
    try:
        real = _resolve(path)
    except _Unresolvable as exc:
        return [], [Problem(pos, f"bundle '{entry}' {exc.reason}")]
    if not _inside(real, root):
        return [], [Problem(pos, f"bundle '{entry}' resolves outside the project folder")]
    if real.is_file():
        return [BundleFile(rel, path, real)], []
    if not real.is_dir():
        return [], [Problem(pos, f"bundle '{entry}' is not a file or a folder")]

    found: list[tuple[tuple[str, ...], BundleFile]] = []
    problems: list[Problem] = []
    seen: set[Path] = set()

    def walk(
        folder: Path, folder_real: Path, parts: tuple[str, ...], ancestors: frozenset[Path]
    ) -> None:
        try:
            with os.scandir(folder) as listing:
                names = sorted(e.name for e in listing)
        except OSError as exc:
            shown = PurePosixPath(rel, *parts).as_posix()
            problems.append(
                Problem(pos, f"bundle '{entry}': cannot list '{shown}' ({exc.strerror or exc})")
            )
            return
        for name in names:
            child = folder / name
            child_parts = (*parts, name)
            shown = PurePosixPath(rel, *child_parts).as_posix()
            if child.is_symlink():
                try:
                    child_real = _resolve(child)
                except _Unresolvable as exc:
                    problems.append(Problem(pos, f"bundle '{entry}': '{shown}' {exc.reason}"))
                    continue
                if not _inside(child_real, root):
                    problems.append(
                        Problem(
                            pos, f"bundle '{entry}': '{shown}' resolves outside the project folder"
                        )
                    )
                    continue
            else:
                child_real = folder_real / name
            if child_real.is_dir():
                if child_real in ancestors:
                    problems.append(Problem(pos, f"bundle '{entry}': '{shown}' is a symlink loop"))
                    continue
                walk(child, child_real, child_parts, ancestors | {child_real})
            elif name.endswith(BUNDLE_SUFFIXES) and child_real.is_file() and child_real not in seen:
                seen.add(child_real)
                found.append((child_parts, BundleFile(shown, child, child_real)))

    walk(path, real, (), frozenset({real}))
    if not found and not problems:
        problems.append(Problem(pos, f"bundle folder '{entry}' has no .yaml or .yml files"))
    found.sort(key=lambda pair: pair[0])
    return [bundle_file for _, bundle_file in found], problems
