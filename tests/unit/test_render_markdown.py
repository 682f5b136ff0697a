"""The Markdown plan (``--markdown``): a golden file, truncation, grouping and secret masking.

Regenerate the golden file after an intended change of the layout with
``GHLOPS_UPDATE_GOLDEN=1 pytest tests/unit/test_render_markdown.py`` and review its diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, Plan, frozen
from ghlops.render.markdown import render_markdown

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "plan.md"

# token-like values that must never appear whole in a masked plan
CANARY_URL_OLD = "C4naryOldT0kenAAAAAAAAAAAAAAA0001"
CANARY_URL_NEW = "C4naryNewT0kenBBBBBBBBBBBBBBB0002"
CANARY_LABELLED = "zap_C4naryLabelledCCCCCCCCCC0003"
CANARY_NESTED = "C4naryNestedDDDDDDDDDDDDDDDDDD0004"
CANARY_MENU = "C4naryMenuEEEEEEEEEEEEEEEEEEEE0005"
CANARY_PIT = "pit-0c4a9e7f-1d2b-4c3a-9f8e-7d6c5b4a0006"
CANARIES = (CANARY_URL_OLD, CANARY_URL_NEW, CANARY_LABELLED, CANARY_NESTED, CANARY_MENU, CANARY_PIT)

WRITE_ONLY = (
    "price 'Cleaning/Standard': write-only fields trialPeriod are not compared (GHL does not "
    "return them); they are sent with the next change to the price"
)


def vip() -> Change:
    return Change(Action.CREATE, "tags", "vip", None, None, frozen({"name": "vip"}))


def old_promo(object_id: str) -> Change:
    return Change(
        Action.DELETE,
        "tags",
        "old-promo",
        object_id,
        frozen({"name": "old-promo"}),
        None,
        destructive=True,
        reasons=("not in the manifests and policy.prune includes tags",),
    )


def golden_plan() -> Plan:
    """Every action, a destructive replace and deletes, shared changes, secrets, a failure."""
    downtown = LocationPlan(
        "downtown",
        "ve9EPM428h8vShlRW1KT",
        (
            vip(),
            Change(
                Action.CREATE,
                "customValues",
                "Zapier API Key",
                None,
                None,
                frozen({"name": "Zapier API Key", "value": CANARY_LABELLED}),
            ),
            Change(
                Action.UPDATE,
                "customValues",
                "Booking URL",
                "bbbbbbbbbbbbbbbbbbb1",
                frozen({"name": "Booking URL", "value": "https://book.example.com/old"}),
                frozen({"name": "Booking URL", "value": "https://book.example.com/downtown"}),
                (
                    FieldDiff(
                        "value", "https://book.example.com/old", "https://book.example.com/downtown"
                    ),
                ),
            ),
            Change(
                Action.UPDATE,
                "customValues",
                "Lead Webhook",
                "bbbbbbbbbbbbbbbbbbb2",
                frozen({"name": "Lead Webhook", "value": "https://hooks.example.com/in?src=ghl"}),
                frozen(
                    {
                        "name": "Lead Webhook",
                        "value": f"https://hooks.example.com/in?src=ghl&token={CANARY_URL_NEW}",
                    }
                ),
                (
                    FieldDiff(
                        "value",
                        f"https://hooks.example.com/in?src=ghl&token={CANARY_URL_OLD}",
                        f"https://hooks.example.com/in?src=ghl&token={CANARY_URL_NEW}",
                    ),
                ),
            ),
            Change(
                Action.REPLACE,
                "customFields",
                "contact:Pet Name",
                "ccccccccccccccccccc1",
                frozen({"name": "Pet Name", "dataType": "TEXT"}),
                frozen({"name": "Pet Name", "dataType": "LARGE_TEXT"}),
                (FieldDiff("dataType", "TEXT", "LARGE_TEXT"),),
                destructive=True,
                reasons=(
                    "dataType cannot change after creation: the custom field is deleted and "
                    "re-created, and the data stored in it is lost",
                ),
            ),
            old_promo("aaaaaaaaaaaaaaaaaaa1"),
        ),
        frozen({"tags": 2}) or {},
        warnings=(
            "tag 'dup': 2 live objects match (aaaaaaaaaaaaaaaaaaa7, aaaaaaaaaaaaaaaaaaa8); "
            "left untouched until the duplicates are resolved by hand",
        ),
    )
    uptown = LocationPlan(
        "uptown",
        "Xk3pQ9wRt7LmN2bV5cZa",
        (
            vip(),
            old_promo("aaaaaaaaaaaaaaaaaaa2"),
            Change(
                Action.MANUAL,
                "pipelines",
                "Sales",
                "ppppppppppppppppppp1",
                frozen({"name": "Sales", "stages": ["New", "Won"]}),
                frozen({"name": "Sales", "stages": ["New", "Booked", "Won"]}),
                (FieldDiff("stages", ["New", "Won"], ["New", "Booked", "Won"]),),
                reasons=(
                    "update by hand: the API cannot write pipelines",
                    "In GHL: Opportunities → Pipelines → Sales: add the stage Booked after New",
                ),
            ),
        ),
        notes=(WRITE_ONLY,),
    )
    eastside = LocationPlan(
        "eastside",
        "Qw8eR7tY6uI5oP4aS3dF",
        (
            vip(),
            Change(
                Action.CREATE,
                "calendars",
                "consult",
                None,
                None,
                frozen(
                    {
                        "name": "Consult",
                        "slug": "consult",
                        "slotDuration": 30,
                        "notifications": [
                            {"type": "webhook", "url": "https://crm.example.com/hook"},
                            {"type": "webhook", "signingSecret": CANARY_NESTED},
                        ],
                    }
                ),
            ),
        ),
        notes=(WRITE_ONLY,),
    )
    northside = LocationPlan(
        "northside", "Lk9jH8gF7dS6aP5oI4uY", unmanaged=frozen({"tags": 3, "customFields": 1}) or {}
    )
    westside = LocationPlan(
        "westside",
        "Zx1cV2bN3mM4nB5vC6xZ",
        error=(
            "GET /locations/Zx1cV2bN3mM4nB5vC6xZ/tags → 401 Unauthorized "
            f"(token {CANARY_PIT} was rejected)"
        ),
    )
    agency = LocationPlan(
        "agency",
        "Cmp0AgencyCompany001",
        (
            Change(
                Action.CREATE,
                "customMenuLinks",
                "Reports",
                None,
                None,
                frozen(
                    {
                        "title": "Reports",
                        "url": f"https://reports.example.com/embed?key={CANARY_MENU}&view=week",
                        "openMode": "iframe",
                        "locations": ["Xk3pQ9wRt7LmN2bV5cZa", "ve9EPM428h8vShlRW1KT"],
                    }
                ),
            ),
            Change(
                Action.UPDATE,
                "customMenuLinks",
                "Help",
                "mmmmmmmmmmmmmmmmmmm1",
                frozen({"title": "Help", "url": "https://help.example.com/v1"}),
                frozen({"title": "Help", "url": "https://help.example.com/v2"}),
                (FieldDiff("url", "https://help.example.com/v1", "https://help.example.com/v2"),),
            ),
        ),
    )
    return Plan((downtown, uptown, eastside, northside, westside), agency)


def test_golden_file() -> None:
    text = render_markdown(golden_plan())
    if os.environ.get("GHLOPS_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


# --- secrets ----------------------------------------------------------------------------------


def test_no_canary_appears_unmasked() -> None:
    text = render_markdown(golden_plan())
    for canary in CANARIES:
        assert canary not in text
        assert canary[:-4] not in text, "at most the last 4 characters show"
    assert "token=••••0001" in text and "token=••••0002" in text
    assert "?key=••••0005&view=week" in text, "a URL keeps all but its secret parts"
    assert '"signingSecret": "••••0004"' in text
    assert "https://book.example.com/downtown" in text, "a booking URL is no secret"


def test_show_secrets_shows_them_with_a_warning() -> None:
    text = render_markdown(golden_plan(), show_secrets=True)
    for canary in CANARIES:
        assert canary in text
    assert "••••" not in text
    assert "**Secrets are shown unmasked**" in text.splitlines()[4]


def test_a_secret_changing_under_the_mask_is_still_a_change() -> None:
    change = Change(
        Action.UPDATE,
        "customValues",
        "Mailer",
        "bbbbbbbbbbbbbbbbbbb1",
        frozen({"name": "Mailer", "value": "x", "apiKey": "abc"}),
        frozen({"name": "Mailer", "value": "x", "apiKey": "xyz"}),
        (FieldDiff("apiKey", "abc", "xyz"),),
    )
    text = render_markdown(Plan((LocationPlan("downtown", "ve9EPM428h8vShlRW1KT", (change,)),)))
    assert '-     apiKey: "••••"\n+     apiKey: "••••"  # masked; the value changes' in text
    assert "abc" not in text and "xyz" not in text


# --- grouping ---------------------------------------------------------------------------------


def fleet(n: int, *extra: Change) -> Plan:
    return Plan(
        tuple(
            LocationPlan(f"clinic-{i:02}", f"L{i:019}", (vip(), *(extra if i == 0 else ())))
            for i in range(n)
        )
    )


def test_identical_changes_are_shown_once_with_their_locations() -> None:
    update = Change(
        Action.UPDATE,
        "customValues",
        "Booking URL",
        "bbbbbbbbbbbbbbbbbbb1",
        frozen({"name": "Booking URL", "value": "https://a"}),
        frozen({"name": "Booking URL", "value": "https://b"}),
        (FieldDiff("value", "https://a", "https://b"),),
    )
    text = render_markdown(fleet(25, update))
    assert '<summary><code>+ tag "vip"</code> — 25 locations</summary>' in text
    assert text.count('+ tag "vip"') == 2, "the summary and its diff block, once"
    # every name up to 10, then a count (as in the text plan)
    names = ", ".join(f"`clinic-{i:02}`" for i in range(10))
    assert f"In {names}, … and 15 more." in text
    assert "`clinic-10`" not in text.split("### Other changes")[0].split("| **total**")[1]
    assert "`clinic-00`</b>" not in text
    assert text.count("<summary><b>clinic-") == 1, "only the location with a change of its own"
    assert "And 1 change shared with other locations (see above)." in text
    assert "Other changes" in text
    assert '~ custom value "Booking URL" (id bbbbbbbbbbbbbbbbbbb1)' in text


def test_changes_in_fewer_locations_than_group_min_are_not_grouped() -> None:
    text = render_markdown(fleet(2))
    assert "Changes in several locations" not in text
    assert text.count('+ tag "vip"') == 2
    assert "Changes in several locations" in render_markdown(fleet(2), group_min=2)


def test_deletes_group_although_their_ids_differ() -> None:
    plan = Plan(
        tuple(LocationPlan(f"c{i}", f"L{i:019}", (old_promo(f"a{i:019}"),)) for i in range(3))
    )
    text = render_markdown(plan)
    assert '<code>- tag "old-promo"  DESTRUCTIVE</code> — 3 locations' in text
    assert "| `c0`, `c1`, `c2` | `-` delete | tag | `old-promo` |" in text


# --- truncation -------------------------------------------------------------------------------


def big_plan(locations: int, changes: int) -> Plan:
    def tag(i: int, j: int) -> Change:
        return Change(
            Action.CREATE, "tags", f"tag-{i}-{j}", None, None, frozen({"name": f"tag-{i}-{j}"})
        )

    return Plan(
        tuple(
            LocationPlan(f"clinic-{i:03}", f"L{i:019}", tuple(tag(i, j) for j in range(changes)))
            for i in range(locations)
        )
    )


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| `clinic-")]


def test_long_plans_are_cut_below_the_limit_keeping_the_summary_table() -> None:
    plan = big_plan(120, 40)
    full = render_markdown(plan, max_chars=10_000_000)
    assert len(full) > 65_536
    text = render_markdown(plan)
    assert len(text) <= 64_000
    assert table_rows(text) == table_rows(full) and len(table_rows(text)) == 120
    assert "| **total** |  | **4800** |" in text
    shown = text.count("<summary><b>clinic-")
    assert 0 < shown < 120
    assert f"_… {120 - shown} more locations; see the uploaded plan file._" in text
    assert text.count("<details") == text.count("</details>")
    assert text.count("```") % 2 == 0
    assert text.endswith("</sub>\n"), "the footer stays"


def test_one_huge_location_is_cut_inside_its_block() -> None:
    text = render_markdown(big_plan(1, 5_000))
    assert len(text) <= 64_000
    match = re.search(r"_… (\d+) more lines of this location's changes", text)
    assert match is not None
    assert text.count('+ tag "tag-0-') + int(match.group(1)) == 5_000
    assert text.count("```") % 2 == 0


def test_a_tiny_limit_still_keeps_title_and_table() -> None:
    text = render_markdown(golden_plan(), max_chars=2_500)
    assert text.startswith("## ghlops plan: 6 to create")
    assert "| **total** |" in text and "| `westside` |" in text
    assert "more locations; see the uploaded plan file" in text


def test_quiet_locations_collapse_into_one_row_in_big_fleets() -> None:
    quiet = tuple(LocationPlan(f"q{i}", f"Q{i:019}") for i in range(30))
    plan = Plan((*big_plan(1, 1).locations, *quiet))
    text = render_markdown(plan)
    assert "| _30 more locations_ |  | 0 | 0 | 0 | 0 | 0 | 0 | no changes |" in text
    assert "`q0`" not in text


# --- Markdown hygiene -------------------------------------------------------------------------


def test_awkward_keys_and_values_cannot_break_the_markdown() -> None:
    key = "we|rd`tag"
    change = Change(
        Action.DELETE,
        "tags",
        key,
        "aaaaaaaaaaaaaaaaaaa1",
        frozen({"name": key}),
        None,
        destructive=True,
        reasons=("<b>not</b> *in* the | manifests",),
    )
    value = "```\n</details>"
    create = Change(
        Action.CREATE, "customValues", "Odd", None, None, frozen({"name": "Odd", "value": value})
    )
    text = render_markdown(Plan((LocationPlan("a<b>", "ve9EPM428h8vShlRW1KT", (change, create)),)))
    row = next(line for line in text.splitlines() if "`-` delete" in line)
    assert "`` we\\|rd`tag ``" in row
    assert row.count("|") - row.count("\\|") == 6, "five cells"
    assert "\\<b\\>not\\</b\\> \\*in\\* the \\| manifests |" in row
    assert "<b>a&lt;b&gt;</b>" in text
    assert "````diff\n" in text, "a fence longer than any backtick run inside"


def test_no_changes() -> None:
    plan = Plan((LocationPlan("uptown", "Xk3pQ9wRt7LmN2bV5cZa"),))
    text = render_markdown(plan)
    assert text.startswith("## ghlops plan: no changes\n")
    assert "<details" not in text and "Destructive" not in text


def test_failures_show_in_the_title_when_nothing_else_changes() -> None:
    plan = Plan((LocationPlan("uptown", "Xk3pQ9wRt7LmN2bV5cZa", error="GET /x → 401"),))
    text = render_markdown(plan)
    assert text.startswith("## ghlops plan: no changes · ❌ 1 failed\n")
    assert "- `uptown` (`Xk3pQ9wRt7LmN2bV5cZa`): `GET /x → 401`" in text


def test_protected_changes_are_listed_with_the_destructive_ones() -> None:
    change = Change(
        Action.DELETE,
        "customFields",
        "contact:Insurance",
        "ccccccccccccccccccc2",
        frozen({"name": "Insurance"}),
        None,
        destructive=True,
        reasons=("not in the manifests and policy.prune includes customFields",),
        protected=True,
    )
    text = render_markdown(Plan((LocationPlan("downtown", "ve9EPM428h8vShlRW1KT", (change,)),)))
    assert (
        "| `downtown` | `-` delete | custom field | `contact:Insurance` | not in the manifests "
        "and policy.prune includes customFields<br>protected: refused |"
    ) in text
    assert (
        '- custom field "contact:Insurance" (id ccccccccccccccccccc2)  DESTRUCTIVE  PROTECTED'
        in text
    )


def test_each_shared_change_is_its_own_group_as_in_the_text_plan() -> None:
    def tag(name: str) -> Change:
        return Change(Action.CREATE, "tags", name, None, None, frozen({"name": name}))

    plan = Plan(
        tuple(
            LocationPlan(
                f"c{i}", f"L{i:019}", (tag("a"), tag("b"), *((tag("c"),) if i < 3 else ()))
            )
            for i in range(5)
        )
    )
    text = render_markdown(plan)
    assert '<details><summary><code>+ tag "a"</code> — 5 locations</summary>' in text
    assert '```diff\n+ tag "a"\n```\n\nIn `c0`, `c1`, `c2`, `c3`, `c4`.' in text
    assert '<details><summary><code>+ tag "b"</code> — 5 locations</summary>' in text
    assert '<details><summary><code>+ tag "c"</code> — 3 locations</summary>' in text
    assert "Other changes" not in text and "Changes by location" not in text


# --- fleet goldens: identical field changes of objects that differ elsewhere; --expand ---------

GOLDEN_FLEET = GOLDEN.parent / "plan-fleet.md"
GOLDEN_FLEET_EXPAND = GOLDEN.parent / "plan-fleet-expand.md"


def fleet_plan(n: int = 12) -> Plan:
    """``n`` clinics: the same phone change in all (each custom value has its own other fields),
    the same dataType replace in all (each field has its own placeholder), and one clinic with
    an update of its own."""

    def location(i: int) -> LocationPlan:
        name = f"clinic-{i:02}"
        phone = Change(
            Action.UPDATE,
            "customValues",
            "Phone",
            f"p{i:019}",
            frozen({"name": "Phone", "value": "555-0100", "note": name}),
            frozen({"name": "Phone", "value": "555-0199", "note": name}),
            (FieldDiff("value", "555-0100", "555-0199"),),
        )
        pet = Change(
            Action.REPLACE,
            "customFields",
            "contact:Pet",
            f"f{i:019}",
            frozen({"name": "Pet", "dataType": "TEXT", "placeholder": name}),
            frozen({"name": "Pet", "dataType": "LARGE_TEXT", "placeholder": name}),
            (FieldDiff("dataType", "TEXT", "LARGE_TEXT"),),
            destructive=True,
            reasons=("dataType cannot change after creation",),
        )
        own: tuple[Change, ...] = ()
        if i == 7:
            own = (
                Change(
                    Action.UPDATE,
                    "customValues",
                    "City",
                    f"c{i:019}",
                    frozen({"name": "City", "value": "Springfield"}),
                    frozen({"name": "City", "value": "Shelbyville"}),
                    (FieldDiff("value", "Springfield", "Shelbyville"),),
                ),
            )
        return LocationPlan(name, f"L{i:019}", (phone, pet, *own))

    return Plan(tuple(location(i) for i in range(n)))


def _golden(path: Path, text: str) -> None:
    if os.environ.get("GHLOPS_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_golden_fleet_groups_identical_field_changes_naming_ten() -> None:
    text = render_markdown(fleet_plan())
    _golden(GOLDEN_FLEET, text)
    shared = text.split("### Changes in several locations")[1].split("### Other changes")[0]
    names = ", ".join(f"`clinic-{i:02}`" for i in range(10))
    assert shared.count(f"In {names}, … and 2 more.") == 2
    assert '<summary><code>~ custom value "Phone"</code> — 12 locations</summary>' in shared
    assert "(id " not in shared
    assert text.count("<summary><b>clinic-") == 1  # only clinic-07 has a change of its own
    assert "And 2 changes shared with other locations (see above)." in text


def test_golden_fleet_expand_lists_every_change_under_every_location() -> None:
    text = render_markdown(fleet_plan(), expand=True)
    _golden(GOLDEN_FLEET_EXPAND, text)
    assert "Changes in several locations" not in text
    assert text.count("<summary><b>clinic-") == 12
    assert text.count('~ custom value "Phone" (id ') == 12
    assert "shared with other locations" not in text


def test_ten_names_or_fewer_are_all_listed() -> None:
    text = render_markdown(fleet_plan(10))
    names = ", ".join(f"`clinic-{i:02}`" for i in range(10))
    assert f"In {names}.\n" in text and "more." not in text.split("### Other changes")[0]
