"""ghlops.yaml: loading, validation and every problem reported with its line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ghlops.errors import ConfigError, ManifestError, SourcePos
from ghlops.manifest.project import LocationConfig, Project, load_project
from ghlops.resources import registry

MakeProject = Callable[..., Path]

ID_A = "ve9EPM428h8vShlRW1KT"
ID_B = "Ab3dEfGh1jKlMn0pQrSt"
BASE = {"bundles/base/tags.yaml": "tags:\n  - name: vip\n"}


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load_project(root)
    return [str(problem) for problem in caught.value.problems]


def test_loads_a_full_project(make_project: MakeProject) -> None:
    root = make_project(
        {**BASE, "bundles/downtown/x.yaml": "tags: []\n"},
        ghlops=f"""\
version: 1
defaults:
  vars: {{brand: Acme, city: Nowhere}}
  bundles: [bundles/base]
policy:
  prune: [tags, customValues]
agency:
  companyId: comp123
  tokenEnv: GHL_AGENCY_TOKEN
locations:
  - name: downtown
    id: {ID_A}
    tokenEnv: GHL_TOKEN_DOWNTOWN
    vars: {{city: Springfield}}
    bundles: [bundles/base, bundles/downtown]
  - name: up.town_2
    id: {ID_B}
""",
    )
    project = load_project(str(root))
    assert isinstance(project, Project)
    assert project.root == root.resolve()
    assert project.file == root.resolve() / "ghlops.yaml"
    assert project.version == 1
    assert project.default_vars == {"brand": "Acme", "city": "Nowhere"}
    assert project.default_bundles == ["bundles/base"]
    assert project.prune == frozenset({"tags", "customValues"})
    assert project.agency is not None
    assert (project.agency.company_id, project.agency.token_env) == ("comp123", "GHL_AGENCY_TOKEN")

    downtown, uptown = project.locations
    assert downtown == project.location("downtown")
    assert (downtown.name, downtown.id, downtown.token_env) == (
        "downtown",
        ID_A,
        "GHL_TOKEN_DOWNTOWN",
    )
    assert downtown.vars == {"brand": "Acme", "city": "Springfield"}
    assert downtown.bundles == ["bundles/base", "bundles/downtown"]
    assert downtown.pos == SourcePos("ghlops.yaml", 11)
    assert downtown.bundle_pos == (SourcePos("ghlops.yaml", 15), SourcePos("ghlops.yaml", 15))
    assert (uptown.name, uptown.token_env) == ("up.town_2", None)
    assert uptown.vars == {"brand": "Acme", "city": "Nowhere"}
    assert uptown.bundles == ["bundles/base"]
    assert uptown.bundle_pos == (SourcePos("ghlops.yaml", 4),)
    assert hash(downtown) != hash(uptown)  # usable as a dict key


def test_defaults_policy_and_agency_are_optional(make_project: MakeProject) -> None:
    project = load_project(
        make_project(
            ghlops=f"""\
version: 1
locations:
  - name: solo
    id: {ID_A}
    vars:
    bundles:
"""
        )
    )
    (solo,) = project.locations
    assert project.prune == frozenset()
    assert project.agency is None
    assert project.default_vars == {} and project.default_bundles == []
    assert solo.vars == {} and solo.bundles == [] and solo.token_env is None


def test_unknown_location_is_a_config_error(make_project: MakeProject) -> None:
    project = load_project(
        make_project(
            BASE,
            ghlops=f"""\
version: 1
defaults: {{bundles: [bundles/base]}}
locations:
  - {{name: downtown, id: {ID_A}}}
  - {{name: uptown, id: {ID_B}}}
""",
        )
    )
    known = r"^unknown location 'midtown' \(known: downtown, uptown\)$"
    with pytest.raises(ConfigError, match=known):
        project.location("midtown")


def test_missing_project_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^no ghlops\.yaml in "):
        load_project(tmp_path)
    with pytest.raises(ConfigError, match=r"^no ghlops\.yaml in "):
        load_project(tmp_path / "nowhere")


def test_empty_project_file(make_project: MakeProject) -> None:
    assert problems_of(make_project(ghlops="  \n\n")) == [
        "ghlops.yaml:1: empty file; expected 'version: 1' and a list of locations"
    ]


def test_project_file_not_a_mapping(make_project: MakeProject) -> None:
    assert problems_of(make_project(ghlops="# hello\n- a\n- b\n")) == [
        "ghlops.yaml:2: expected a mapping with 'version' and 'locations' at the top level, "
        "got a list"
    ]


def test_invalid_location_id(make_project: MakeProject) -> None:
    root = make_project(
        BASE,
        ghlops="""\
version: 1
defaults: {bundles: [bundles/base]}
locations:
  - name: downtown
    id: not-an-id
  - name: uptown
    id: 12345678901234567890
""",
    )
    assert problems_of(root) == [
        "ghlops.yaml:5: locations[0].id: not a GHL location id (20 letters and digits) "
        "(got 'not-an-id')",
        "ghlops.yaml:7: locations[1].id: Input should be a valid string (got 12345678901234567890)"
        "; quote the value to make it text",
    ]


@pytest.mark.parametrize("locations", ["locations: []\n", "locations:\n", ""])
def test_no_locations(make_project: MakeProject, locations: str) -> None:
    root = make_project(ghlops="version: 1\n" + locations)
    (problem,) = problems_of(root)
    assert problem.endswith("locations: at least one location is required")
    assert problem.startswith("ghlops.yaml:")


def test_unknown_prune_kind(make_project: MakeProject) -> None:
    root = make_project(
        BASE,
        ghlops=f"""\
version: 1
defaults: {{bundles: [bundles/base]}}
policy:
  prune:
    - tags
    - tagz
locations:
  - {{name: downtown, id: {ID_A}}}
""",
    )
    assert problems_of(root) == [
        "ghlops.yaml:6: policy.prune[1]: unknown kind 'tagz' "
        f"(known: {', '.join(registry.kinds())})"
    ]


def test_unsupported_version_and_unknown_keys(make_project: MakeProject) -> None:
    root = make_project(
        BASE,
        ghlops=f"""\
version: 2
defaults: {{bundles: [bundles/base]}}
agncy: {{companyId: x}}
locations:
  - name: downtown
    id: {ID_A}
    token: GHL_X
""",
    )
    assert problems_of(root) == [
        "ghlops.yaml:1: version: unsupported version 2 (this ghlops supports version 1)",
        "ghlops.yaml:3: agncy: unknown key (known: version, defaults, policy, groups, locations, agency); "
        "did you mean 'agency'?",
        "ghlops.yaml:7: locations[0].token: unknown key (known: name, id, tokenEnv, groups, vars, bundles); "
        "did you mean 'tokenEnv'?",
    ]


def test_names_ids_and_types_all_reported_at_once(make_project: MakeProject) -> None:
    root = make_project(
        BASE,
        ghlops=f"""\
version: 1
defaults:
  vars: [not, a, mapping]
  bundles: bundles/base
agency:
  tokenEnv: 1BAD
locations:
  - name: downtown
    id: {ID_A}
    tokenEnv: GHL-TOKEN
  - name: downtown
    id: {ID_A}
  - name: -bad
    id: {ID_B}
    bundles: [bundles/base, 3]
""",
    )
    assert problems_of(root) == [
        "ghlops.yaml:3: defaults.vars: Input should be a mapping (got a list)",
        "ghlops.yaml:4: defaults.bundles: Input should be a list (got 'bundles/base')",
        "ghlops.yaml:5: agency.companyId: Field required",
        "ghlops.yaml:6: agency.tokenEnv: not a valid environment variable name "
        "(letters, digits and '_', not starting with a digit) (got '1BAD')",
        "ghlops.yaml:10: locations[0].tokenEnv: not a valid environment variable name "
        "(letters, digits and '_', not starting with a digit) (got 'GHL-TOKEN')",
        "ghlops.yaml:11: duplicate location name 'downtown' (first at line 8)",
        "ghlops.yaml:12: duplicate location id 've9EPM428h8vShlRW1KT' (first at line 9)",
        "ghlops.yaml:13: locations[2].name: not a valid location name (letters, digits, '_', "
        "'.' and '-', starting with a letter or digit) (got '-bad')",
        "ghlops.yaml:15: locations[2].bundles[1]: Input should be a valid string (got 3)"
        "; quote the value to make it text",
    ]


def test_yaml_problems_in_project_file(make_project: MakeProject) -> None:
    root = make_project(
        ghlops=f"""\
version: 1
locations:
  - name: downtown
    id: {ID_A}
    name: again
"""
    )
    assert problems_of(root) == ["ghlops.yaml:5: duplicate key 'name' (first at line 3)"]

    root = make_project(
        ghlops="""\
version: 1
x: &anchor {a: 1}
locations: *anchor
"""
    )
    assert problems_of(root) == [
        "ghlops.yaml:2: YAML anchors and aliases are not supported; use template variables"
    ]


def test_project_file_is_not_templated(make_project: MakeProject) -> None:
    root = make_project(
        BASE,
        ghlops=f"""\
version: 1
defaults: {{bundles: [bundles/base]}}
locations:
  - name: downtown
    id: {ID_A}
    vars: {{greeting: "{{{{ not rendered }}}}"}}
""",
    )
    assert load_project(root).locations[0].vars == {"greeting": "{{ not rendered }}"}


def test_project_file_not_utf8_and_too_large(make_project: MakeProject) -> None:
    root = make_project(ghlops=None, files={"ghlops.yaml": b"version: 1\nlocations:\n  - \xff\n"})
    assert problems_of(root) == ["ghlops.yaml:3: not UTF-8 text (byte 0xff at line 3)"]

    with (root / "ghlops.yaml").open("wb") as handle:
        handle.truncate(6 * 1024 * 1024)  # sparse: instant, and must not be read
    assert problems_of(root) == ["ghlops.yaml:1: file too large (6 MB, limit 1 MB)"]


# -- bundle entries -------------------------------------------------------------------------------

BUNDLES_PROJECT = f"""\
version: 1
defaults:
  bundles:
    - bundles/base
    - {{entry}}
locations:
  - name: downtown
    id: {ID_A}
"""


def _with_entry(entry: str) -> str:
    return BUNDLES_PROJECT.replace("{entry}", entry)


def test_bundle_that_does_not_exist(make_project: MakeProject) -> None:
    root = make_project(BASE, ghlops=_with_entry("bundles/nope"))
    assert problems_of(root) == ["ghlops.yaml:5: bundle 'bundles/nope' does not exist"]


@pytest.mark.parametrize("entry", ["../outside", "bundles/../../outside"])
def test_bundle_outside_the_project(make_project: MakeProject, entry: str) -> None:
    root = make_project(BASE, ghlops=_with_entry(entry))
    (root.parent / "outside").mkdir()
    assert problems_of(root) == [
        f"ghlops.yaml:5: bundle '{entry}' resolves outside the project folder"
    ]


def test_bundle_absolute_path_outside_the_project(make_project: MakeProject) -> None:
    root = make_project(BASE)
    outside = root.parent / "elsewhere.yaml"
    outside.write_text("tags: []\n")
    (root / "ghlops.yaml").write_text(_with_entry(str(outside)))
    assert problems_of(root) == [
        f"ghlops.yaml:5: bundle '{outside}' resolves outside the project folder"
    ]


def test_bundle_symlink_escaping_the_project(make_project: MakeProject) -> None:
    root = make_project(BASE, ghlops=_with_entry("bundles/shared"))
    (root.parent / "shared").mkdir()
    (root / "bundles" / "shared").symlink_to(root.parent / "shared")
    assert problems_of(root) == [
        "ghlops.yaml:5: bundle 'bundles/shared' resolves outside the project folder"
    ]


def test_bundle_symlink_loop(make_project: MakeProject) -> None:
    root = make_project(BASE, ghlops=_with_entry("bundles/loop"))
    os.symlink("loop", root / "bundles" / "loop")
    assert problems_of(root) == ["ghlops.yaml:5: bundle 'bundles/loop' is a symlink loop"]


def test_bundle_folder_problems_point_at_the_entry(make_project: MakeProject) -> None:
    root = make_project(
        {**BASE, "bundles/extra/ok.yaml": "tags: []\n", "bundles/empty/readme.txt": "hi\n"},
        ghlops=f"""\
version: 1
defaults:
  bundles: [bundles/base, bundles/extra]
locations:
  - name: downtown
    id: {ID_A}
    bundles:
      - bundles/empty
""",
    )
    (root.parent / "secret.yaml").write_text("tags: []\n")
    (root / "bundles" / "extra" / "evil.yaml").symlink_to(root.parent / "secret.yaml")
    (root / "bundles" / "extra" / "self").symlink_to(root / "bundles" / "extra")
    os.symlink("dangling.yaml", root / "bundles" / "extra" / "broken.yaml")
    assert problems_of(root) == [
        "ghlops.yaml:3: bundle 'bundles/extra': 'bundles/extra/broken.yaml' is a broken symlink",
        "ghlops.yaml:3: bundle 'bundles/extra': 'bundles/extra/evil.yaml' resolves outside the "
        "project folder",
        "ghlops.yaml:3: bundle 'bundles/extra': 'bundles/extra/self' is a symlink loop",
        "ghlops.yaml:8: bundle folder 'bundles/empty' has no .yaml or .yml files",
    ]


def test_location_config_bundle_entries() -> None:
    location = LocationConfig(
        name="x", id=ID_A, bundles=["a", "b"], pos=SourcePos("ghlops.yaml", 3)
    )
    assert location.bundle_entries() == [
        ("a", SourcePos("ghlops.yaml", 3)),
        ("b", SourcePos("ghlops.yaml", 3)),
    ]
