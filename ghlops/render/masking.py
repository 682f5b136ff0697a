"""Plans as every output shows them: secret-looking values masked, unless asked otherwise.

The text plan, ``--json``, the apply log, the Markdown comment and plan files all show a plan
through :func:`masked_plan` (``--show-secrets`` opts out, for local use): values masked by their
field's name and their own look (:mod:`ghlops.secrets`), free text (reasons, warnings, notes,
errors) by what looks secret in it. Live "before" values are masked like desired ones: a value
that exists only in GHL is as secret as one in the manifests.
"""

from __future__ import annotations

from dataclasses import replace

from ghlops.plan.changes import Change, FieldDiff, LocationPlan, Plan
from ghlops.resources import registry
from ghlops.secrets import mask_diff, mask_secrets, mask_text, secret_label


def plain_fields(kind: str) -> tuple[str, ...]:
    """The identifier fields of a kind that only have a secret-like name (``key``)."""
    adapter = registry.ADAPTERS.get(kind)
    return adapter.plain_fields if adapter else ()


def masked_change(change: Change) -> Change:
    labelled = any(secret_label(m) for m in (change.before, change.after) if m)
    plain = plain_fields(change.kind)
    diffs = tuple(
        FieldDiff(d.field, *mask_diff(d.field, d.before, d.after, labelled=labelled, plain=plain))
        for d in change.diffs
    )
    return replace(
        change,
        before=None if change.before is None else mask_secrets(change.before, plain=plain),
        after=None if change.after is None else mask_secrets(change.after, plain=plain),
        diffs=diffs,
        reasons=tuple(mask_text(r) for r in change.reasons),
    )


def masked_location(loc: LocationPlan) -> LocationPlan:
    return replace(
        loc,
        changes=tuple(masked_change(c) for c in loc.changes),
        warnings=tuple(mask_text(w) for w in loc.warnings),
        notes=tuple(mask_text(n) for n in loc.notes),
        error=None if loc.error is None else mask_text(loc.error),
    )


def masked_plan(plan: Plan, *, show_secrets: bool = False) -> Plan:
    """``plan`` with what looks secret masked; ``plan`` itself when ``show_secrets``."""
    if show_secrets:
        return plan
    return replace(
        plan,
        locations=tuple(masked_location(loc) for loc in plan.locations),
        agency=None if plan.agency is None else masked_location(plan.agency),
    )
