"""Deterministic YAML, written the way a person writes bundle files.

* Mappings in block style, keys in the order given (the export puts natural-key fields first);
  the items of a kind one per ``- `` entry. A collection of plain values nested in an item that
  fits on its line is written in flow style: ``stages: [New Lead, Booked]``,
  ``icon: {name: tooth, fontFamily: fas}``, ``- {name: Standard, currency: USD, amount: 6}``.
* A string is written plain when YAML reads it back as the same string, else double-quoted with
  escapes (multi-line text as a ``|`` block when that is exact).
* Bundle files are rendered by jinja2 before they are parsed. In them (``jinja=True``), text that
  jinja2 would read as a tag (``{{``, ``{%``, ``{#``) is written inside ``{% raw %}`` …
  ``{% endraw %}``, so GHL merge fields such as ``{{contact.name}}`` arrive unchanged;
  :class:`~ghlops.export.values.Template` values become ``"…{{ vars.x }}…"``, and
  :class:`~ghlops.export.values.Masked` values become ``"{{ masked_secret }}"``, a variable no
  bundle defines, so a masked value fails the render instead of being applied.

The same data always gives the same text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ghlops.escape import terminal
from ghlops.export.values import Masked, Template, Var

WIDTH = 100  # flow collections are used only when the line fits
MASKED_VALUE = '"{{ masked_secret }}"'
MASKED_COMMENT = "# masked secret: write the value here, or export with --show-secrets"

_OPENERS = ("{{", "{%", "{#")
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
# characters PyYAML will not read raw (its reader's NON_PRINTABLE) and line breaks other than \n
_UNSAFE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\x85\u2028\u2029\ufeff]"
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def jinja_literal(text: str) -> str:
    """``text`` written so that jinja2 renders it unchanged."""
    if "{" not in text and "}" not in text:
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return text.replace("{", "{{ '{' }}")


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape(text: str) -> str:
    """The inside of a YAML double-quoted scalar for ``text``."""
    return "".join(_escape_char(c) if c in _ESCAPES or _UNSAFE.match(c) else c for c in text)


def _plain_ok(text: str, *, flow: bool, jinja: bool) -> bool:
    if not text or text != text.strip() or _UNSAFE.search(text):
        return False
    if any(c in text for c in "\n\r\t") or text[0] in _INDICATORS:
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    if jinja and any(o in text for o in _OPENERS):
        return False
    # read back in the context it is written in: a flow collection, or a block mapping value
    contexts = [(f"[{text}]", [text]), (f"{{k: {text}}}", {"k": text})] if flow else []
    contexts.append((f"k: {text}", {"k": text}))
    try:
        return all(yaml.safe_load(snippet) == expected for snippet, expected in contexts)
    except yaml.YAMLError:
        return False


def _literal_block_ok(text: str, jinja: bool) -> bool:
    """Whether a ``|`` block scalar gives back exactly ``text``."""
    body = text[:-1] if text.endswith("\n") else text
    if "\n" not in body or body.endswith("\n") or _UNSAFE.search(text):
        return False
    if "\r" in text or "\t" in text or (jinja and ("{" in text or "}" in text)):
        return False
    return all(line == line.strip() for line in body.split("\n"))


def quoted(text: str, *, jinja: bool) -> str:
    """A double-quoted scalar for ``text`` (jinja-escaped in bundle files)."""
    inner = _escape(text)
    return f'"{jinja_literal(inner) if jinja else inner}"'


def template_scalar(value: Template) -> str:
    """``"literal{{ vars.x }}literal"``: literal parts escaped for YAML and jinja2.

    The per-location values are inserted by jinja2 into the quoted scalar as they are, so the
    export only templates values without ``"``, ``\\`` or control characters.
    """
    out = []
    for part in value.parts:
        out.append(
            f"{{{{ {part.ref} }}}}" if isinstance(part, Var) else jinja_literal(_escape(part))
        )
    return '"' + "".join(out) + '"'


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text:  # YAML 1.1 reads 1e-05 as a string; 1.0e-05 is a float
        mantissa, _, exponent = text.partition("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def scalar(value: Any, *, flow: bool = False, jinja: bool = True) -> str:
    """One scalar on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Template):
        if not jinja:
            raise TypeError("templates only go into bundle files")
        return template_scalar(value)
    if isinstance(value, Masked):
        if not jinja:
            raise TypeError("masked values only go into bundle files")
        return MASKED_VALUE
    if isinstance(value, str):
        if _plain_ok(value, flow=flow, jinja=jinja):
            return value
        return quoted(value, jinja=jinja)
    raise TypeError(f"cannot write a {type(value).__name__} to YAML")


def _is_collection(value: Any) -> bool:
    return isinstance(value, Mapping | list | tuple)


def _flow(value: Any, jinja: bool, depth: int = 0) -> str | None:
    """The flow form of a collection of plain values (two levels at most), or None."""
    if isinstance(value, Masked) or depth > 1:
        return None
    if isinstance(value, Mapping):
        parts = []
        for key, item in value.items():
            text = _flow(item, jinja, depth + 1) if _is_collection(item) else None
            if _is_collection(item) and text is None:
                return None
            if isinstance(item, Masked):
                return None
            parts.append(
                f"{key}: {text if text is not None else scalar(item, flow=True, jinja=jinja)}"
            )
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, Masked):
                return None
            text = (
                _flow(item, jinja, depth + 1)
                if _is_collection(item)
                else scalar(item, flow=True, jinja=jinja)
            )
            if text is None:
                return None
            parts.append(text)
        return "[" + ", ".join(parts) + "]"
    return None


def _comment(value: Any) -> str:
    return f"  {MASKED_COMMENT}" if isinstance(value, Masked) else ""


def _literal_block(text: str, pad: str) -> list[str]:
    indicator = "|" if text.endswith("\n") else "|-"
    body = text[:-1] if text.endswith("\n") else text
    return [indicator, *(f"{pad}{line}" if line else "" for line in body.split("\n"))]


class _Writer:
    def __init__(self, jinja: bool) -> None:
        self.jinja = jinja

    def mapping(self, data: Mapping[str, Any], indent: int, *, flow: bool = True) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        for key, value in data.items():
            head = f"{pad}{key}:"
            if not _is_collection(value):
                if isinstance(value, str) and _literal_block_ok(value, self.jinja):
                    block = _literal_block(value, pad + "  ")
                    lines.append(f"{head} {block[0]}")
                    lines += block[1:]
                else:
                    lines.append(f"{head} {scalar(value, jinja=self.jinja)}{_comment(value)}")
                continue
            if not value:
                lines.append(f"{head} {'{}' if isinstance(value, Mapping) else '[]'}")
                continue
            text = _flow(value, self.jinja) if flow else None
            if text is not None and len(head) + 1 + len(text) <= WIDTH:
                lines.append(f"{head} {text}")
            elif isinstance(value, Mapping):
                lines.append(head)
                lines += self.mapping(value, indent + 2)
            else:
                lines.append(head)
                lines += self.sequence(value, indent + 2)
        return lines

    def sequence(self, data: Sequence[Any], indent: int, *, flow: bool = True) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        for value in data:
            if not _is_collection(value):
                lines.append(f"{pad}- {scalar(value, jinja=self.jinja)}{_comment(value)}")
                continue
            text = _flow(value, self.jinja) if flow else None
            if text is not None and indent + 2 + len(text) <= WIDTH:
                lines.append(f"{pad}- {text}")
                continue
            if isinstance(value, Mapping):
                inner = self.mapping(value, indent + 2)
            else:
                inner = self.sequence(value, indent + 2)
            if not inner:
                lines.append(f"{pad}- {'{}' if isinstance(value, Mapping) else '[]'}")
                continue
            lines.append(f"{pad}- {inner[0][indent + 2 :]}")
            lines += inner[1:]
        return lines


def dump(
    data: Mapping[str, Any],
    *,
    jinja: bool = True,
    header: Sequence[str] = (),
    item_lists: bool = True,
) -> str:
    """A YAML document for ``data`` (a mapping), with ``header`` as comment lines.

    Args:
        data: The document; its values are mappings, lists and scalars (and, with ``jinja``,
            templates and masked values).
        jinja: The file is a bundle file (rendered by jinja2 before it is parsed).
        header: Comment lines written first (without ``#``).
        item_lists: The top-level lists hold items: each entry in block style.
    """
    writer = _Writer(jinja)
    # comment lines name locations: one line each, whatever a name holds
    lines = [f"# {terminal(line)}".rstrip() for line in header]
    for key, value in data.items():
        if isinstance(value, list | tuple) and value and item_lists:
            lines.append(f"{key}:")
            lines += writer.sequence(value, 2, flow=False)
        else:
            lines += writer.mapping({key: value}, 0)
    return "\n".join(lines) + "\n"
