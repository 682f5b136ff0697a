"""The escapers every text from the API or the manifests goes through before it is shown.

:func:`terminal`: control characters (C0, DEL, C1), line and paragraph separators and bidi
overrides are shown escaped (``\\x1b``, ``\\n``, ``\\u202e``): a name or an error text from GHL can
neither drive the terminal (clear the screen, set the window title) nor forge a line of the
plan, with or without colours. :func:`markdown_code` does the same for text put inside a
Markdown code span or block (a PR comment).
"""

from __future__ import annotations

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
