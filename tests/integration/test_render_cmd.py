"""`ghlops render`: what a location's bundles add up to, each item with its source and the
earlier item it overrides; unknown kinds get a suggestion."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.resources import registry
from tests.helpers.cli import EXAMPLES


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_render_shows_sources_and_overrides() -> None:
    result = run(
        "-C", str(EXAMPLES / "quickstart"), "render", "-l", "downtown", "--kind", "customValues"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "# location downtown (ve9EPM428h8vShlRW1KT): bundles/base/fields.yaml, "
        "bundles/base/tags.yaml, bundles/downtown/extra.yaml\n"
        "customValues:\n"
        "  # bundles/downtown/extra.yaml:5, overrides bundles/base/fields.yaml:14\n"
        "  - name: Brand Name\n"
        "    value: Acme Dental Downtown\n"
        "  # bundles/base/fields.yaml:16\n"
        "  - name: Booking URL\n"
        "    value: https://book.example.com/springfield-downtown\n"
        "  # bundles/base/fields.yaml:18\n"
        "  - name: Clinic City\n"
        "    value: Springfield\n"
    )


def test_render_every_location_and_nested_kinds_with_their_parent() -> None:
    result = run("-C", str(EXAMPLES / "dental"), "render", "--kind", "products")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.count("# location ") == 3
    assert out.count("\nproducts:\n") == 3 and out.count("\nprices:  # of products\n") == 3
    assert "  - parent: teeth-whitening\n    name: Single session\n" in out
    assert "\ntags:" not in out


def test_render_shows_ghlops_settings_and_is_offline(tmp_path: Path) -> None:
    (tmp_path / "bundles").mkdir()
    (tmp_path / "ghlops.yaml").write_text(
        "version: 1\ndefaults: {bundles: [bundles]}\n"
        "locations: [{name: a, id: ve9EPM428h8vShlRW1KT, tokenEnv: NOT_SET_ANYWHERE}]\n"
    )
    (tmp_path / "bundles" / "t.yaml").write_text(
        "tags:\n  - {name: vip, protect: true}\n  - {name: new, renamedFrom: old}\n"
    )
    result = run("-C", str(tmp_path), "render")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "tags:\n  # bundles/t.yaml:2\n  - name: vip\n    protect: true\n"
        "  # bundles/t.yaml:3\n  - name: new\n    renamedFrom: old\n"
    )


def test_unknown_kind_suggests_the_closest() -> None:
    result = run("-C", str(EXAMPLES / "quickstart"), "render", "--kind", "tag")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: unknown kind 'tag' (known: {', '.join(registry.kinds())}); did you mean 'tags'?\n"
    )
    plan = run("-C", str(EXAMPLES / "quickstart"), "plan", "--sandbox", "--kind", "customfields")
    assert plan.exit_code == 1
    assert plan.stderr.rstrip().endswith("did you mean 'customFields'?")


def test_render_writes_singletons_as_mappings_and_every_example_whole() -> None:
    """A singleton kind renders as the mapping bundles declare (with the override it merged);
    every example project renders (custom field options included), and reads back as YAML."""
    import yaml

    result = run("-C", str(EXAMPLES / "petcare"), "render", "-l", "springfield")
    assert result.exit_code == 0, result.output
    _, _, rest = result.stdout.partition("storeSettings:\n")
    assert rest.startswith(
        "  # bundles/springfield/overrides.yaml:4, overrides bundles/base/store.yaml:"
    )
    assert "\n  shippingOrigin:\n    name: Pawsome Pets Springfield\n" in rest
    data = yaml.safe_load(result.stdout)
    assert data["storeSettings"]["shippingOrigin"]["street1"] == "1 Warehouse Row"
    assert data["locationSettings"]["timezone"] == "America/Chicago"
    assert data["customFields"][1]["options"] == ["Dog", "Cat", "Rabbit", "Other"]
    for example in ("quickstart", "dental", "petcare"):
        assert run("-C", str(EXAMPLES / example), "render").exit_code == 0, example
