"""The export's YAML writer: what it writes reads back (through jinja2 and YAML) as what it was
given, looks hand-written, and never lets jinja2 or YAML reinterpret a value."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ghlops.export.values import Masked, Template, Var
from ghlops.export.writer import dump, jinja_literal, scalar
from ghlops.manifest.templating import (
    TemplateFailure,
    compile_template,
    render,
    template_context,
)

TRICKY = [
    "plain text",
    "",
    " leading space",
    "trailing space ",
    "yes",
    "NO",
    "on",
    "null",
    "~",
    "3",
    "0x1F",
    "1e3",
    "2024-01-01",
    "+1 555 0101",
    "- dash",
    "key: value",
    "hash # comment",
    "ends with colon:",
    "#start",
    "@handle",
    "`tick`",
    "'single'",
    '"double"',
    "back\\slash",
    "tab\tinside",
    "line one\nline two\n",
    "line one\nline two",
    "two trailing\n\n",
    "  indented\nlines",
    "nel\x85char",
    "separator\u2028line",
    "bom\ufeffinside",
    "bell\x07char",
    "unicode: café ☕ 日本",
    "emoji 🦷",
    "Hi {{contact.first_name}}",
    "{% if x %}y{% endif %}",
    "{# comment #}",
    "{% endraw %} sneaky {{ x }}",
    "braces { and } alone",
    "}} closing first {{",
    "https://x.example/?a=1&b=2#frag",
    "[not, a, list]",
    "{not: a map}",
    "* star",
    "! bang",
    "% percent",
    "| pipe",
    "> fold",
]


def rendered(text: str, variables: dict[str, Any] | None = None) -> Any:
    """What ghlops' loader makes of a bundle file: jinja2 first, then YAML."""
    compiled = compile_template(text, "bundle.yaml")
    out = render(compiled, template_context(variables or {}, "clinic-a", "A" * 20))
    return yaml.safe_load(out.text)


@pytest.mark.parametrize("value", TRICKY)
def test_every_string_reads_back_unchanged_through_jinja_and_yaml(value: str) -> None:
    text = dump({"customValues": [{"name": "x", "value": value}]})
    assert rendered(text) == {"customValues": [{"name": "x", "value": value}]}


@pytest.mark.parametrize("value", TRICKY)
def test_in_flow_collections_too(value: str) -> None:
    text = dump({"pipelines": [{"name": "p", "stages": [value, "b"]}]})
    assert rendered(text)["pipelines"][0]["stages"] == [value, "b"]


@pytest.mark.parametrize("value", TRICKY)
def test_project_files_are_plain_yaml_without_jinja_escapes(value: str) -> None:
    text = dump({"locations": [{"name": "a", "vars": {"x": value}}]}, jinja=False)
    assert "{% raw %}" not in text
    assert yaml.safe_load(text) == {"locations": [{"name": "a", "vars": {"x": value}}]}


def test_plain_strings_stay_plain_and_yaml_lookalikes_are_quoted() -> None:
    assert scalar("Smile Dental Springfield") == "Smile Dental Springfield"
    assert scalar("https://portal.example.com/a?b=1") == "https://portal.example.com/a?b=1"
    assert scalar("e.g. Delta Dental") == "e.g. Delta Dental"
    assert scalar("yes") == '"yes"'
    assert scalar("NO") == '"NO"'
    assert scalar("3") == '"3"'
    assert scalar("2024-01-01") == '"2024-01-01"'
    assert scalar("VIP: gold") == '"VIP: gold"'
    assert scalar("") == '""'
    assert scalar("a,b") == "a,b"
    assert scalar("a,b", flow=True) == '"a,b"'


def test_numbers_and_booleans() -> None:
    assert scalar(True) == "true"
    assert scalar(0.5) == "0.5"
    assert scalar(1e-05) == "1.0e-05"
    assert yaml.safe_load(scalar(1e-05)) == 1e-05
    assert scalar(30) == "30"
    assert scalar(None) == "null"


def test_merge_fields_are_wrapped_in_raw_and_endraw_falls_back_to_literals() -> None:
    assert scalar("Hi {{contact.name}}") == '"{% raw %}Hi {{contact.name}}{% endraw %}"'
    assert jinja_literal("no braces") == "no braces"
    assert "{% raw %}" not in jinja_literal("{% endraw %}")
    assert jinja_literal("{% endraw %}") == "{{ '{' }}% endraw %}"


def test_layout_reads_like_a_hand_written_bundle() -> None:
    text = dump(
        {
            "shippingZones": [
                {
                    "name": "Domestic",
                    "countries": [{"code": "US"}],
                    "rates": [
                        {"name": "Standard", "currency": "USD", "amount": 6},
                        {"name": "Free over $100", "currency": "USD", "amount": 0},
                    ],
                }
            ]
        },
        header=["ghlops export: clinic-a"],
    )
    assert text == (
        "# ghlops export: clinic-a\n"
        "shippingZones:\n"
        "  - name: Domestic\n"
        "    countries: [{code: US}]\n"
        "    rates:\n"
        "      - {name: Standard, currency: USD, amount: 6}\n"
        "      - {name: Free over $100, currency: USD, amount: 0}\n"
    )


def test_long_collections_go_to_block_style_and_items_never_flow() -> None:
    stages = [f"Stage number {n}" for n in range(12)]
    text = dump({"pipelines": [{"name": "Long", "stages": stages}], "tags": [{"name": "a"}]})
    assert "  - name: Long\n    stages:\n      - Stage number 0\n" in text
    assert "tags:\n  - name: a\n" in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_multi_line_text_is_a_literal_block() -> None:
    text = dump({"calendars": [{"name": "c", "description": "One.\nTwo."}]})
    assert "    description: |-\n      One.\n      Two.\n" in text


def test_the_same_data_gives_the_same_text_in_the_order_given() -> None:
    data = {"tags": [{"name": "b"}, {"name": "a"}], "customValues": [{"value": "1", "name": "x"}]}
    assert dump(data) == dump(data)
    assert dump(data).index("name: b") < dump(data).index("name: a")
    assert dump(data).index("value:") < dump(data).index("name: x")


def test_templates_render_per_location_with_literal_parts_escaped() -> None:
    template = Template(("Hi {{contact.name}}, book at https://b.example/", Var("vars.slug"), '"'))
    text = dump({"customValues": [{"name": "Booking", "value": template}]})
    assert "{{ vars.slug }}" in text
    for slug in ("clinic-a", "north"):
        data = rendered(text, {"slug": slug})
        assert data["customValues"][0]["value"] == (
            f'Hi {{{{contact.name}}}}, book at https://b.example/{slug}"'
        )
    by_name = Template(("{", Var("location.name"), "}-lead"))
    assert rendered(dump({"tags": [{"name": by_name}]})) == {"tags": [{"name": "{clinic-a}-lead"}]}


def test_masked_values_fail_the_render_so_they_are_never_applied() -> None:
    text = dump({"customValues": [{"name": "Stripe API Key", "value": Masked.of("sk_live_x")}]})
    assert 'value: "{{ masked_secret }}"  # masked secret' in text
    assert "sk_live" not in text
    with pytest.raises(TemplateFailure, match="undefined template variable 'masked_secret'"):
        rendered(text)


def test_templates_and_masks_are_refused_outside_bundle_files() -> None:
    with pytest.raises(TypeError):
        dump({"vars": {"x": Template(("a",))}}, jinja=False)
    with pytest.raises(TypeError):
        dump({"vars": {"x": Masked.of("a")}}, jinja=False)
