"""The limits bundle templates run under: CPU time, steps, and the size of every value.

A bundle file lists objects, it does not compute, so a template may take at most
:data:`RENDER_SECONDS` of CPU and :data:`MAX_STEPS` steps (loop steps, calls, filters, output
pieces), and **no value it makes may be larger than** :data:`MAX_VALUE` (characters of strings
plus items of lists and mappings, counted through nested values). Every operation that can make
a larger value than its inputs — ``~``, ``+``, ``*``, ``%``, ``str.format``, ``replace``,
``join``, ``wordwrap``, ``indent``, ``expandtabs``, the buffers of ``{% set %}`` blocks and
macros — is checked *before* it allocates, from the sizes of its inputs; every other filter and
call refuses inputs over the limit and checks its result. So a chain of ``x ~ x`` (also through
``{% set ns.x = ns.x ~ ns.x %}`` in a loop) stops at the first step past the limit, after
allocating at most a few times :data:`MAX_VALUE`.
"""

from __future__ import annotations

import math
import re
import string
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2.exceptions import SecurityError

from ghlops.manifest.yamlload import MAX_FILE_BYTES

MAX_OUTPUT_CHARS = MAX_FILE_BYTES
"""Largest rendered output accepted (characters)."""
MAX_VALUE = MAX_FILE_BYTES
"""Largest value a template may make: characters plus items, through nested values."""
MAX_RANGE = 10_000
"""Most items one ``range()`` gives (a bundle file lists objects, it does not compute)."""
MAX_WIDTH = 10_000
"""Widest padding or width a filter, ``%`` or ``str.format`` may ask for."""
MAX_INT_BITS = 100_000
"""Largest integer ``*`` and ``**`` may make (bits)."""
RENDER_SECONDS = 2.0
"""CPU time one file may take to render (checked at every step)."""
MAX_STEPS = 100_000
"""Loop steps, calls, filters and output pieces one file's rendering may take."""


class TemplateLimit(SecurityError):
    """A template asked for more than a bundle file may take (time, steps, sizes, widths)."""


class _Budget(threading.local):
    """The CPU time and steps the file being rendered (in this thread) has left."""

    deadline: float = math.inf
    steps: int = 0

    def start(self) -> None:
        self.deadline = time.thread_time() + RENDER_SECONDS
        self.steps = 0

    def stop(self) -> None:
        self.deadline = math.inf

    def spend(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise TemplateLimit(f"the template takes more than {MAX_STEPS} steps")
        if time.thread_time() > self.deadline:
            raise TemplateLimit(f"the template takes more than {RENDER_SECONDS:g} s to render")


BUDGET = _Budget()


# -- sizes ----------------------------------------------------------------------------------------


def size(value: object, limit: int = MAX_VALUE) -> int:
    """Characters of strings plus items of containers in ``value``, counted until over ``limit``
    (cost bounded by ``limit``; a value sharing parts is counted once per reference)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 8
        if total > limit:
            return total
    return total


def too_large(what: str) -> TemplateLimit:
    return TemplateLimit(f"{what} would make a value of more than {MAX_VALUE} characters or items")


def check_size(total: int, what: str) -> None:
    if total > MAX_VALUE:
        raise too_large(what)


def check_inputs(what: str, *values: object) -> None:
    """Refuse inputs that together are over the limit (literal lists can hold many references
    to one large string; nothing is made of them)."""
    total = 0
    for value in values:
        total += size(value, MAX_VALUE - total)
        check_size(total, what)


def check_result(value: Any, what: str) -> Any:
    if not isinstance(value, types.GeneratorType | Iterator):
        check_size(size(value), what)
    return value


def checked_join(pieces: Iterable[object], separator: str = "", what: str = "'~'") -> str:
    """``separator.join(map(str, pieces))``, refused before joining when over the limit."""
    strings: list[str] = []
    total = 0
    for piece in pieces:
        check_inputs(what, piece)
        text = piece if isinstance(piece, str) else str(piece)
        total += len(text) + len(separator)
        check_size(total, what)
        strings.append(text)
    return separator.join(strings)


def concat(pieces: Iterable[str]) -> str:
    """The join of output buffers (``{% set %}`` blocks, macros, ``{% filter %}``)."""
    return checked_join(pieces, what="the output of a block or macro")


def concat_values(pieces: tuple[Any, ...]) -> str:
    """``a ~ b ~ c``."""
    BUDGET.spend()
    return checked_join(pieces)


def loop_steps(iterable: Iterable[Any]) -> Iterator[Any]:
    """What a ``{% for %}`` loop iterates: every item a step of the budget."""
    for item in iterable:
        BUDGET.spend()
        yield item


def finalize(value: Any) -> Any:
    """Every ``{{ expression }}``: a step, and nothing over the limit is turned into text."""
    BUDGET.spend()
    check_inputs("'{{ }}'", value)
    return value


def template_range(*args: int) -> Iterator[int]:
    """``range`` for templates: at most MAX_RANGE items, each a step of the render budget."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimit(f"range() of {len(numbers)} items (the limit is {MAX_RANGE})")
    return loop_steps(numbers)


# -- widths and formats ---------------------------------------------------------------------------


def check_width(width: object, what: str) -> None:
    if isinstance(width, int) and abs(width) > MAX_WIDTH:
        raise TemplateLimit(f"{what} width {width} is over the limit of {MAX_WIDTH}")


_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\d+)?(?:\.(\d+))?")


def check_percent(fmt: str, args: object, what: str = "'%'") -> None:
    """``fmt % args``: widths, ``*`` widths, and the size of the result before it is made."""
    for match in _PERCENT_WIDTH.finditer(fmt):
        for group in match.groups():
            check_width(int(group) if group else 0, what)
    if "%*" in fmt or ".*" in fmt:
        raise TemplateLimit("'%' with a '*' width is not supported in templates")
    check_size(len(fmt) + fmt.count("%") * size(args), what)


def check_format_spec(fmt: str, what: str) -> None:
    """Refuse ``str.format`` fields whose width or precision is over MAX_WIDTH."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises its own error
    for _text, _name, spec, _conv in fields:
        for number in re.findall(r"\d+", spec or ""):
            check_width(int(number), what)
        if spec and "{" in spec:
            check_format_spec(spec, what)


def checked_format(fmt: str, found: Callable[..., Any]) -> Callable[..., Any]:
    """``fmt.format`` / ``fmt.format_map``, checked before it runs."""
    check_format_spec(fmt, "format")
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        fields = []
    nested = any("{" in (spec or "") for _t, _n, spec, _c in fields)

    def checked(*args: Any, **kwargs: Any) -> Any:
        if nested:  # widths given as arguments: '{:{w}}'.format(x, w=...)
            values = [*args, *kwargs.values()]
            for value in (v for a in values for v in (a.values() if isinstance(a, dict) else [a])):
                check_width(value, "format")
        check_size(len(fmt) + len(fields) * size((args, kwargs)), "format")
        return found(*args, **kwargs)

    return checked


def check_replace(
    value: object, old: object = None, new: object = None, count: object = None
) -> None:
    if isinstance(value, str | bytes) and isinstance(old, str | bytes) and isinstance(new, str):
        if not isinstance(value, type(old)):
            return
        times = value.count(old) if old else len(value) + 1  # type: ignore[arg-type]
        if isinstance(count, int) and count >= 0:
            times = min(times, count)
        check_size(len(value) + times * len(new), "'replace'")


# -- binary operators -----------------------------------------------------------------------------


def check_binop(operator: str, left: Any, right: Any) -> None:
    """``+``, ``*``, ``**`` and ``%`` checked before they run."""
    if operator == "%" and isinstance(left, str):
        check_percent(left, right)
    if operator == "+" and not _numbers(left, right):
        check_inputs("'+'", left, right)
    if operator == "*":
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise SecurityError("the result of '*' would be too large")
        for seq, times in ((left, right), (right, left)):
            if (
                isinstance(times, int)
                and not isinstance(seq, int | float)
                and size(seq) * max(times, 0) > MAX_VALUE
            ):
                raise SecurityError("the result of '*' would be too large")
    if (
        operator == "**"
        and isinstance(left, int)
        and isinstance(right, int)
        and max(left.bit_length(), 1) * right > MAX_INT_BITS
    ):
        raise SecurityError("the result of '**' would be too large")


def _numbers(left: object, right: object) -> bool:
    return isinstance(left, int | float) and isinstance(right, int | float)


# -- filters and method calls ---------------------------------------------------------------------


def _wordwrap(value: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    check_width(args[0] if args else kwargs.get("width"), "'wordwrap'")
    wrap = args[2] if len(args) > 2 else kwargs.get("wrapstring")
    if isinstance(value, str) and isinstance(wrap, str):
        check_size(len(value) * (1 + len(wrap)), "'wordwrap'")


def _indent(value: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    width = args[0] if args else kwargs.get("width")
    check_width(width, "'indent'")
    if isinstance(value, str) and isinstance(width, str):
        check_size(len(value) + (value.count("\n") + 1) * len(width), "'indent'")


def _join_filter(value: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    separator = args[0] if args else kwargs.get("d", "")
    if isinstance(separator, str) and isinstance(value, list | tuple):
        check_size(size(value) + len(value) * len(separator), "'join'")


def _width_first(name: str) -> Callable[[object, tuple[Any, ...], dict[str, Any]], None]:
    def check(value: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        check_width(args[0] if args else kwargs.get("width"), f"'{name}'")

    return check


_FILTER_CHECKS: dict[str, Callable[[object, tuple[Any, ...], dict[str, Any]], None]] = {
    "center": _width_first("center"),
    "truncate": _width_first("truncate"),
    "indent": _indent,
    "wordwrap": _wordwrap,
    "join": _join_filter,
    "replace": lambda value, args, kwargs: check_replace(value, *args[:3], **kwargs),
    "format": lambda value, args, kwargs: (
        check_percent(value, (args, kwargs)) if isinstance(value, str) else None
    ),
}


def limited_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` as a filter that spends a step, checks its inputs (and, for the filters
    that can grow a value, the size it would make) and the size of its result."""
    special = _FILTER_CHECKS.get(name)
    passes = getattr(original, "jinja_pass_arg", None)

    def limited(*all_args: Any, **kwargs: Any) -> Any:
        BUDGET.spend()
        first = 1 if passes is not None else 0  # the context, eval context or environment
        value, args = all_args[first], all_args[first + 1 :]
        what = f"'{name}'"
        check_inputs(what, value, args, kwargs)
        if special is not None:
            special(value, args, kwargs)
        return check_result(original(*all_args, **kwargs), what)

    limited.__name__ = getattr(original, "__name__", name)
    if passes is not None:
        limited.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return limited


_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})
_REFUSED_METHODS = frozenset({"translate", "maketrans"})


def check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Checks before a call from a template (a method, a macro, a global)."""
    BUDGET.spend()
    owner = getattr(obj, "__self__", None)
    name = str(getattr(obj, "__name__", None) or getattr(obj, "name", None) or "")
    what = f"'{name}'" if name else "a call"
    check_inputs(what, owner if isinstance(owner, str | bytes) else None, args, kwargs)
    if not isinstance(owner, str | bytes | int) or isinstance(owner, bool):
        return
    if name in _REFUSED_METHODS:
        raise TemplateLimit(f"'{name}' is not supported in templates")
    if name in _PADDING:
        for arg in args[:1]:
            check_width(arg, f"'{name}'")
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and abs(value) > MAX_VALUE:
            raise TemplateLimit(f"'{name}' with {value} is over the limit of {MAX_VALUE}")
    if name == "expandtabs" and isinstance(owner, str | bytes):
        tab = args[0] if args else kwargs.get("tabsize", 8)
        check_width(tab, "'expandtabs'")
        if isinstance(tab, int):
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            check_size(len(owner) + tabs * tab, "'expandtabs'")
    elif name == "replace":
        check_replace(owner, *args[:3], **kwargs)


def checked_method_join(separator: str | bytes, found: Callable[..., Any]) -> Callable[..., Any]:
    """``separator.join(items)``, refused before it joins when over the limit."""

    def join(items: Iterable[Any]) -> Any:
        listed: list[Any] = []
        total = 0
        for item in items:
            total += size(item) + len(separator)
            check_size(total, "'join'")
            listed.append(item)
        return found(listed)

    return join
