"""jinja2 rendering of bundle files, with errors and output lines traced to template lines.

Bundle files are rendered in an :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no
attribute escapes, no mutation of ``vars`` shared between files) with a strict undefined type,
``trim_blocks`` and ``lstrip_blocks`` (a ``{% ... %}`` line leaves no blank line or stray
indentation behind, which matters in YAML), no autoescaping and no loader: ``{% include %}``,
``{% import %}`` and ``{% extends %}`` are refused.

The context is ``vars`` (the location's merged variables) and ``location`` (``name``, ``id``).
Dotted access prefers keys over dict methods, so ``vars.items`` is the variable ``items`` if it
is defined.

Line tracing: every output chunk is attributed to the template line that produced it, using the
debug information jinja2 compiles into templates (the code generator is told not to merge literal
template data into untraceable constants). :class:`Rendered` then maps each line of the output to
a line of the template, so YAML and validation problems found in the rendered text point at the
template line the user wrote, even across ``{% for %}`` loops and ``{% if %}`` blocks.
"""

from __future__ import annotations

import bisect
import re
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Environment, Template
from jinja2.exceptions import (
    SecurityError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from ghlops.manifest import template_limits as limits
from ghlops.manifest.template_limits import BUDGET, MAX_OUTPUT_CHARS, TemplateLimit

__all__ = [
    "CompiledTemplate",
    "Rendered",
    "TemplateFailure",
    "TemplateLimit",
    "compile_template",
    "has_template_syntax",
    "render",
    "template_context",
]

_TEMPLATE_MARKERS = ("{{", "{%", "{#")


class TemplateFailure(Exception):
    """Rendering or compiling a template failed; ``line`` is the template line when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def has_template_syntax(source: str) -> bool:
    """Whether ``source`` contains any jinja2 tag; files without one render to themselves."""
    return any(marker in source for marker in _TEMPLATE_MARKERS)


# -- context objects that know their own path, for "undefined template variable 'vars.x'" ----------


class _PathDict(dict[Any, Any]):
    __slots__ = ("_ghlops_path",)

    def __init__(self, items: Mapping[Any, Any], path: str) -> None:
        super().__init__(items)
        self._ghlops_path = path


class _PathList(list[Any]):
    __slots__ = ("_ghlops_path",)

    def __init__(self, items: list[Any], path: str) -> None:
        super().__init__(items)
        self._ghlops_path = path


def _join(path: str, name: object) -> str:
    if isinstance(name, str) and name.isidentifier():
        return f"{path}.{name}"
    return f"{path}[{name!r}]"


def _wrap(value: Any, path: str) -> Any:
    if isinstance(value, Mapping):
        return _PathDict({k: _wrap(v, _join(path, k)) for k, v in value.items()}, path)
    if isinstance(value, list):
        return _PathList([_wrap(v, _join(path, i)) for i, v in enumerate(value)], path)
    return value


def template_context(
    variables: Mapping[str, Any], location_name: str, location_id: str
) -> dict[str, Any]:
    """The variables a bundle file sees when rendered for one location."""
    return {
        "vars": _wrap(variables, "vars"),
        "location": _wrap({"name": location_name, "id": location_id}, "location"),
    }


class _Undefined(StrictUndefined):
    """StrictUndefined whose message names the full dotted path of what was missing; shown in
    any way (also as an item of a list, ``[Undefined]``, from ``map`` or ``groupby``) it is an
    error."""

    __slots__ = ()

    def __repr__(self) -> str:
        self._fail_with_undefined_error()
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        obj = self._undefined_obj
        if obj is missing:
            return f"undefined template variable '{self._undefined_name}'"
        if isinstance(obj, _PathDict | _PathList):
            return f"undefined template variable '{_join(obj._ghlops_path, self._undefined_name)}'"
        return f"undefined template value: {super()._undefined_message}"


# -- the environment ------------------------------------------------------------------------------


class _NoLoader(BaseLoader):
    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        raise TemplateNotFound(template)


class _CodeGenerator(CodeGenerator):
    """Emits every output piece as its own traceable ``yield`` and notes which are literal data."""

    def _output_child_to_const(self, node: Any, frame: Any, finalize: Any) -> str:
        # Constant folding would merge template data into one chunk without line information.
        raise nodes.Impossible()

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        self.writeline("environment.ghlops_spend()", node)  # also in {% set %} blocks and macros
        super().visit_Output(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.ghlops_concat((")  # a ~ b: checked before it is joined
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_TemplateData(self, node: nodes.TemplateData, frame: Frame) -> None:
        env = self.environment
        if isinstance(env, _Environment):
            env.data_lines.setdefault(self.filename or "", set()).add(self.code_lineno)
        super().visit_TemplateData(node, frame)


class _Environment(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"+", "*", "**", "%"})
    concat = staticmethod(limits.concat)  # the join of {% set %} blocks and macros, checked
    ghlops_concat = staticmethod(limits.concat_values)  # a ~ b, checked
    ghlops_spend = staticmethod(BUDGET.spend)  # every output statement
    ghlops_loop = staticmethod(limits.loop_steps)  # what every {% for %} iterates

    def __init__(self) -> None:
        super().__init__(
            undefined=_Undefined,
            loader=_NoLoader(),
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=limits.finalize,
        )
        self.data_lines: dict[str, set[int]] = {}
        self.globals["range"] = limits.template_range
        for name in ("lipsum",):  # allocates what it is asked for
            self.globals.pop(name, None)
        for name, original in list(self.filters.items()):
            self.filters[name] = limits.limited_filter(name, original)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):  # every loop step spends the render budget
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("ghlops_loop", lineno=loop.lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return tree

    def call(
        __self,
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        limits.check_call(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        name = getattr(__obj, "__name__", None) or getattr(__obj, "name", None) or "call"
        return limits.check_result(result, f"'{name}'")

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _PathDict) and attribute in obj:
            return obj[attribute]
        found = super().getattr(obj, attribute)
        if isinstance(obj, str) and attribute in ("format", "format_map") and callable(found):
            return limits.checked_format(obj, found)
        if isinstance(obj, str | bytes) and attribute == "join" and callable(found):
            return limits.checked_method_join(obj, found)
        return found

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)


@dataclass(frozen=True)
class CompiledTemplate:
    name: str  # the file's path relative to the project; also the code's filename
    template: Template
    data_code_lines: frozenset[int]  # generated-code lines that yield literal template data
    debug_code_lines: tuple[int, ...]  # sorted generated-code lines with a template line
    debug_template_lines: tuple[int, ...]

    def template_line(self, code_line: int) -> int:
        index = bisect.bisect_right(self.debug_code_lines, code_line) - 1
        return self.debug_template_lines[index] if index >= 0 else 1


_BLOCK_TAGS = frozenset(
    {"if", "for", "macro", "call", "filter", "set", "with", "autoescape", "block"}
)


def _unclosed_block_line(env: Environment, source: str, name: str) -> int | None:
    """Line of the innermost ``{% tag %}`` that ``source`` opens and never closes."""
    open_tags: list[tuple[str, int]] = []
    statement: list[tuple[int, str, str]] | None = None
    try:
        for line, kind, value in env.lex(source, name):
            if kind == "block_begin":
                statement = []
            elif kind == "block_end" and statement:
                first_line, _, tag = statement[0]
                assigns = any(t == "operator" and v == "=" for _, t, v in statement)
                if tag in _BLOCK_TAGS and not (tag == "set" and assigns):
                    open_tags.append((tag, first_line))
                elif open_tags and tag == f"end{open_tags[-1][0]}":
                    open_tags.pop()
                statement = None
            elif statement is not None and kind != "whitespace":
                statement.append((line, kind, value))
    except TemplateSyntaxError:
        return None
    return open_tags[-1][1] if open_tags else None


def compile_template(source: str, name: str) -> CompiledTemplate:
    """Compile ``source`` named ``name`` (the relative path). Raises TemplateFailure."""
    env = _Environment()
    try:
        code = env.compile(source, name=name, filename=name)
    except TemplateSyntaxError as exc:
        # "unexpected char 'x' at 30": 30 is an offset in the file, not a column; the line says it
        reason = re.sub(r"^(unexpected char .*) at \d+$", r"\1", _one_line(exc.message))
        message = f"template syntax error: {reason}"
        line = exc.lineno
        if (exc.message or "").startswith("Unexpected end of template"):
            # jinja2 gives the line of the last text it read; the open block's tag is more useful
            line = _unclosed_block_line(env, source, name) or line
        raise TemplateFailure(message, line) from None
    except Exception as exc:  # pragma: no cover - jinja2 reports compile errors as syntax errors
        raise TemplateFailure(f"template error: {_one_line(str(exc))}", None) from None
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    debug = sorted((code_line, tpl_line) for tpl_line, code_line in template.debug_info)
    return CompiledTemplate(
        name=name,
        template=template,
        data_code_lines=frozenset(env.data_lines.pop(name, set())),
        debug_code_lines=tuple(c for c, _ in debug),
        debug_template_lines=tuple(t for _, t in debug),
    )


# -- rendering ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    text: str
    lines: tuple[int, ...]  # template line of each output line (index 0 = output line 1)

    def template_line(self, line: int) -> int:
        if not self.lines:
            return line
        if line < 1:
            return self.lines[0]
        if line > len(self.lines):
            return self.lines[-1]
        return self.lines[line - 1]


def _one_line(text: str | None) -> str:
    text = " ".join((text or "").split()).rstrip(".")
    return text.replace("'_PathDict'", "'dict'").replace("'_PathList'", "'list'")


def _innermost(gen: types.GeneratorType[Any, Any, Any]) -> types.GeneratorType[Any, Any, Any]:
    while isinstance(gen.gi_yieldfrom, types.GeneratorType):
        gen = gen.gi_yieldfrom
    return gen


def _failure_line(exc: BaseException, name: str) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _failure(exc: Exception, compiled: CompiledTemplate, fallback: int | None) -> TemplateFailure:
    line = _failure_line(exc, compiled.name) or fallback
    if isinstance(exc, TemplateLimit):
        return TemplateFailure(f"template limit: {_one_line(str(exc))}", line)
    if isinstance(exc, SecurityError):
        return TemplateFailure(f"unsafe template access: {_one_line(str(exc))}", line)
    if isinstance(exc, UndefinedError):
        return TemplateFailure(_one_line(str(exc)), line)
    if isinstance(exc, TemplateNotFound):
        return TemplateFailure(
            "{% include %}, {% import %} and {% extends %} are not supported in bundle files",
            line,
        )
    if isinstance(exc, RecursionError):  # its text varies with where the stack ran out
        return TemplateFailure("template error: maximum recursion depth exceeded", line)
    return TemplateFailure(f"template error: {_one_line(str(exc)) or type(exc).__name__}", line)


def render(compiled: CompiledTemplate, context: Mapping[str, Any]) -> Rendered:
    """Render ``compiled`` with ``context``. Raises TemplateFailure."""
    gen = compiled.template.generate(dict(context))
    pieces: list[str] = []
    lines: list[int] = []
    pending: int | None = None  # template line of the first content on the current output line
    current = 1  # template line where the latest chunk starts
    position = 1  # template line of the end of the output so far
    size = 0
    BUDGET.start()
    try:
        iterator: Iterator[str] = iter(gen)
        for chunk in iterator:
            BUDGET.spend()
            is_data = False
            if isinstance(gen, types.GeneratorType):
                inner = _innermost(gen)
                frame = inner.gi_frame
                if frame is not None and frame.f_code.co_filename == compiled.name:
                    current = compiled.template_line(frame.f_lineno)
                    is_data = frame.f_lineno in compiled.data_code_lines
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateFailure(
                    f"rendered output too large (over {MAX_OUTPUT_CHARS // (1024 * 1024)} MB)",
                    current,
                )
            pieces.append(chunk)
            for i, part in enumerate(chunk.split("\n")):
                if i > 0:  # a newline ends the output line
                    lines.append(pending if pending is not None else position)
                    pending = None
                position = current + i if is_data else current
                if part and pending is None:
                    pending = position
    except TemplateFailure:
        raise
    except Exception as exc:
        raise _failure(exc, compiled, current) from None
    finally:
        BUDGET.stop()
        if isinstance(gen, types.GeneratorType):
            gen.close()
    lines.append(pending if pending is not None else position)
    return Rendered("".join(pieces), tuple(lines))
