"""Template bombs: every way of growing a value or spinning the CPU is refused at the step that
goes past the limit, with the template line, before it allocates more than a few MiB.

The sizes here stay small enough (tens of MiB) that running these tests on code without the
limits fails on its assertions instead of exhausting the machine.
"""

from __future__ import annotations

import pytest

from ghlops.manifest.template_limits import MAX_VALUE, size
from ghlops.manifest.templating import (
    TemplateFailure,
    compile_template,
    render,
    template_context,
)

TOO_LARGE = f"would make a value of more than {MAX_VALUE} characters or items"


def _chain(statement: str, times: int = 26, start: str = "{% set x = 'ab' %}") -> str:
    return start + "\n" + (statement + "\n") * times


BOMBS: list[tuple[str, str, int, str]] = [
    # (id, template, line of the refusal, message)
    ("concat", _chain("{% set x = x ~ x %}"), 21, f"'~' {TOO_LARGE}"),
    ("concat-three", _chain("{% set x = x ~ '-' ~ x %}"), 20, f"'~' {TOO_LARGE}"),
    (
        "concat-namespace-loop",
        "{% set ns = namespace(x='ab') %}\n{% for i in range(26) %}\n"
        "{% set ns.x = ns.x ~ ns.x %}\n{% endfor %}\n",
        3,
        f"'~' {TOO_LARGE}",
    ),
    ("plus-string", _chain("{% set x = x + x %}"), 21, f"'+' {TOO_LARGE}"),
    (
        "plus-list",
        _chain("{% set x = x + x %}", 22, "{% set x = ['ab'] %}"),
        20,
        f"'+' {TOO_LARGE}",
    ),
    (
        "block-set",
        _chain("{% set x %}{{ x }}{{ x }}{% endset %}"),
        21,
        f"the output of a block or macro {TOO_LARGE}",
    ),
    (
        "macro",
        _chain(
            "{% set x = m(x) %}",
            start="{% macro m(x) %}{{ x }}{{ x }}{% endmacro %}{% set x = 'ab' %}",
        ),
        21,
        f"'m' {TOO_LARGE}",
    ),
    (
        "filter-block",
        _chain("{% set x %}{% filter upper %}{{ x }}{{ x }}{% endfilter %}{% endset %}"),
        21,
        f"the output of a block or macro {TOO_LARGE}",
    ),
    (
        "replace-filter",
        _chain("{% set x = x|replace('a', 'a' * 16) %}", 8),
        6,
        f"'replace' {TOO_LARGE}",
    ),
    (
        "replace-method",
        _chain("{% set x = x.replace('a', 'a' * 16) %}", 8),
        6,
        f"'replace' {TOO_LARGE}",
    ),
    ("replace-empty", _chain("{% set x = x|replace('', x) %}", 8), 5, f"'replace' {TOO_LARGE}"),
    ("join-filter", _chain("{% set x = [x, x, x]|join(x) %}", 16), 10, f"'join' {TOO_LARGE}"),
    ("join-method", _chain("{% set x = x.join([x, x, x]) %}", 16), 10, f"'join' {TOO_LARGE}"),
    ("str-format", _chain("{% set x = '{0}{0}{0}'.format(x) %}", 16), 13, f"format {TOO_LARGE}"),
    ("percent", _chain("{% set x = '%s%s%s' % (x, x, x) %}", 16), 12, f"'%' {TOO_LARGE}"),
    ("format-filter", _chain("{% set x = '%s%s%s'|format(x, x, x) %}", 16), 12, f"'%' {TOO_LARGE}"),
    (
        "sum-lists",
        _chain("{% set x = [x, x, x]|sum(start=[]) %}", 16, "{% set x = ['a'] %}"),
        13,
        f"'sum' {TOO_LARGE}",
    ),
    (
        "list-of-references",
        "{% set x = 'a' * 100000 %}{% set l = [" + "x," * 100 + "] %}{{ l|string|length }}",
        1,
        f"'string' {TOO_LARGE}",
    ),
    (
        "list-of-references-shown",
        "{% set x = 'a' * 100000 %}{% set l = [" + "x," * 100 + "] %}{{ l }}",
        1,
        f"'{{{{ }}}}' {TOO_LARGE}",
    ),
    ("expandtabs", "{{ ('\t' * 10000).expandtabs(1000)|length }}", 1, f"'expandtabs' {TOO_LARGE}"),
    (
        "wordwrap",
        "{{ ('a' * 1000)|wordwrap(1, true, 'b' * 10000)|length }}",
        1,
        f"'wordwrap' {TOO_LARGE}",
    ),
    ("indent", "{{ ('\\n' * 1000)|indent('b' * 10000)|length }}", 1, f"'indent' {TOO_LARGE}"),
    (
        "to-bytes",
        "{{ (1).to_bytes(5000000, 'big')|length }}",
        1,
        f"'to_bytes' with 5000000 is over the limit of {MAX_VALUE}",
    ),
    ("translate", "{{ 'a'.translate({97: 'b'}) }}", 1, "'translate' is not supported in templates"),
    ("integer-square", _chain("{% set x = x * x %}", 12, "{% set x = 3 ** 1000 %}"), 7, ""),
    (
        "loop-over-string",
        "{% set x = 'a' * 2000 %}\n{% for a in x %}{% for b in x %}{% endfor %}{% endfor %}",
        2,
        "the template takes more than 100000 steps",
    ),
    (
        "loop-over-list",
        "{% set x = [1] * 2000 %}\n{% for a in x %}{% for b in x if b %}{% endfor %}{% endfor %}",
        2,
        "the template takes more than 100000 steps",
    ),
    (
        "data-without-output-expressions",
        "{% set x %}{% for i in range(5000) %}\n"
        + "aaaaaaaaaaaaaaaa{% if 1 %}{% endif %}" * 100
        + "{% endfor %}{% endset %}",
        2,
        "the template takes more than 100000 steps",
    ),
]


@pytest.mark.parametrize(
    ("source", "line", "message"), [b[1:] for b in BOMBS], ids=[b[0] for b in BOMBS]
)
def test_template_bombs_are_refused_with_their_line(source: str, line: int, message: str) -> None:
    compiled = compile_template(source, "bundles/base/x.yaml")
    with pytest.raises(TemplateFailure) as failure:
        render(compiled, template_context({}, "downtown", "loc1"))
    if message:
        assert failure.value.message == f"template limit: {message}"
    else:
        assert failure.value.message == (
            "unsafe template access: the result of '*' would be too large"
        )
    assert failure.value.line == line


def test_ordinary_templates_are_not_limited() -> None:
    source = (
        "{% set ns = namespace(names=[]) %}{% for i in range(200) %}"
        "{% set ns.names = ns.names + ['tag-' ~ i] %}{% endfor %}"
        "{{ ns.names|join(', ')|replace('tag', 'label')|wordwrap(60)|indent(2) }}"
        "{{ '{:>8}'.format(vars.city) }}{{ '%-10s|' % vars.city }}{{ ('ab' * 1000)|length }}"
    )
    rendered = render(
        compile_template(source, "x.yaml"), template_context({"city": "Springfield"}, "d", "l")
    )
    assert "label-199" in rendered.text
    assert rendered.text.endswith("Springfield|2000")


def test_size_counts_characters_and_items_through_nesting_and_stops_early() -> None:
    assert size("abc") == 3
    assert size(["ab", ("c", {"k": "vv"})]) == 2 + 2 + 1 + 2 + 1 + 1 + 2
    shared = "x" * 1000
    huge = [shared] * 1_000_000  # a billion characters by reference
    assert MAX_VALUE < size(huge) < MAX_VALUE + 2000
