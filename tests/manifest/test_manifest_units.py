"""The building blocks: YAML with lines, file reading, template line tracing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.manifest.templating import (
    TemplateFailure,
    compile_template,
    has_template_syntax,
    render,
    template_context,
)
from ghlops.manifest.yamlload import MAX_FILE_BYTES, parse_yaml, read_text


def test_positions_record_keys_and_values() -> None:
    document, problems = parse_yaml(
        "tags:\n  - name: a\n  -\n    name: b\n    x: [1,\n      2]\n", "f.yaml"
    )
    assert problems == []
    assert document is not None
    assert document.data == {"tags": [{"name": "a"}, {"name": "b", "x": [1, 2]}]}
    positions = document.positions
    assert positions.line(()) == 1
    assert positions.line(("tags",)) == 1
    assert positions.line(("tags", 0)) == 2
    assert positions.line(("tags", 1)) == 4
    assert positions.line(("tags", 1, "x", 1)) == 6
    assert positions.nearest_line(("tags", 1, "missing", 3)) == 4


def test_every_duplicate_key_is_reported() -> None:
    document, problems = parse_yaml("a: 1\nb: 2\na: 3\nc:\n  d: 1\n  d: 2\nb: 4\n", "f.yaml")
    assert document is not None
    assert document.data == {"a": 1, "b": 2, "c": {"d": 1}}
    assert [str(p) for p in problems] == [
        "f.yaml:3: duplicate key 'a' (first at line 1)",
        "f.yaml:6: duplicate key 'd' (first at line 5)",
        "f.yaml:7: duplicate key 'b' (first at line 2)",
    ]


def test_line_mapper_is_applied() -> None:
    _, problems = parse_yaml("a: 1\na: 2\n", "f.yaml", lambda line: line * 10)
    assert [str(p) for p in problems] == ["f.yaml:20: duplicate key 'a' (first at line 10)"]


def test_control_characters_and_empty_documents() -> None:
    document, problems = parse_yaml("a: 1\nb: \x07\n", "f.yaml")
    assert document is None
    assert [str(p) for p in problems] == [
        "f.yaml:2: invalid YAML: special characters are not allowed (character #x0007)"
    ]
    document, problems = parse_yaml("# nothing\n", "f.yaml")
    assert document is not None and document.data is None and problems == []


def test_read_text(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_bytes(b"\xef\xbb\xbftags: []\n")
    assert read_text(good, "good.yaml") == ("tags: []\n", None)

    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: 2\nc: \x80\n")
    text, problem = read_text(bad, "bad.yaml")
    assert text is None and str(problem) == "bad.yaml:3: not UTF-8 text (byte 0x80 at line 3)"

    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    text, problem = read_text(big, "big.yaml")
    assert text is None and str(problem) == "big.yaml:1: file too large (1.1 MB, limit 1 MB)"

    text, problem = read_text(tmp_path, "dir")
    assert text is None and str(problem) == "dir:1: not a regular file"
    text, problem = read_text(tmp_path / "missing.yaml", "missing.yaml")
    assert text is None
    assert str(problem) == "missing.yaml:1: cannot read file: No such file or directory"


def test_rendered_lines_follow_the_template() -> None:
    source = (
        "tags:\n"  # 1
        "{% for t in vars.tags %}\n"  # 2
        "  - name: {{ t }}\n"  # 3
        "    {# note #}\n"  # 4
        "{% endfor %}\n"  # 5
        "{% if location.name == 'x' %}\n"  # 6
        "  - name: never\n"  # 7
        "{% endif %}\n"  # 8
        "values: {{ vars.multi }}\n"  # 9
        "end: 1\n"  # 10
    )
    compiled = compile_template(source, "t.yaml")
    rendered = render(compiled, template_context({"tags": ["a", "b"], "multi": "m\nn"}, "y", "I"))
    # trim_blocks/lstrip_blocks: tag-only and comment-only lines leave nothing behind
    assert rendered.text == "tags:\n  - name: a\n  - name: b\nvalues: m\nn\nend: 1\n"
    assert rendered.lines == (1, 3, 3, 9, 9, 10, 11)
    assert rendered.template_line(0) == 1
    assert rendered.template_line(99) == 11


def test_template_failures_carry_lines() -> None:
    with pytest.raises(TemplateFailure) as caught:
        compile_template("a: 1\nb: {% if %}\n", "t.yaml")
    assert (caught.value.line, caught.value.message) == (
        2,
        "template syntax error: Expected an expression, got 'end of statement block'",
    )
    compiled = compile_template("a: 1\n\n{% if vars.a.b %}{% endif %}\n", "t.yaml")
    with pytest.raises(TemplateFailure) as caught:
        render(compiled, template_context({"a": {}}, "loc", "id"))
    assert (caught.value.line, caught.value.message) == (
        3,
        "undefined template variable 'vars.a.b'",
    )


def test_has_template_syntax() -> None:
    assert not has_template_syntax("tags:\n  - {name: a}\n")
    assert has_template_syntax("a: {{ x }}")
    assert has_template_syntax("{% if x %}")
    assert has_template_syntax("{# c #}")
