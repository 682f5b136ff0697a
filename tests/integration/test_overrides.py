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


# -- partial overrides: complete only together with the earlier item ---------------------------


def test_a_partial_override_takes_the_left_out_fields_from_the_earlier_item(
    tmp_path: Path,
) -> None:
    root = project(
        tmp_path,
        "customFields:\n  - {name: Pet, dataType: LARGE_TEXT, placeholder: Your pet}\n",
        "customFields:\n  - {name: Pet, placeholder: Your cat}\n",  # no dataType
    )
    (item,) = load_desired(load_project(root), "a").items["customFields"]
    assert dict(item.fields) == {
        "name": "Pet",
        "model": "contact",
        "dataType": "LARGE_TEXT",
        "placeholder": "Your cat",
    }
    assert str(item.source) == "bundles/local/l.yaml:2"
    assert str(item.overrides) == "bundles/base/b.yaml:2"


def test_a_partial_item_alone_is_invalid_and_says_why(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "customFields:\n  - {name: Pet, dataType: TEXT}\n",
        "customFields:\n  - {name: Pett, placeholder: Your cat}\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/local/l.yaml:2: customFields[0].dataType: Field required (an item may leave "
        "out required fields only to override an earlier bundle's custom field, and this "
        "location has none named 'Pett'; did you mean 'contact:Pet'?) (location a)\n"
    )


def test_a_partial_item_names_its_target_like_a_complete_one(tmp_path: Path) -> None:
    # without 'model' a custom field is a contact field, so it does not complete the
    # opportunity field of the same name
    root = project(
        tmp_path,
        "customFields:\n  - {name: Budget, model: opportunity, dataType: NUMERICAL}\n",
        "customFields:\n  - {name: Budget, placeholder: In dollars}\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert "l.yaml:2: customFields[0].dataType: Field required (" in result.stderr
    assert "did you mean 'opportunity:Budget'?" in result.stderr


def test_the_merged_item_is_validated_whole_and_both_places_are_named(tmp_path: Path) -> None:
    # each item is valid alone; merged, a TEXT field would keep the earlier options
    root = project(
        tmp_path,
        "customFields:\n  - {name: Color, dataType: SINGLE_OPTIONS, options: [Red, Blue]}\n",
        "customFields:\n  - {name: Color, dataType: TEXT}\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/local/l.yaml:2: custom field 'contact:Color' (merged over "
        "bundles/base/b.yaml:2): Value error, options are only for dataType SINGLE_OPTIONS, "
        "MULTIPLE_OPTIONS, RADIO, CHECKBOX (not TEXT) (location a)\n"
    )


def test_a_partial_item_with_another_problem_is_reported_alone(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "customFields:\n  - {name: Pet, dataType: TEXT}\n",
        "customFields:\n  - {name: Pet, placehodler: x}\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert "l.yaml:2: customFields[0].placehodler: unknown field" in result.stderr
    assert "did you mean 'placeholder'" in result.stderr
    assert "leave out required fields" not in result.stderr


# -- absent: true removes an inherited item ----------------------------------------------------


def test_absent_removes_the_earlier_item_and_render_says_so(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "tags: [{name: vip}, {name: lead}]\n"
        "products:\n  - name: Whitening\n    productType: SERVICE\n    prices:\n"
        "      - {name: Single, type: one_time, currency: USD, amount: 199}\n",
        "tags:\n  - {name: vip, absent: true}\nproducts:\n  - {name: Whitening, absent: true}\n",
    )
    state = load_desired(load_project(root), "a")
    assert [item.key for item in state.items["tags"]] == ["lead"]
    assert state.items["products"] == () and state.items["prices"] == ()  # its prices too
    result = run(root, "render")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "# removed by absent: true\n"
        "#   tag 'vip' (bundles/base/b.yaml:1), at bundles/local/l.yaml:2\n"
        "#   product 'Whitening' (bundles/base/b.yaml:3), at bundles/local/l.yaml:4\n"
    )


def test_absent_on_a_singleton_stops_managing_it(tmp_path: Path) -> None:
    """A singleton (one per location) is never deleted: absent: true leaves it unmanaged, so the
    location's plan neither reads nor changes it."""
    root = project(
        tmp_path,
        "storeSettings:\n  shippingOrigin: {name: Shop, country: US, city: X, street1: 1 Road}\n"
        "tags: [{name: vip}]\n",
        "storeSettings:\n  absent: true\n",
    )
    state = load_desired(load_project(root), "a")
    assert state.items["storeSettings"] == ()
    assert [item.key for item in state.items["tags"]] == ["vip"]
    result = run(root, "render")
    assert result.exit_code == 0, result.output
    assert "storeSettings" not in result.stdout
    assert result.stdout.endswith(
        "# removed by absent: true\n"
        "#   store settings (bundles/base/b.yaml:1), at bundles/local/l.yaml:1\n"
    )


def test_absent_on_an_item_nothing_declares_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, "tags: [{name: vip}]\n", "tags:\n  - {name: vpi, absent: true}\n")
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/local/l.yaml:2: tag 'vpi' is marked absent: true, but no earlier bundle of "
        "this location declares it; did you mean 'vip'? (location a)\n"
    )


def test_absent_in_the_same_bundle_entry_removes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, "tags: [{name: vip}, {name: vip, absent: true}]\n", "tags: []\n")
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/base/b.yaml:1: tag 'vip' is marked absent: true in the bundle that declares "
        "it (at bundles/base/b.yaml:1); absent: true removes an item of an earlier bundle: "
        "delete the declaration instead (location a)\n"
    )


def test_a_protected_item_is_removed_only_with_protect_false(tmp_path: Path) -> None:
    root = project(
        tmp_path, "tags: [{name: vip, protect: true}]\n", "tags: [{name: vip, absent: true}]\n"
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/local/l.yaml:1: tag 'vip' is protected (protect: true at "
        "bundles/base/b.yaml:1); to remove it anyway, set protect: false beside absent: true "
        "(location a)\n"
    )
    (root / "bundles" / "local" / "l.yaml").write_text(
        "tags: [{name: vip, absent: true, protect: false}]\n"
    )
    assert load_desired(load_project(root), "a").items["tags"] == ()


def test_absent_must_be_a_boolean(tmp_path: Path) -> None:
    root = project(tmp_path, "tags: [{name: vip}]\n", "tags:\n  - {name: vip, absent: 'yes'}\n")
    result = run(root, "validate")
    assert result.exit_code == 1
    assert "bundles/local/l.yaml:2: tags[0].absent: expected true or false, got a string" in (
        result.stderr
    )


def test_absent_deletes_the_live_object_only_when_policy_prune_says_so(tmp_path: Path) -> None:
    root = project(tmp_path, "tags: [{name: vip}, {name: lead}]\n", "tags: []\n")
    applied = run(root, "apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    (root / "bundles" / "local" / "l.yaml").write_text("tags: [{name: vip, absent: true}]\n")
    kept = run(root, "plan", "--sandbox", "--no-color", "--detailed-exitcode")
    assert kept.exit_code == 0, kept.output  # no changes: the live tag is left alone
    assert "No changes." in kept.stdout
    config = root / "ghlops.yaml"
    config.write_text(config.read_text() + "policy: {prune: [tags]}\n")
    pruned = run(root, "plan", "--sandbox", "--no-color", "--detailed-exitcode")
    assert pruned.exit_code == 2, pruned.output
    assert '  - tag "vip"' in pruned.stdout
    assert "Plan: 0 to create, 0 to update, 0 to replace, 1 to delete." in pruned.stdout


def test_the_same_problem_in_every_location_is_reported_once(tmp_path: Path) -> None:
    root = project(tmp_path, "tags: [{name: vip}]\n", "tags:\n  - {name: vpi, absent: true}\n")
    other = "ve9EPM428h8vShlRW1KU"
    (root / "ghlops.yaml").write_text(
        "version: 1\ndefaults: {bundles: [bundles/base, bundles/local]}\nlocations:\n"
        f"  - {{name: a, id: {ID}, tokenEnv: T}}\n  - {{name: b, id: {other}, tokenEnv: T}}\n"
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/local/l.yaml:2: tag 'vpi' is marked absent: true, but no earlier bundle of "
        "this location declares it; did you mean 'vip'?\n"
    )
