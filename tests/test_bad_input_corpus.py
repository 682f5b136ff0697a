"""The bad-input corpus: malformed projects and bundles, each with the exact problems it must give.

Every folder under ``tests/corpus/bad_input/`` is one case: a project (``ghlops.yaml`` and bundle
files, as needed) and an ``expect.yaml``::

    category: tabs                     # what kind of bad input (see CATEGORIES)
    why: a list item indented with a tab
    kind: customFields                 # missing-required cases: the kind whose field is missing
    command: plan --sandbox            # default: validate
    setup:                             # done in the copy before the run (see _setup)
      - symlink: {path: bundles/a, to: b}
    messages:                          # every problem line, exactly as printed, in order
      - "bundles/base/main.yaml:2: invalid YAML: ..."

Each case runs through the real CLI (``-C`` a copy of the case in tmp_path) and must exit 1 with
exactly those problem lines on stderr (one line each, file and line first), nothing on stdout, no
traceback, no API call (``Sandbox.handle`` and httpx are watched) and nothing written in the
project folder. Files that must not be committed (50 MB files, symlinks, FIFOs) are made by
``setup`` at test time.
"""

from __future__ import annotations

import builtins
import io
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from ghlops.cli.main import cli
from ghlops.manifest.yamlload import MAX_FILE_BYTES
from ghlops.resources import registry
from ghlops.sandbox import Sandbox

CORPUS = Path(__file__).parent / "corpus" / "bad_input"
MIN_CASES = 60

REQUIRED_CATEGORIES = frozenset(
    {
        "yaml-syntax",
        "tabs",
        "duplicate-keys",
        "unknown-keys",
        "wrong-types",
        "missing-required",
        "duplicate-natural-keys",
        "missing-references",
        "undefined-variables",
        "template-syntax",
        "template-runtime",
        "non-utf8",
        "empty-files",
        "large-file",
        "alias-bombs",
        "anchors-merge-keys",
        "sandbox-escapes",
        "path-escapes",
        "symlink-loops",
        "location-ids",
        "no-locations",
        "policy",
        "menu-links-agency",
        "menu-links-conflict",
    }
)
CATEGORIES = REQUIRED_CATEGORIES | {"bundle-paths", "yaml-tags", "control-characters"}
COMMANDS = frozenset({"validate", "plan --sandbox", "apply --sandbox --auto-approve"})
EXPECT_KEYS = frozenset({"category", "why", "kind", "command", "setup", "messages"})

HEADER = re.compile(r"Error: (\d+) problems? in the manifests:")
# a problem line: a relative path, a line number (and maybe a column), a reason on the same line
PROBLEM = re.compile(
    r"(?P<file>[^\s:/][^:]*):(?P<line>[1-9]\d*)(?::(?P<column>[1-9]\d*))?: (?P<reason>\S.*)"
)


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    category: str
    why: str
    messages: tuple[str, ...]
    command: str = "validate"
    kind: str | None = None
    setup: tuple[dict[str, Any], ...] = field(default=())


def load_case(folder: Path) -> Case:
    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(expect, dict), f"{folder.name}/expect.yaml: not a mapping"
    unknown = set(expect) - EXPECT_KEYS
    assert not unknown, f"{folder.name}/expect.yaml: unknown keys {sorted(unknown)}"
    messages = expect.get("messages")
    assert isinstance(messages, list) and messages, f"{folder.name}: no messages"
    assert all(isinstance(m, str) for m in messages), f"{folder.name}: messages must be text"
    return Case(
        name=folder.name,
        folder=folder,
        category=expect["category"],
        why=expect["why"],
        messages=tuple(messages),
        command=expect.get("command", "validate"),
        kind=expect.get("kind"),
        setup=tuple(expect.get("setup") or ()),
    )


def all_cases() -> list[Case]:
    return [load_case(folder) for folder in sorted(CORPUS.iterdir()) if folder.is_dir()]


CASES = all_cases()


# -- running one case -----------------------------------------------------------------------------


def _inside(path: Path, root: Path) -> Path:
    """``path`` (made absolute) after checking it stays under ``root`` (the test's tmp_path)."""
    full = Path(os.path.normpath(path))
    assert full.is_relative_to(root), f"setup path {path} leaves {root}"
    return full


def _setup(project: Path, sandbox_root: Path, steps: tuple[dict[str, Any], ...]) -> list[Path]:
    """Make what cannot be committed; returns the large files made (which must not be read)."""
    large: list[Path] = []
    for step in steps:
        ((action, args),) = step.items()
        target = _inside(project / args["path"], sandbox_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if action == "symlink":
            target.symlink_to(args["to"])
        elif action == "write":
            target.write_text(args["text"], encoding="utf-8")
        elif action == "fifo":
            os.mkfifo(target)
        elif action == "sparse":  # a head, then a hole up to the size: instant, takes no disk
            with target.open("wb") as stream:
                stream.write(args.get("head", "").encode("utf-8"))
                stream.truncate(args["size"])
            large.append(target)
        else:  # pragma: no cover - a corpus mistake
            raise AssertionError(f"unknown setup action {action!r}")
    return large


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Everything under ``root`` (symlinks not followed): relative path -> (type, size)."""
    found: dict[str, tuple[str, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            found[str(path.relative_to(root))] = (kind, info.st_size if kind == "file" else 0)
    return found


@dataclass
class Watch:
    """What the run did that it must not: API calls, and bytes read from large files."""

    api_calls: list[str] = field(default_factory=list)
    bytes_read: dict[Path, int] = field(default_factory=dict)


class _CountingReader:
    """A file object that adds what is read from it to ``watch.bytes_read[path]``."""

    def __init__(self, stream: Any, path: Path, watch: Watch) -> None:
        self._stream = stream
        self._path = path
        self._watch = watch

    def read(self, *args: Any) -> Any:
        data = self._stream.read(*args)
        self._watch.bytes_read[self._path] = self._watch.bytes_read.get(self._path, 0) + len(data)
        return data

    def __enter__(self) -> _CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def watched(monkeypatch: pytest.MonkeyPatch, large: list[Path]) -> Iterator[Watch]:
    watch = Watch()

    def sandbox_handle(self: Sandbox, method: str, target: str, *args: Any, **kw: Any) -> Any:
        watch.api_calls.append(f"sandbox {method} {target}")
        raise AssertionError("the sandbox was called")

    def http_send(self: httpx.Client, request: httpx.Request, *args: Any, **kw: Any) -> Any:
        watch.api_calls.append(f"http {request.method} {request.url}")
        raise AssertionError("an HTTP request was sent")

    monkeypatch.setattr(Sandbox, "handle", sandbox_handle)
    monkeypatch.setattr(httpx.Client, "send", http_send)
    if large:
        real_open = builtins.open
        watched_files = {path.resolve() for path in large}

        def counting_open(file: Any, *args: Any, **kw: Any) -> Any:
            stream = real_open(file, *args, **kw)
            if isinstance(file, str | os.PathLike):
                path = Path(os.fsdecode(file)).resolve()
                if path in watched_files:
                    return _CountingReader(stream, path, watch)
            return stream

        monkeypatch.setattr(builtins, "open", counting_open)
        monkeypatch.setattr(io, "open", counting_open)  # what pathlib.Path.open calls
    yield watch


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    watch: Watch
    created: dict[str, tuple[str, int]]
    removed: dict[str, tuple[str, int]]


def run_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    project = tmp_path / "project"
    shutil.copytree(case.folder, project, symlinks=True)
    (project / "expect.yaml").unlink()
    large = _setup(project, tmp_path, case.setup)
    before = snapshot(project)
    runner = CliRunner(env={"GHLOPS_BASE_URL": None, "NO_COLOR": "1"})
    with watched(monkeypatch, large) as watch:
        result = runner.invoke(cli, ["-C", str(project), *case.command.split()])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{case.name}: the CLI raised") from result.exception
    after = snapshot(project)
    return Outcome(
        exit_code=result.exit_code,
        stdout=result.stdout,
        stderr=result.stderr,
        watch=watch,
        created={k: v for k, v in after.items() if before.get(k) != v},
        removed={k: v for k, v in before.items() if k not in after},
    )


def problem_lines(stderr: str) -> list[str]:
    """The problem lines of a ManifestError report (checking its header)."""
    lines = stderr.splitlines()
    assert lines, "nothing on stderr"
    header = HEADER.fullmatch(lines[0])
    assert header, f"unexpected first line: {lines[0]!r}"
    problems = lines[1:]
    assert all(line.startswith("  ") for line in problems), stderr
    assert int(header.group(1)) == len(problems), stderr
    return [line[2:] for line in problems]


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused_clearly_and_before_any_api_call(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = run_case(case, tmp_path, monkeypatch)
    everything = outcome.stdout + outcome.stderr

    assert outcome.exit_code == 1, everything
    assert "Traceback" not in everything
    assert "internal error" not in everything
    assert outcome.stdout == ""
    assert problem_lines(outcome.stderr) == list(case.messages)
    for message in case.messages:  # file and line first, then a one-line reason
        assert PROBLEM.fullmatch(message), f"not 'file:line: reason': {message!r}"

    assert outcome.watch.api_calls == []
    assert outcome.created == {} and outcome.removed == {}, "the run changed the project folder"
    for path, count in outcome.watch.bytes_read.items():
        assert count <= MAX_FILE_BYTES + 1, f"read {count} bytes of {path}"


def test_corpus_size_and_categories() -> None:
    assert len(CASES) >= MIN_CASES
    categories = {case.category for case in CASES}
    assert categories <= CATEGORIES, f"unknown categories: {sorted(categories - CATEGORIES)}"
    assert categories >= REQUIRED_CATEGORIES, (
        f"categories without a case: {sorted(REQUIRED_CATEGORIES - categories)}"
    )


def test_corpus_covers_every_kind_and_command() -> None:
    missing_field_kinds = {case.kind for case in CASES if case.category == "missing-required"}
    # a singleton kind (store settings) requires no field of a manifest (only the fields set are
    # managed; what the API requires is checked on the merged object when planning): its bad
    # input is the wrong shape or type, in a wrong-types case naming the kind
    singletons = {k for k, a in registry.ADAPTERS.items() if a.singleton}
    kinds = set(registry.kinds()) - singletons
    assert kinds <= missing_field_kinds, (
        f"kinds without a missing-required case: {kinds - missing_field_kinds}"
    )
    typed = {case.kind for case in CASES if case.category == "wrong-types"}
    assert singletons <= typed, f"singleton kinds without a wrong-types case: {singletons - typed}"
    assert {case.command for case in CASES} == COMMANDS
    for case in CASES:
        assert case.command in COMMANDS, case.name


def test_corpus_has_no_large_or_special_files() -> None:
    """Large files, symlinks and FIFOs are made at test time, never committed."""
    for case in CASES:
        for path in case.folder.rglob("*"):
            assert not path.is_symlink(), path
            assert path.is_dir() or path.is_file(), path
            if path.is_file():
                assert path.stat().st_size < 64 * 1024, path
