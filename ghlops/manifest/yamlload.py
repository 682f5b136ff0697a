"""Reading user files and parsing YAML with line numbers.

Everything here reports problems as :class:`~ghlops.errors.Problem` values instead of raising, so
callers can collect every problem of every file before giving up.

* :func:`read_text` reads a file as UTF-8 text, refusing files over :data:`MAX_FILE_BYTES` without
  reading them whole, special files (FIFOs, devices) and undecodable bytes.
* :func:`parse_yaml` parses one YAML document with a :class:`yaml.SafeLoader` subclass and returns
  plain Python data plus a :class:`Positions` map from *paths* (tuples of mapping keys and list
  indexes) to line numbers. Anchors, aliases and merge keys are refused (which also defeats
  "billion laughs" alias bombs), duplicate mapping keys are reported (all of them), and nesting is
  limited so deep documents cannot exhaust the stack.
"""

from __future__ import annotations

import math
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark, MarkedYAMLError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from ghlops.errors import ManifestError, Problem, SourcePos

MAX_FILE_BYTES = 1024 * 1024
"""Largest file ghlops reads (1 MB: PyYAML parses about 0.1-0.2 MB a second of CPU, so a
legal file of this size parses in a few seconds); larger ones are refused unread."""

MAX_DEPTH = 50
MAX_INT_DIGITS = 30  # an integer in a manifest has at most this many digits (any base)
_INT_TAG = "tag:yaml.org,2002:int"
"""Deepest nesting of YAML collections accepted."""

YamlPath = tuple[object, ...]
"""Where a value sits in a document: mapping keys and list indexes from the root."""

LineMapper = Callable[[int], int]
"""Maps a line of the parsed text to the line to report (identity unless the text was rendered)."""

ALIAS_MESSAGE = "YAML anchors and aliases are not supported; use template variables"
MERGE_MESSAGE = "YAML merge keys ('<<') are not supported; use template variables"

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _identity(line: int) -> int:
    return line


@dataclass
class Positions:
    """Line numbers of the values (and mapping keys) of one parsed document."""

    values: dict[YamlPath, int] = field(default_factory=dict)
    keys: dict[YamlPath, int] = field(default_factory=dict)

    def line(self, path: YamlPath) -> int | None:
        """Line of the key that introduces ``path`` (for mapping entries), else of its value."""
        found = self.keys.get(path)
        return found if found is not None else self.values.get(path)

    def nearest_line(self, path: YamlPath) -> int | None:
        """Line of ``path``, or of its closest recorded ancestor."""
        for end in range(len(path), -1, -1):
            found = self.line(path[:end])
            if found is not None:
                return found
        return None


@dataclass(frozen=True)
class YamlDocument:
    data: Any  # None for an empty document
    positions: Positions


# -- reading --------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    tenths = math.ceil(size * 10 / (1024 * 1024))
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def too_large_message(size: int) -> str:
    return f"file too large ({_megabytes(size)} MB, limit {MAX_FILE_BYTES // (1024 * 1024)} MB)"


def read_text(path: Path, file: str) -> tuple[str | None, Problem | None]:
    """Read ``path`` as UTF-8 text; ``file`` is the name used in problems.

    Returns ``(text, None)`` or ``(None, problem)``. A leading byte-order mark is dropped.
    Problems with the whole file point at its line 1, so every problem reads ``file:line: ...``.
    """
    pos = SourcePos(file, 1)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, Problem(pos, "not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            return None, Problem(pos, too_large_message(info.st_size))
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, Problem(pos, f"cannot read file: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:  # grew since stat()
        return None, Problem(pos, too_large_message(len(data)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        return None, Problem(
            SourcePos(file, line), f"not UTF-8 text (byte 0x{byte:02x} at line {line})"
        )
    return text.removeprefix("\ufeff"), None


# -- parsing --------------------------------------------------------------------------------------


class _Refused(Exception):
    """A construct the loader refuses; stops parsing the document."""

    def __init__(self, message: str, mark: Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases and limits nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(ALIAS_MESSAGE, event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    f"YAML nested too deeply (limit {MAX_DEPTH} levels)", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _quoted(value: str) -> str:
    if '"' not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _yaml_error_message(
    exc: MarkedYAMLError, line_text: str = "", column: int = 0, *, example: bool = True
) -> str:
    """A one-line message for a YAML syntax error, with a hint for the common mistakes.

    ``line_text`` is the line the error was found on and ``column`` its 0-based column there;
    ``example`` shows the line fixed (not for text rendered from a template: the user wrote
    something else).
    """
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    if problem == "but found another document":
        return "invalid YAML: more than one document in the file ('---'); use one per file"
    if "'\\t'" in problem:
        return "invalid YAML: a tab character; indent with spaces, not tabs"
    if problem == "mapping values are not allowed here":
        before = line_text[:column]
        key, sep, value = line_text.strip().removeprefix("- ").partition(": ")
        if ": " in before or before.rstrip().endswith(":"):
            if sep and value and example:
                return (
                    "invalid YAML: a value holds ': ' (a colon and a space); quote it: "
                    f"{key}: {_quoted(value.strip())}"
                )
            return "invalid YAML: a value holds ': ' (a colon and a space); quote it"
        return (
            "invalid YAML: bad indentation: this key is indented deeper than the keys above it; "
            "line it up with them"
        )
    if problem.startswith("expected <block end>, but found"):
        found = problem.rsplit("found", 1)[1].strip()
        if found in ("'-'", "'<block sequence start>'"):
            what = "this list item ('-') does not line up with the items above it"
        elif found in ("'<block mapping start>'", "'?'", "'<scalar>'"):
            what = "this key does not line up with the keys above it"
        else:
            what = "this line does not line up with the lines above it"
        return f"invalid YAML: bad indentation: {what}"
    if _at_end(problem) and "quoted scalar" in context:
        return "invalid YAML: a quoted value is never closed; end it with the same quote"
    if problem.startswith(("expected ',' or ']'", "expected ',' or '}'")):
        bracket = "]" if "]" in problem else "}"
        opening = "[" if bracket == "]" else "{"
        return (
            f"invalid YAML: a '{opening}' is never closed, or a value in it holds ': '; "
            f"close it with '{bracket}' or quote the value"
        )
    text = f"invalid YAML: {problem or context or 'syntax error'}"
    if problem and context:
        text += f" ({context})"
    return " ".join(text.split())


def describe_type(value: object) -> str:
    """A short description of a YAML value's type for messages ("a list", "a string", ...)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _unsupported_tag(node: Node) -> str:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return f"unsupported YAML tag '{tag}'"


class _Builder:
    """Turns a composed node tree into plain Python data, recording positions and problems."""

    def __init__(self, loader: _Loader, file: str, map_line: LineMapper) -> None:
        self.loader = loader
        self.file = file
        self.map_line = map_line
        self.positions = Positions()
        self.problems: list[Problem] = []

    def line(self, node: Node) -> int:
        mark = node.start_mark
        return self.map_line(mark.line + 1) if mark is not None else self.map_line(1)

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(SourcePos(self.file, self.line(node)), message))

    def build(self, node: Node, path: YamlPath) -> Any:
        self.positions.values[path] = self.line(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self.problem(node, _unsupported_tag(node))
                return None
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: Node) -> Any:
        if node.tag == _INT_TAG and isinstance(node.value, str):
            digits = sum(c.isalnum() for c in node.value.removeprefix("0x").removeprefix("0o"))
            if digits > MAX_INT_DIGITS:
                self.problem(
                    node, f"number too large ({digits} digits; the limit is {MAX_INT_DIGITS})"
                )
                return None
        try:
            return self.loader.construct_object(node, deep=True)
        except MarkedYAMLError as exc:
            if (exc.problem or "").startswith("could not determine a constructor"):
                self.problem(node, _unsupported_tag(node))
            else:
                self.problem(node, _yaml_error_message(exc))
            return None

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[Any, Any] | None:
        if node.tag != _MAP_TAG:
            self.problem(node, _unsupported_tag(node))
            return None
        result: dict[Any, Any] = {}
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.problem(key_node, MERGE_MESSAGE)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, "mapping keys must be plain values, not lists or mappings")
                continue
            key = self._scalar(key_node)
            try:
                hash(key)
            except TypeError:  # pragma: no cover - safe scalars are hashable
                self.problem(key_node, "mapping key is not a plain value")
                continue
            key_line = self.line(key_node)
            if key in first:
                self.problem(key_node, f"duplicate key {key!r} (first at line {first[key]})")
                continue
            first[key] = key_line
            child = (*path, key)
            self.positions.keys[child] = key_line
            result[key] = self.build(value_node, child)
        return result


def _at_end(problem: str | None) -> bool:
    """Whether a YAML error was found at the end of the text (something was never closed)."""
    return any(end in (problem or "") for end in ("end of stream", "<stream end>"))


def parse_yaml(
    text: str, file: str, map_line: LineMapper | None = None
) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML document.

    ``map_line`` translates lines of ``text`` to the lines reported (used for rendered templates).
    Returns the document (``None`` when it could not be parsed) and the problems found; a document
    may come back together with problems (duplicate keys, refused tags), in which case the
    offending entries are missing from it.
    """
    mapper = map_line or _identity
    loader: _Loader | None = None
    try:
        try:
            loader = _Loader(text)
            root = loader.get_single_node()
        except _Refused as exc:
            line = mapper(exc.mark.line + 1) if exc.mark is not None else None
            return None, [Problem(SourcePos(file, line), exc.message)]
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            if exc.context_mark is not None and _at_end(exc.problem):
                mark = exc.context_mark  # an unclosed string or list: where it starts, not the end
            if mark is None:
                return None, [Problem(SourcePos(file), _yaml_error_message(exc))]
            lines = text.splitlines()
            line_text = lines[mark.line] if mark.line < len(lines) else ""
            message = _yaml_error_message(exc, line_text, mark.column, example=map_line is None)
            column = mark.column + 1
            if "bad indentation" in message:  # point at the line's first character
                column = len(line_text) - len(line_text.lstrip(" ")) + 1
            # the column is the user's only where the text is theirs (not rendered by a template)
            column_shown = column if map_line is None else None
            return None, [Problem(SourcePos(file, mapper(mark.line + 1), column_shown), message)]
        except ReaderError as exc:
            line = mapper(text.count("\n", 0, max(exc.position, 0)) + 1)
            char = exc.character if isinstance(exc.character, int) else 0
            message = f"invalid YAML: {exc.reason} (character #x{char:04x})"
            return None, [Problem(SourcePos(file, line), message)]
        except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
            return None, [Problem(SourcePos(file, 1), f"invalid YAML: {exc}")]
        except RecursionError:  # pragma: no cover - prevented by MAX_DEPTH
            return None, [Problem(SourcePos(file, 1), "YAML nested too deeply")]
        if root is None:
            return YamlDocument(None, Positions()), []
        builder = _Builder(loader, file, mapper)
        data = builder.build(root, ())
        return YamlDocument(data, builder.positions), builder.problems
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(path: Path, file: str | None = None) -> Any:
    """Read and parse a whole YAML file with every check above; raise ManifestError on problems."""
    name = file or str(path)
    text, problem = read_text(path, name)
    if problem is not None or text is None:
        raise ManifestError([problem or Problem(SourcePos(name), "cannot read file")])
    document, problems = parse_yaml(text, name)
    if problems or document is None:
        raise ManifestError(problems)
    return document.data
