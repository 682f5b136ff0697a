"""The escapers every text from the API or the manifests goes through before it is shown.

:func:`terminal`: control characters (C0, DEL, C1), line and paragraph separators and bidi
overrides are shown escaped (``\\x1b``, ``\\n``, ``\\u202e``): a name or an error text from GHL can
neither drive the terminal (clear the screen, set the window title) nor forge a line of the
plan, with or without colours. :func:`markdown_code` does the same for text put inside a
Markdown code span or block (a PR comment). :func:`json_text` writes JSON (``--json``, plan
files) with the same characters as JSON escapes (``\\u001b``).
"""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))},
    ord("\t"): "\\t",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    **{code: f"\\u{code:04x}" for code in (0x2028, 0x2029, *range(0x202A, 0x202F))},
    **{code: f"\\u{code:04x}" for code in (*range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)},
}


def terminal(text: str) -> str:
    """``text`` on one line, with control and direction characters escaped."""
    return text.translate(_ESCAPES)


def markdown_code(text: str) -> str:
    """``text`` for a Markdown code span or block: one line, controls escaped, no backtick
    that could end the span."""
    return terminal(text).replace("`", "'")


_JSON_ESCAPES = {
    code: f"\\u{code:04x}"
    for code in _ESCAPES
    if code >= 0x7F  # C0 controls are escaped by JSON itself
}


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON text holding no raw control or direction character.

    JSON is for programs: every string decodes to exactly what GHL or the manifests hold. But
    its text is also printed, piped to ``less`` and kept in CI logs, so the characters
    :func:`terminal` escapes are written as JSON escapes (``\\u001b``, ``\\u009b``,
    ``\\u202e``; JSON escapes C0 controls itself): the text is safe to show, and a consumer
    that decodes it and prints the values must escape them itself.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    return text.translate(_JSON_ESCAPES)
