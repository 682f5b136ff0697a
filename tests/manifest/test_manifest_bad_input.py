"""Gaps the bad-input corpus (tests/corpus/bad_input) found, pinned one by one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ghlops.cli.app import one_line
from ghlops.cli.main import cli
from ghlops.errors import ManifestError
from ghlops.manifest.loader import load_all
from ghlops.manifest.project import load_project
from ghlops.manifest.templating import TemplateFailure, compile_template
from ghlops.manifest.yamlload import parse_yaml

MakeProject = Callable[..., Path]

ID_A = "ve9EPM428h8vShlRW1KT"


def load_errors(root: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_all(load_project(root))
    return [str(problem) for problem in caught.value.problems]


def syntax_error(source: str) -> tuple[int | None, str]:
    with pytest.raises(TemplateFailure) as caught:
        compile_template(source, "x.yaml")
    return caught.value.line, caught.value.message


# -- templates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "tag"),
    [
        ("{% if vars.a %}\ntags:\n  - name: a\n\n", 1, "if"),
        (
            "tags:\n{% for t in x %}\n{% set y = 1 %}\n{% if t %}\n  - name: a\n{% endif %}\n",
            2,
            "for",
        ),
        ("tags: []\n{% set block %}\na\n", 2, "set"),
        ("{% macro m() %}\n{% call m() %}{% endcall %}\n", 1, "macro"),
        ("{% filter upper %}\n{% with a = 1 %}\n{{ a }}\n", 2, "with"),
    ],
)
def test_a_block_never_closed_is_reported_at_its_opening_tag(
    source: str, line: int, tag: str
) -> None:
    # jinja2 reports the line of the last text it read, which can be any line of the file
    assert syntax_error(source) == (
        line,
        "template syntax error: Unexpected end of template. Jinja was looking for the "
        f"following tags: {_looking_for(tag)}. The innermost block that needs to be closed "
        f"is '{tag}'",
    )


def _looking_for(tag: str) -> str:
    return {
        "if": "'elif' or 'else' or 'endif'",
        "for": "'endfor' or 'else'",
    }.get(tag, f"'end{tag}'")


def test_an_unexpected_character_is_not_given_a_file_offset() -> None:
    # jinja2 says "unexpected char '\"' at 30": an offset in the file that reads like a column
    assert syntax_error('tags:\n  - name: "{{ vars.city "\n') == (
        2,
        "template syntax error: unexpected char '\"'",
    )


# -- YAML -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            'tags:\n  - name: vip\n  - name: "new\n  - name: old\n',
            "3:11",
            "a quoted value is never closed; end it with the same quote",
        ),
        (
            "tags:\n  - name: vip\n  - name: 'new\n\n\n",
            "3:11",
            "a quoted value is never closed; end it with the same quote",
        ),
        (
            "a: 1\nb: [1,\n  2\n",
            "2:4",
            "a '[' is never closed, or a value in it holds ': '; close it with ']' or quote the value",
        ),
        (
            "a: 1\nb: {c: 1\n\n",
            "2:4",
            "a '{' is never closed, or a value in it holds ': '; close it with '}' or quote the value",
        ),
    ],
)
def test_something_never_closed_is_reported_where_it_starts(
    text: str, line: str, message: str
) -> None:
    document, problems = parse_yaml(text, "x.yaml")
    assert document is None
    assert [str(p) for p in problems] == [f"x.yaml:{line}: invalid YAML: {message}"]


def test_errors_inside_the_text_keep_their_own_line() -> None:
    _, problems = parse_yaml("tags:\n  - name: [vip\n  - name: x\n", "x.yaml")
    assert [str(p) for p in problems] == [
        "x.yaml:3:9: invalid YAML: a '[' is never closed, or a value in it holds ': '; "
        "close it with ']' or quote the value"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (  # a key deeper than its siblings
            "customValues:\n  - name: a\n     value: b\n",
            "x.yaml:3:6: invalid YAML: bad indentation: this key is indented deeper than the keys "
            "above it; line it up with them",
        ),
        (  # a key shallower than its siblings
            "customValues:\n  - name: a\n   value: b\n",
            "x.yaml:3:4: invalid YAML: bad indentation: this key does not line up with the keys "
            "above it",
        ),
        (  # a list item out of line (the parser's "expected <block end>, but found '?'" kin)
            "tags:\n  - name: vip\n   - name: x\n",
            "x.yaml:3:4: invalid YAML: bad indentation: this list item ('-') does not line up with "
            "the items above it",
        ),
        (
            "tags:\n  - name: vip\n  ? x\n",
            "x.yaml:3:3: invalid YAML: bad indentation: this key does not line up with the keys "
            "above it",
        ),
        (  # a colon in a plain value
            "customValues:\n  - name: a\n    value: Note: call us\n",
            "x.yaml:3:16: invalid YAML: a value holds ': ' (a colon and a space); quote it: "
            'value: "Note: call us"',
        ),
        (
            'tags:\n  - name: a: "b"\n',
            "x.yaml:2:12: invalid YAML: a value holds ': ' (a colon and a space); quote it: "
            "name: 'a: \"b\"'",
        ),
        (  # tabs
            "tags:\n\t- name: a\n",
            "x.yaml:2:1: invalid YAML: a tab character; indent with spaces, not tabs",
        ),
    ],
    ids=["deeper", "shallower", "list-item", "question", "colon", "colon-quotes", "tab"],
)
def test_yaml_mistakes_get_line_column_and_a_hint(text: str, problem: str) -> None:
    document, problems = parse_yaml(text, "x.yaml")
    assert document is None
    assert [str(p) for p in problems] == [problem]


def test_rendered_text_gets_no_column_and_no_example() -> None:
    _, problems = parse_yaml(
        "customValues:\n  - name: a\n    value: x: y\n", "x.yaml", lambda line: line + 10
    )
    assert [str(p) for p in problems] == [
        "x.yaml:13: invalid YAML: a value holds ': ' (a colon and a space); quote it"
    ]


# -- whole-file problems --------------------------------------------------------------------------


def test_whole_file_problems_point_at_line_1(make_project: MakeProject) -> None:
    root = make_project({"bundles/base/empty.yaml": "", "bundles/base/ok.yaml": "tags: []\n"})
    assert load_errors(root) == ["bundles/base/empty.yaml:1: empty file"]

    (root / "ghlops.yaml").write_text("# version: 1\n# locations: []\n")
    with pytest.raises(ManifestError) as caught:
        load_project(root)
    assert [str(p) for p in caught.value.problems] == [
        "ghlops.yaml:1: expected a mapping with 'version' and 'locations' at the top level, "
        "got only comments"
    ]


# -- validation messages --------------------------------------------------------------------------


def test_a_complaint_about_a_whole_item_does_not_repeat_the_item(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "bundles/base/x.yaml": """\
                products:
                  - name: Whitening
                    productType: SERVICE
                    prices:
                      - {name: Standard, type: one_time, currency: USD, amount: 199}
                      - {name: Standard, type: one_time, currency: USD, amount: 249}
                pipelines:
                  - name: Sales
                    stages: [New, new]
                """
        }
    )
    assert load_errors(root) == [
        # not "... (got a mapping)" / "(got a list)": the input is the item the reason is about
        "bundles/base/x.yaml:2: products[0]: Value error, two prices are named 'Standard'",
        "bundles/base/x.yaml:9: pipelines[0].stages: Value error, stage 'new' is listed twice "
        "(as 'New'); stage names are unique within a pipeline regardless of letter case",
    ]


# -- duplicates the natural key does not show -----------------------------------------------------


def test_pipelines_whose_names_differ_only_in_letter_case_are_duplicates(
    make_project: MakeProject,
) -> None:
    root = make_project(
        {
            "bundles/base/a.yaml": "pipelines:\n  - {name: Sales, stages: [New]}\n",
            "bundles/base/b.yaml": "pipelines:\n  - {name: SALES, stages: [New]}\n",
        }
    )
    assert load_errors(root) == [
        "bundles/base/b.yaml:2: duplicate pipeline 'SALES': GHL would see the same pipeline as "
        "'Sales' (first declared at bundles/base/a.yaml:2) (location downtown)"
    ]


def test_a_later_bundle_cannot_add_a_second_spelling_either(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/a.yaml": "pipelines:\n  - {name: Sales, stages: [New]}\n",
            "bundles/more/b.yaml": "pipelines:\n  - {name: sales, stages: [New, Won]}\n",
        },
        ghlops=f"""\
            version: 1
            defaults:
              bundles: [bundles/base, bundles/more]
            locations:
              - name: downtown
                id: {ID_A}
            """,
    )
    assert load_errors(root) == [
        "bundles/more/b.yaml:2: duplicate pipeline 'sales': GHL would see the same pipeline as "
        "'Sales' (first declared at bundles/base/a.yaml:2) (location downtown)"
    ]


def test_items_that_share_only_a_fallback_identity_are_not_duplicates(
    make_project: MakeProject,
) -> None:
    # two calendars with one name but their own slugs are two calendars (the name is only how a
    # slugged calendar adopts an unslugged live one); a field with a fieldKey and one without
    root = make_project(
        {
            "bundles/base/x.yaml": """\
                calendars:
                  - {name: Cleaning, slug: cleaning-a}
                  - {name: Cleaning, slug: cleaning-b}
                customFields:
                  - {name: Pet, fieldKey: contact.pet, dataType: TEXT}
                  - {name: Pet, model: opportunity, dataType: TEXT}
                """
        }
    )
    (state,) = load_all(load_project(root))
    assert [item.key for item in state.items["calendars"]] == ["cleaning-a", "cleaning-b"]
    assert len(state.items["customFields"]) == 2


# -- the CLI's report -----------------------------------------------------------------------------


def test_one_line_escapes_line_breaks_and_control_characters() -> None:
    assert one_line("a\nb\r\tc\x1b[31md\x00e\x7f\x85f\u2028g") == (
        "a\\nb\\r\\tc\\x1b[31md\\x00e\\x7f\\x85f\\u2028g"
    )
    assert one_line("café ✓ 'quoted'") == "café ✓ 'quoted'"


def test_each_problem_is_printed_on_one_line(make_project: MakeProject) -> None:
    root = make_project(
        {"bundles/base/x.yaml": 'tags:\n  - name: vip\n    "col\\nour": red\n    "\\e[2J": 1\n'}
    )
    result = CliRunner().invoke(cli, ["-C", str(root), "validate"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: 2 problems in the manifests:",
        "  bundles/base/x.yaml:3: tags[0].col\\nour: unknown field (known: name, protect, "
        "renamedFrom)",
        "  bundles/base/x.yaml:4: tags[0].\\x1b[2J: unknown field (known: name, protect, "
        "renamedFrom)",
    ]
