"""What stops a plan, and what a flag let through, shown first in every output.

Each refusal names the exact flag that would allow it (or says that none does): a reviewer reads
at the top of the text, the JSON or the PR comment why the plan cannot be applied as it is.
"""

from __future__ import annotations

from dataclasses import replace

from ghlops.escape import terminal
from ghlops.plan.safety import Verdict, Violation
from ghlops.render.markdown import _code, _prose
from ghlops.secrets import mask_text

FAIL = "❌"
WARN = "⚠️"


def masked(v: Violation) -> Violation:
    """``v`` with secrets and secret-looking values masked in its words (names and messages
    quote what GHL and the manifests hold)."""
    return replace(v, where=mask_text(v.where), message=mask_text(v.message))


def masked_verdict(verdict: Verdict) -> Verdict:
    """Every refusal and allowance of ``verdict`` masked (see :func:`masked`): what the JSON,
    the plan file and every other output show."""
    return Verdict(
        tuple(masked(v) for v in verdict.refused), tuple(masked(v) for v in verdict.allowed)
    )


def shown(v: Violation) -> str:
    """One refusal for the terminal: masked, on one line, control characters escaped."""
    return terminal(str(masked(v)))


def text_block(verdict: Verdict) -> str:
    """Lines for the top of the text output ("" when there is nothing to say)."""
    lines: list[str] = []
    if verdict.refused:
        n = len(verdict.refused)
        lines.append(
            f"Refused ({n}): nothing is applied while {'this stands' if n == 1 else 'these stand'}"
        )
        lines += [f"  {shown(v)}  [{terminal(v.advice)}]" for v in verdict.refused]
    if verdict.allowed:
        lines.append(f"Allowed by flags ({len(verdict.allowed)}):")
        lines += [f"  {shown(v)}  [allowed by {terminal(v.allow)}]" for v in verdict.allowed]
    return "\n".join(lines) + "\n\n" if lines else ""


def _md_line(v: Violation, allowed: bool) -> str:
    if allowed:
        how = f"allowed by {_code(v.allow)}"
    elif v.allow:
        how = f"allow with {_code(v.allow)}"
    else:
        how = "no flag allows this"
    message = _prose(mask_text(v.message))
    return f"- **{_prose(mask_text(v.where))}** ({_prose(v.rule)}): {message} — {how}"


def markdown_block(verdict: Verdict) -> str:
    """Markdown for the very top of the PR comment ("" when there is nothing to say)."""
    parts: list[str] = []
    if verdict.refused:
        n = len(verdict.refused)
        parts.append(
            f"## {FAIL} ghlops plan refused ({n} refusal{'s' if n != 1 else ''})\n\n"
            "Nothing will be applied while these stand:\n\n"
            + "\n".join(_md_line(v, False) for v in verdict.refused)
            + "\n"
        )
    if verdict.allowed:
        parts.append(
            f"> {WARN} **Allowed by flags recorded in the plan** (applied as reviewed):\n"
            + "\n".join(f"> {_md_line(v, True)}" for v in verdict.allowed)
            + "\n"
        )
    return "\n".join(parts) + "\n" if parts else ""


def markdown_facts(rendered: str, facts: list[str]) -> str:
    """``rendered`` (a plan's Markdown, refusals first) with a saved plan's facts as a quote
    after the refusals, before the plan's own title."""
    quote = "> " + "  \n> ".join(_prose(f) for f in facts) + "\n\n"
    at = rendered.find("## ghlops plan:")
    if at < 0:
        return quote + rendered
    return rendered[:at] + quote + rendered[at:]
