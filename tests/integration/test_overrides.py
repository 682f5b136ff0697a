"""A later bundle's item merges over the earlier one field by field: nested lists are replaced
whole, nested mappings merge, and ghlops' own settings (protect, renamedFrom) stay unless set
again."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.manifest.loader import load_desired
from ghlops.manifest.project import load_project

ID = "ve9EPM428h8vShlRW1KT"


def project(root: Path, base: str, local: str) -> Path:
    (root / "bundles" / "base").mkdir(parents=True)
    (root / "bundles" / "local").mkdir(parents=True)
    (root / "bundles" / "base" / "b.yaml").write_text(base)
    (root / "bundles" / "local" / "l.yaml").write_text(local)
    (root / "ghlops.yaml").write_text(
        "version: 1\nlocations:\n"
        f"  - {{name: a, id: {ID}, tokenEnv: T, bundles: [bundles/base, bundles/local]}}\n"
    )
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def test_fields_merge_and_protect_and_renamed_from_stay(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "customFields:\n"
        "  - {name: Pet, dataType: TEXT, placeholder: Your pet, protect: true, renamedFrom: Dog}\n",
        "customFields:\n  - {name: Pet, dataType: TEXT, placeholder: Your cat}\n",
    )
    state = load_desired(load_project(root), "a")
    (item,) = state.items["customFields"]
    assert item.fields["placeholder"] == "Your cat"
    assert item.protect is True
    assert item.renamed_from == "Dog"
    assert str(item.source) == "bundles/local/l.yaml:2"
    assert str(item.overrides) == "bundles/base/b.yaml:2"


def test_settings_set_again_win(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "tags:\n  - {name: vip, protect: true}\n",
        "tags:\n  - {name: vip, protect: false}\n",
    )
    (item,) = load_desired(load_project(root), "a").items["tags"]
    assert item.protect is False


def test_nested_lists_are_replaced_whole(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "products:\n  - name: Whitening\n    productType: SERVICE\n    description: base\n"
        "    prices:\n"
        "      - {name: Single, type: one_time, currency: USD, amount: 199}\n"
        "      - {name: Double, type: one_time, currency: USD, amount: 349}\n",
        "products:\n  - name: Whitening\n    productType: SERVICE\n    prices:\n"
        "      - {name: Single, type: one_time, currency: USD, amount: 149}\n",
    )
    state = load_desired(load_project(root), "a")
    (product,) = state.items["products"]
    assert product.fields["description"] == "base"  # kept from the earlier item
    assert product.fields["productType"] == "SERVICE"
    assert [(p.key, p.fields["amount"]) for p in state.items["prices"]] == [
        ("Whitening/Single", 149)
    ]
    rendered = run(root, "render", "--kind", "products")
    assert rendered.exit_code == 0, rendered.output
    assert "  # bundles/local/l.yaml:2, overrides bundles/base/b.yaml:2\n" in rendered.stdout


def test_an_override_sets_only_what_it_changes(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "customValues:\n  - {name: City, value: Springfield}\n",
        "customValues:\n  - {name: City, value: Shelbyville}\n",
    )
    assert run(root, "validate").exit_code == 0
    (root / "bundles" / "base" / "b.yaml").write_text(
        "calendars:\n  - {name: Cleaning, calendarType: event, slotDuration: 30}\n"
    )
    (root / "bundles" / "local" / "l.yaml").write_text(
        "calendars:\n  - {name: Cleaning, slotDuration: 45}\n"
    )
    result = run(root, "render")
    assert result.exit_code == 0, result.output
    assert "    slotDuration: 45\n" in result.stdout
    assert "    calendarType: event\n" in result.stdout
