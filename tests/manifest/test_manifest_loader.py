"""Bundles: rendering, merging, and every problem reported with file and line, all at once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ghlops.errors import ManifestError, SourcePos
from ghlops.manifest.loader import DesiredState, load_all, load_location
from ghlops.manifest.project import load_project
from ghlops.resources import registry

MakeProject = Callable[..., Path]

ID_A = "ve9EPM428h8vShlRW1KT"
ID_B = "Ab3dEfGh1jKlMn0pQrSt"

TWO_LOCATIONS = f"""\
version: 1
defaults:
  vars: {{brand: Acme, city: Nowhere}}
  bundles: [bundles/base]
locations:
  - name: downtown
    id: {ID_A}
    vars: {{city: Springfield}}
    bundles: [bundles/base, bundles/downtown]
  - name: uptown
    id: {ID_B}
    vars: {{city: Shelbyville}}
"""


def keys(state: DesiredState, kind: str) -> list[str]:
    return [item.key for item in state.items[kind]]


def load_errors(root: Path) -> list[str]:
    """Problems of loading every location of the project at ``root``."""
    project = load_project(root)
    with pytest.raises(ManifestError) as caught:
        load_all(project)
    return [str(problem) for problem in caught.value.problems]


def one_file_errors(make_project: MakeProject, text: str | bytes) -> list[str]:
    return load_errors(make_project({"bundles/base/x.yaml": text}))


# -- the happy path -------------------------------------------------------------------------------


def test_two_locations_share_a_base_with_their_own_vars(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/10-tags.yaml": """\
                tags:
                  - name: vip
                  - name: "{{ vars.city | lower }}-lead"
                customFields:
                  - name: Pet Name
                    model: contact
                    dataType: TEXT
                    placeholder: "Your pet's name"
                  - name: Budget
                    model: opportunity
                    dataType: MONETORY
                """,
            "bundles/base/20-values.yml": """\
                customValues:
                  - name: Booking URL
                    value: "https://book.example.com/{{ location.name }}"
                  - name: Brand
                    value: "{{ vars.brand }} of {{ vars.city }} ({{ location.id }})"
                """,
            "bundles/base/README.md": "not a bundle file\n",
            "bundles/downtown/override.yaml": """\
                customFields:
                  - name: Pet Name
                    dataType: LARGE_TEXT
                  - name: Shoe Size
                    dataType: NUMERICAL
                tags:
                  - name: vip
                  - name: downtown-only
                """,
        },
        ghlops=TWO_LOCATIONS,
    )
    project = load_project(root)
    downtown, uptown = load_all(project)

    assert downtown.location is project.locations[0]
    assert set(downtown.items) == set(registry.ADAPTERS)
    assert downtown.files == (
        "bundles/base/10-tags.yaml",
        "bundles/base/20-values.yml",
        "bundles/downtown/override.yaml",
    )
    assert keys(downtown, "tags") == ["vip", "springfield-lead", "downtown-only"]
    # merged field by field (the placeholder stays), keeping its first position
    assert keys(downtown, "customFields") == [
        "contact:Pet Name",
        "opportunity:Budget",
        "contact:Shoe Size",
    ]
    pet = downtown.items["customFields"][0]
    assert dict(pet.fields) == {
        "name": "Pet Name",
        "model": "contact",
        "dataType": "LARGE_TEXT",
        "placeholder": "Your pet's name",
    }
    assert pet.source == SourcePos("bundles/downtown/override.yaml", 2)
    values = {item.key: item.fields["value"] for item in downtown.items["customValues"]}
    assert values == {
        "Booking URL": "https://book.example.com/downtown",
        "Brand": f"Acme of Springfield ({ID_A})",
    }

    assert uptown.files == ("bundles/base/10-tags.yaml", "bundles/base/20-values.yml")
    assert keys(uptown, "tags") == ["vip", "shelbyville-lead"]
    uptown_pet = uptown.items["customFields"][0]
    assert uptown_pet.fields["placeholder"] == "Your pet's name"
    assert uptown_pet.source == SourcePos("bundles/base/10-tags.yaml", 5)
    assert uptown.items["customValues"][0].fields["value"] == "https://book.example.com/uptown"

    # load_location gives the same result for one location
    assert load_location(project, project.location("uptown")) == uptown


def test_folder_bundle_is_recursive_and_sorted_by_path(make_project: MakeProject) -> None:
    files = {
        "bundles/base/b.yaml": "tags: [{name: b}]\n",
        "bundles/base/a/z.yml": "tags: [{name: a/z}]\n",
        "bundles/base/a/deeper/c.yaml": "tags: [{name: a/deeper/c}]\n",
        "bundles/base/a-b/x.yaml": "tags: [{name: a-b/x}]\n",
        "bundles/base/0.yaml": "tags: [{name: '0'}]\n",
        "bundles/base/notes.txt": "ignored\n",
    }
    root = make_project(files)
    (state,) = load_all(load_project(root))
    assert keys(state, "tags") == ["0", "a/deeper/c", "a/z", "a-b/x", "b"]
    assert state.files == tuple(
        f"bundles/base/{name}.{ext}"
        for name, ext in [
            ("0", "yaml"),
            ("a/deeper/c", "yaml"),
            ("a/z", "yml"),
            ("a-b/x", "yaml"),
            ("b", "yaml"),
        ]
    )


def test_symlinked_folder_inside_the_project_is_followed(make_project: MakeProject) -> None:
    root = make_project(
        {
            "shared/tags.yaml": "tags: [{name: shared}]\n",
            "bundles/base/own.yaml": "tags: [{name: own}]\n",
        }
    )
    (root / "bundles" / "base" / "linked").symlink_to(root / "shared")
    (state,) = load_all(load_project(root))
    assert keys(state, "tags") == ["shared", "own"]
    assert state.files == ("bundles/base/linked/tags.yaml", "bundles/base/own.yaml")


def test_templates_loops_conditions_and_empty_results(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/loop.yaml": """\
            tags:
            {% for n in ['a', 'b'] %}
              - name: "{{ n }}-{{ vars.city }}"
            {% endfor %}
            customValues:
            {% if location.name == 'nowhere' %}
              - name: never
                value: x
            {% endif %}
            """,
            "bundles/base/nothing.yaml": "{% if false %}\ntags: [{name: hidden}]\n{% endif %}\n",
            "bundles/base/comments.yaml": "# only a comment\n",
            "bundles/base/items.yaml": "tags:\n  - name: items\n    {# vars.items is a variable #}\n",
        }
    )
    (state,) = load_all(load_project(root))
    assert keys(state, "tags") == ["items", "a-Springfield", "b-Springfield"]
    assert state.items["customValues"] == ()
    assert state.items["tags"][1].source == SourcePos("bundles/base/loop.yaml", 3)


def test_dotted_access_prefers_variables_over_dict_methods(make_project: MakeProject) -> None:
    root = make_project(
        {"bundles/base/x.yaml": "tags:\n  - name: '{{ vars.items }}-{{ vars.values | length }}'\n"},
        ghlops=f"""\
version: 1
defaults: {{bundles: [bundles/base]}}
locations:
  - name: downtown
    id: {ID_A}
    vars: {{items: stuff, values: [1, 2, 3]}}
""",
    )
    (state,) = load_all(load_project(root))
    assert keys(state, "tags") == ["stuff-3"]


def test_later_bundle_overrides_and_no_bundles_gives_empty_state(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/one.yaml": "customValues:\n"
            "  - {name: a, value: '1'}\n  - {name: b, value: '1'}\n",
            "bundles/two.yaml": "customValues:\n"
            "  - {name: b, value: '2'}\n  - {name: c, value: '2'}\n",
        },
        ghlops=f"""\
version: 1
defaults: {{bundles: [bundles/one.yaml, bundles/two.yaml]}}
locations:
  - {{name: downtown, id: {ID_A}}}
  - {{name: empty, id: {ID_B}, bundles: []}}
""",
    )
    merged, empty = load_all(load_project(root))
    assert [(i.key, i.fields["value"]) for i in merged.items["customValues"]] == [
        ("a", "1"),
        ("b", "2"),
        ("c", "2"),
    ]
    assert empty.files == ()
    assert all(items == () for items in empty.items.values())


# -- problems in bundle files ---------------------------------------------------------------------


def test_duplicate_natural_key_in_one_file(make_project: MakeProject) -> None:
    assert one_file_errors(
        make_project,
        """\
        tags:
          - name: vip
          - name: other
          - name: vip
        customFields:
          - {name: Pet, dataType: TEXT}
          - {name: Pet, dataType: DATE, model: contact}
        """,
    ) == [
        "bundles/base/x.yaml:4: duplicate tag 'vip' (first declared at bundles/base/x.yaml:2)",
        "bundles/base/x.yaml:7: duplicate custom field 'contact:Pet' "
        "(first declared at bundles/base/x.yaml:6)",
    ]


def test_duplicate_natural_key_in_two_files_of_one_folder(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/a.yaml": "tags:\n  - name: vip\n",
            "bundles/base/sub/b.yaml": "# b\ntags:\n  - name: vip\n",
        }
    )
    assert load_errors(root) == [
        "bundles/base/sub/b.yaml:3: duplicate tag 'vip' (first declared at bundles/base/a.yaml:2)"
    ]


def test_structure_problems(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/list.yaml": "- name: vip\n",
            "bundles/base/kinds.yaml": """\
            tagz:
              - name: a
            customValues:
              name: not a list
            tags:
              - vip
              - name: ok
            """,
            "bundles/base/empty.yaml": "",
            "bundles/base/blank.yaml": "  \n\n",
        }
    )
    assert load_errors(root) == [
        "bundles/base/blank.yaml:1: empty file",
        "bundles/base/empty.yaml:1: empty file",
        "bundles/base/kinds.yaml:1: unknown resource kind 'tagz' "
        f"(known: {', '.join(registry.bundle_kinds())}); did you mean 'tags'?",
        "bundles/base/kinds.yaml:3: customValues: expected a list of items, got a mapping",
        "bundles/base/kinds.yaml:6: tags[0]: expected a mapping of fields, got a string",
        "bundles/base/list.yaml:1: expected a mapping of resource kinds "
        "(such as tags: or customFields:) at the top level, got a list",
    ]


def test_field_names_must_be_text(make_project: MakeProject) -> None:
    assert one_file_errors(make_project, "tags:\n  - name: a\n    yes: 1\n    2: b\n") == [
        "bundles/base/x.yaml:3: tags[0]: field name True is not text; quote it",
        "bundles/base/x.yaml:4: tags[0]: field name 2 is not text; quote it",
    ]


def test_validation_problems_point_at_the_offending_key(make_project: MakeProject) -> None:
    assert one_file_errors(
        make_project,
        """\
        customFields:
          - name: Pet Name
            placeholder: x
            dataType: TXT
          - name: Shoe Size
            colour: red
          - name: 42
            dataType: TEXTBOX_LIST
            textBoxListOptions:
              - label: a
              - prefill: b
        customValues:
          - name: Open
            value: yes
        """,
    ) == [
        "bundles/base/x.yaml:4: customFields[0].dataType: Input should be 'TEXT', 'LARGE_TEXT', "
        "'NUMERICAL', 'PHONE', 'MONETORY', 'CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', "
        "'DATE', 'TEXTBOX_LIST', 'FILE_UPLOAD', 'RADIO' or 'EMAIL' (got 'TXT')",
        "bundles/base/x.yaml:5: customFields[1].dataType: Field required",
        "bundles/base/x.yaml:6: customFields[1].colour: unknown field (known: name, model, "
        "dataType, fieldKey, placeholder, position, acceptedFormat, isMultipleFile, "
        "maxNumberOfFiles, textBoxListOptions, options, protect, renamedFrom)",
        "bundles/base/x.yaml:7: customFields[2].name: Input should be a valid string (got 42)"
        "; quote the value to make it text",
        "bundles/base/x.yaml:11: customFields[2].textBoxListOptions[1].label: Field required",
        "bundles/base/x.yaml:11: customFields[2].textBoxListOptions[1].prefill: unknown field "
        "(known: label, prefillValue); did you mean 'prefillValue'?",
        "bundles/base/x.yaml:14: customValues[0].value: Input should be a valid string "
        "(got True); quote the value to make it text",
    ]


def test_yaml_problems(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/tab.yaml": "tags:\n\t- name: vip\n",
            "bundles/base/syntax.yaml": "tags:\n  - name: [vip\n  - name: x\n",
            "bundles/base/dupkey.yaml": "tags:\n  - name: a\n    name: b\n",
            "bundles/base/merge.yaml": "tags:\n  - <<: {name: a}\n",
            "bundles/base/docs.yaml": "tags: []\n---\ntags: []\n",
            "bundles/base/tag.yaml": "tags:\n  - name: !!python/name:os.system ''\n",
        }
    )
    assert load_errors(root) == [
        "bundles/base/docs.yaml:2:1: invalid YAML: more than one document in the file ('---'); "
        "use one per file",
        "bundles/base/dupkey.yaml:3: duplicate key 'name' (first at line 2)",
        "bundles/base/merge.yaml:2: YAML merge keys ('<<') are not supported; "
        "use template variables",
        "bundles/base/syntax.yaml:3:9: invalid YAML: a '[' is never closed, or a value in it "
        "holds ': '; close it with ']' or quote the value",
        "bundles/base/tab.yaml:2:1: invalid YAML: a tab character; indent with spaces, not tabs",
        "bundles/base/tag.yaml:2: unsupported YAML tag '!!python/name:os.system'",
    ]


def test_alias_bomb_is_refused_quickly(make_project: MakeProject) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    assert one_file_errors(make_project, "\n".join(lines) + "\n") == [
        "bundles/base/x.yaml:1: YAML anchors and aliases are not supported; use template variables"
    ]


def test_deep_nesting_is_refused(make_project: MakeProject) -> None:
    assert one_file_errors(make_project, "tags: " + "[" * 500 + "]" * 500 + "\n") == [
        "bundles/base/x.yaml:1: YAML nested too deeply (limit 50 levels)"
    ]


def test_not_utf8_and_too_large(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/latin1.yaml": b"tags:\n  - name: caf\xe9\n",
            "bundles/base/ok.yaml": "tags: []\n",
        }
    )
    with (root / "bundles" / "base" / "huge.yaml").open("wb") as handle:
        handle.truncate(7 * 1024 * 1024 + 1)  # sparse: instant, and must not be read
    assert load_errors(root) == [
        "bundles/base/huge.yaml:1: file too large (7.1 MB, limit 1 MB)",
        "bundles/base/latin1.yaml:2: not UTF-8 text (byte 0xe9 at line 2)",
    ]


def test_symlink_loop_inside_a_folder_bundle(make_project: MakeProject) -> None:
    root = make_project({"bundles/base/ok.yaml": "tags: []\n"})
    os.symlink("..", root / "bundles" / "base" / "up")
    os.symlink("me.yaml", root / "bundles" / "base" / "me.yaml")
    with pytest.raises(ManifestError) as caught:
        load_project(root)
    project_problems = [str(p) for p in caught.value.problems]
    assert project_problems == [
        "ghlops.yaml:3: bundle 'bundles/base': 'bundles/base/me.yaml' is a symlink loop",
        # up -> .. is followed (it stays inside the project) until it comes back around
        "ghlops.yaml:3: bundle 'bundles/base': 'bundles/base/up/base' is a symlink loop",
    ]


# -- templates ------------------------------------------------------------------------------------


def test_undefined_variable_is_reported_per_location(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/x.yaml": """\
                tags:
                  - name: vip
                  - name: "{{ vars.cty }}"
                {% if location.name == 'uptown' %}
                  - name: "{{ vars.uptown_only }}"
                {% endif %}
                """,
        },
        ghlops=TWO_LOCATIONS.replace(", bundles/downtown", ""),
    )
    assert load_errors(root) == [
        "bundles/base/x.yaml:3: undefined template variable 'vars.cty'",
    ]
    (root / "bundles" / "base" / "x.yaml").write_text(
        "tags:\n{% if location.name == 'uptown' %}\n  - name: '{{ vars.uptown_only }}'\n"
        "{% endif %}\n  - name: '{{ location.nme }}'\n"
    )
    # rendering stops at the first error, so uptown never reaches line 5
    assert load_errors(root) == [
        "bundles/base/x.yaml:3: undefined template variable 'vars.uptown_only' (location uptown)",
        "bundles/base/x.yaml:5: undefined template variable 'location.nme' (location downtown)",
    ]
    project = load_project(root)
    with pytest.raises(ManifestError) as caught:
        load_location(project, project.location("downtown"))
    assert [str(p) for p in caught.value.problems] == [
        "bundles/base/x.yaml:5: undefined template variable 'location.nme' (location downtown)"
    ]
    assert caught.value.problems[0].location == "downtown"


def test_location_specific_render_results_are_tagged(make_project: MakeProject) -> None:
    root = make_project(
        {"bundles/base/x.yaml": "tags:\n  - name: vip\n  - name: {{ vars.tag }}\n"},
        ghlops=f"""\
version: 1
defaults: {{bundles: [bundles/base]}}
locations:
  - {{name: downtown, id: {ID_A}, vars: {{tag: vip}}}}
  - {{name: uptown, id: {ID_B}, vars: {{tag: other}}}}
""",
    )
    assert load_errors(root) == [
        "bundles/base/x.yaml:3: duplicate tag 'vip' (first declared at bundles/base/x.yaml:2) "
        "(location downtown)"
    ]


def test_problems_after_a_loop_point_at_the_template_line(make_project: MakeProject) -> None:
    assert one_file_errors(
        make_project,
        """\
        tags:
        {% for n in range(3) %}
          - name: "t{{ n }}"
        {% endfor %}
        {#
           a multi-line comment
        #}
        customFields:
        {% for n in range(2) %}
          - name: "f{{ n }}"
            dataType: {{ 'TEXT' if n == 0 else 'BAD' }}
        {% endfor %}
          - name: last
            dataType: TEXT
            bogus: 1
        """,
    ) == [
        "bundles/base/x.yaml:11: customFields[1].dataType: Input should be 'TEXT', 'LARGE_TEXT', "
        "'NUMERICAL', 'PHONE', 'MONETORY', 'CHECKBOX', 'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', "
        "'DATE', 'TEXTBOX_LIST', 'FILE_UPLOAD', 'RADIO' or 'EMAIL' (got 'BAD') "
        "(location downtown)",
        "bundles/base/x.yaml:15: customFields[2].bogus: unknown field (known: name, model, "
        "dataType, fieldKey, placeholder, position, acceptedFormat, isMultipleFile, "
        "maxNumberOfFiles, textBoxListOptions, options, protect, renamedFrom) (location downtown)",
    ]


def test_template_syntax_and_runtime_errors(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/syntax.yaml": "tags:\n  - name: a\n  - name: {{ vars.city \n",
            "bundles/base/filter.yaml": "tags:\n\n  - name: {{ vars.city | shout }}\n",
            "bundles/base/runtime.yaml": "tags:\n  - name: a\n  - name: {{ 1 + vars.city }}\n",
            "bundles/base/include.yaml": "tags: []\n{% include 'other.yaml' %}\n",
            "bundles/base/yaml.yaml": "tags:\n  - name: {{ vars.city }}: broken\n",
        }
    )
    assert load_errors(root) == [
        "bundles/base/filter.yaml:3: template syntax error: No filter named 'shout'",
        "bundles/base/include.yaml:2: {% include %}, {% import %} and {% extends %} are not "
        "supported in bundle files (location downtown)",
        "bundles/base/runtime.yaml:3: template error: unsupported operand type(s) for +: "
        "'int' and 'str' (location downtown)",
        "bundles/base/syntax.yaml:3: template syntax error: unexpected end of template, "
        "expected 'end of print statement'",
        "bundles/base/yaml.yaml:2: invalid YAML: a value holds ': ' (a colon and a space); "
        "quote it (location downtown)",
    ]


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ("''.__class__.__mro__", "access to attribute '__class__' of 'str' object is unsafe"),
        (
            "''.__class__.__mro__[1].__subclasses__()",
            "access to attribute '__class__' of 'str' object is unsafe",
        ),
        (
            "cycler.__init__.__globals__.os",
            "access to attribute '__init__' of 'type' object is unsafe",
        ),
        (
            "self._TemplateReference__context",
            "access to attribute '_TemplateReference__context' of 'TemplateReference' object "
            "is unsafe",
        ),
        ("''|attr('__class__')", "access to attribute '__class__' of 'str' object is unsafe"),
        ("'{0.__class__}'.format(1)", "access to attribute '__class__' of 'int' object is unsafe"),
        ("vars.update({'city': 'x'})", "access to attribute 'update' of 'dict' object is unsafe"),
        ("'x' * 100000000", "the result of '*' would be too large"),
        ("10 ** 100000000", "the result of '**' would be too large"),
    ],
)
def test_sandbox_escapes_are_refused(
    make_project: MakeProject, expression: str, detail: str
) -> None:
    text = "tags:\n  - name: ok\n  - name: '{{ " + expression + " }}'\n"
    assert one_file_errors(make_project, text) == [
        f"bundles/base/x.yaml:3: unsafe template access: {detail} (location downtown)"
    ]


def test_many_problems_in_many_files_are_reported_at_once(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/a.yaml": "tags:\n  - name: vip\n  - nam: typo\n",
            "bundles/base/b.yaml": "customValues:\n  - name: x\n    value: '{{ vars.nope }}'\n",
            "bundles/base/c.yaml": "tags:\n  - name: a\n  - name: a\n",
            "bundles/downtown/d.yaml": "customFields:\n\t- name: x\n",
        },
        ghlops=TWO_LOCATIONS,
    )
    assert load_errors(root) == [
        "bundles/base/a.yaml:3: tags[1].nam: unknown field (known: name, protect, renamedFrom); did you mean 'name'?",
        "bundles/base/b.yaml:3: undefined template variable 'vars.nope'",
        "bundles/base/c.yaml:3: duplicate tag 'a' (first declared at bundles/base/c.yaml:2)",
        "bundles/downtown/d.yaml:2:1: invalid YAML: a tab character; indent with spaces, not tabs",
    ]


def test_load_all_selected_locations_only(make_project: MakeProject) -> None:
    root = make_project(
        {
            "bundles/base/a.yaml": "tags:\n  - name: '{{ vars.city }}'\n",
            "bundles/downtown/bad.yaml": "tags: nope\n",
        },
        ghlops=TWO_LOCATIONS,
    )
    project = load_project(root)
    (uptown,) = load_all(project, [project.location("uptown")])
    assert keys(uptown, "tags") == ["Shelbyville"]
    with pytest.raises(ManifestError, match="tags: expected a list of items, got a string"):
        load_all(project)
