"""A number field accepts a (quoted) template that renders to a number; the bundle schema lets
editors accept it too."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from tests.helpers.cli import ROOT

ID = "ve9EPM428h8vShlRW1KT"
BUNDLE = """\
products:
  - name: Whitening
    productType: SERVICE
    prices:
      - {name: Single, type: one_time, currency: USD, amount: "{{ vars.price }}"}
shippingZones:
  - name: Domestic
    countries: [{code: US}]
    rates:
      - {name: Standard, currency: USD, amount: "{{ vars.shipping }}"}
"""


def project(root: Path, price: str, bundle: str = BUNDLE) -> Path:
    (root / "bundles").mkdir(parents=True, exist_ok=True)
    (root / "bundles" / "store.yaml").write_text(bundle)
    (root / "ghlops.yaml").write_text(
        "version: 1\ndefaults: {bundles: [bundles]}\nlocations:\n"
        f"  - {{name: a, id: {ID}, tokenEnv: T, vars: {{price: {price}, shipping: 4.5}}}}\n"
    )
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def test_a_template_rendering_a_number_fills_a_number_field(tmp_path: Path) -> None:
    root = project(tmp_path, "199")
    result = run(root, "render", "--kind", "products", "--kind", "shippingZones")
    assert result.exit_code == 0, result.output
    assert "    amount: 199\n" in result.stdout
    assert "    amount: 4.5\n" in result.stdout
    plan = run(root, "plan", "--sandbox", "--json")
    assert plan.exit_code == 0, plan.output
    changes = json.loads(plan.stdout)["locations"][0]["changes"]
    price = next(c for c in changes if c["kind"] == "prices")
    assert price["after"]["amount"] == 199


def test_a_template_rendering_text_is_still_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, "lots")
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  bundles/store.yaml:5: products[0].prices[0].amount: Input should be a valid number "
        "(got 'lots') (location a)\n"
    )


def test_text_in_a_plain_file_stays_text(tmp_path: Path) -> None:
    root = project(tmp_path, "1", bundle="products:\n  - name: W\n    productType: SERVICE\n"
                   "    prices:\n      - {name: S, type: one_time, currency: USD, amount: '199'}\n")  # fmt: skip
    result = run(root, "validate")
    assert result.exit_code == 1
    assert "amount: Input should be a valid number (got '199')" in result.stderr


def test_the_bundle_schema_accepts_templated_numbers() -> None:
    schema = json.loads((ROOT / "schemas" / "bundle.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(BUNDLE), schema)
    bad = yaml.safe_load(BUNDLE.replace('"{{ vars.price }}"', '"cheap"'))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
