"""The plan-case harness itself: strict case files, and checks that fail on a wrong plan."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.plan_cases import CASES_DIR, Case, check_case, load_case

BASE: dict[str, Any] = {
    "description": "a tag is created, another is protected and pruned",
    "kind": "tags",
    "policy": {"prune": ["tags"], "protect": {"tags": ["vip*"]}},
    "desired": [{"name": "new"}],
    "live": [{"id": "aaaaaaaaaaaaaaaaaaa1", "name": "vip-old"}],
    "expect": {
        "changes": [
            {
                "action": "delete",
                "key": "vip-old",
                "id": "aaaaaaaaaaaaaaaaaaa1",
                "destructive": True,
                "protected": True,
            },
            {"action": "create", "key": "new", "payload": {"name": "new"}},
        ],
        "unmanaged": 0,
    },
}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_base_case_passes(tmp_path: Path) -> None:
    check_case(load_case(write(tmp_path, BASE)))


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ((), "polcy"),
        (("expect",), "warnigns"),
        (("expect", "changes", 0), "destructve"),
        (("live_context",), "apis"),
    ],
)
def test_an_unknown_key_anywhere_in_a_case_is_an_error(
    tmp_path: Path, where: tuple[str | int, ...], key: str
) -> None:
    data = copy.deepcopy(BASE)
    data.setdefault("live_context", {})
    node: Any = data
    for part in where:
        node = node[part]
    node[key] = []
    with pytest.raises(ValueError, match=rf"case\.yaml: not a valid plan case:(.|\n)*{key}"):
        load_case(write(tmp_path, data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"action": "create", "key": "x"}, "give its payload"),
        ({"action": "delete", "key": "x", "payload": {}}, "only creates have a payload"),
        ({"action": "remove", "key": "x"}, "action"),
    ],
)
def test_expected_changes_are_complete(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    data = copy.deepcopy(BASE)
    data["expect"]["changes"] = [change]
    with pytest.raises(ValueError, match=message):
        load_case(write(tmp_path, data))


def test_an_expectation_is_an_error_or_a_plan(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["expect"]["error"] = "boom"
    with pytest.raises(ValueError, match="an expected error excludes"):
        load_case(write(tmp_path, data))
    del data["expect"]["error"], data["expect"]["unmanaged"]
    with pytest.raises(ValueError, match="needs `changes` and `unmanaged`"):
        load_case(write(tmp_path, data))


def test_unknown_kinds_and_policies_are_errors(tmp_path: Path) -> None:
    for patch in ({"kind": "tag"}, {"policy": {"prune": ["tag"]}}, {"live": {"tag": []}}):
        with pytest.raises(ValueError, match="not a valid plan case"):
            load_case(write(tmp_path, {**BASE, **patch}))


def wrong(path: list[str | int], value: Any) -> Case:
    data = copy.deepcopy(BASE)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return Case.model_validate(data)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["expect", "changes", 1, "payload"], {"name": "other"}),
        (["expect", "changes", 0, "protected"], False),
        (["expect", "changes", 0, "destructive"], False),
        (["expect", "changes", 0, "id"], "aaaaaaaaaaaaaaaaaaa9"),
        (["expect", "changes", 0, "kind"], "customValues"),
        (["expect", "changes", 0, "diffs"], {"name": ["a", "b"]}),
        (["expect", "changes", 0, "reasons"], ["not a reason"]),
        (["expect", "changes", 1, "key"], "newer"),
        (["expect", "unmanaged"], 1),
        (["expect", "unmanaged"], {"tags": 1}),
        (["expect", "warnings"], ["a warning"]),
        (["expect", "notes"], ["a note"]),
    ],
)
def test_any_wrong_expectation_fails(path: list[str | int], value: Any) -> None:
    with pytest.raises(AssertionError):
        check_case(wrong(path, value))


def test_an_expected_error_that_does_not_happen_fails() -> None:
    case = load_case(CASES_DIR / "calendars_unknown_user_email.yaml")
    data = case.model_dump(exclude_defaults=True)
    data["desired"] = [{"name": "Hygiene", "teamMembers": [{"user": "ana@clinic.com"}]}]
    with pytest.raises(AssertionError, match="did not fail"):
        check_case(Case.model_validate(data))
