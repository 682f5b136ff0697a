"""`ghlops export`: live state back to bundles that plan "No changes", one location at a time or
as a shared base with per-location variables (--common), on the embedded sandbox and over HTTP."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.resources import registry
from ghlops.resources.exporting import models_in
from ghlops.sandbox import Sandbox
from tests.helpers.cli import EXAMPLES, HttpSandbox

SPRINGFIELD, SHELBYVILLE, CAPITAL = (
    "SpfLd0000000000000A1",
    "ShLbv0000000000000B2",
    "CapCt0000000000000C3",
)
DB = Path(".ghlops") / "sandbox.sqlite3"

# More than the dental example holds: non-default settings of every kind, GHL merge fields that
# must survive jinja2, a custom fieldKey, states, nested numbers, a link with its own settings.
RICH = """
customValues:
  - name: Greeting
    value: "Hi {% raw %}{{contact.first_name}}{% endraw %}, welcome to {{ vars.city }}!"
customFields:
  - {name: X-Ray Upload, fieldKey: contact.xray_files, dataType: FILE_UPLOAD,
     isMultipleFile: true, maxNumberOfFiles: 3}
  - {name: Allergies, dataType: LARGE_TEXT, position: 50}
calendarGroups:
  - {name: Surgery, slug: "{{ vars.slug }}-surgery", description: Oral surgery, isActive: false}
calendars:
  - name: Emergency Visit
    calendarType: event
    description: "Same-day emergencies.\\nCall first."
    eventTitle: "Emergency: {% raw %}{{contact.name}}{% endraw %}"
    eventColor: "#ff0000"
    slotDuration: 20
    slotInterval: 15
    slotBuffer: 10
    slotBufferUnit: mins
    allowBookingFor: 2
    allowBookingForUnit: weeks
    openHours:
      - daysOfTheWeek: [1, 2, 3, 4, 5]
        hours: [{openHour: 8, openMinute: 0, closeHour: 17, closeMinute: 30}]
    locationConfigurations: [{kind: physical, location: "1 Main St, {{ vars.city }}"}]
    lookBusyConfig: {enabled: true, LookBusyPercentage: 20}
    autoConfirm: false
    isActive: false
    widgetType: default
    formSubmitType: RedirectURL
    formSubmitRedirectURL: https://smiledental.example/thanks
products:
  - name: Gift Card
    productType: DIGITAL
    statementDescriptor: SMILEGIFT
    availableInStore: true
    prices:
      - {name: Fifty, type: one_time, currency: USD, amount: 50, compareAtPrice: 60.5,
         trackInventory: true, availableQuantity: 100}
shippingZones:
  - name: International
    countries: [{code: CA, states: [{code: "ON"}, {code: QC}]}, {code: GB}]
    rates:
      - {name: Heavy, description: Over 5 kg, currency: USD, amount: 40.25,
         conditionType: weight, minCondition: 5, maxCondition: 50}
redirects:
  - {domain: "{{ vars.slug }}.smiledental.example", path: /Old-Path,
     target: "https://smiledental.example/new?ref=1&x=2", action: url}
customMenuLinks:
  - {title: Lab Orders, url: https://lab.smiledental.example, icon: {name: flask, fontFamily: fas},
     userRole: admin, showOnCompany: true, allowCamera: true}
tags:
  - name: "yes"
  - name: "VIP: gold"
triggerLinks:
  - {name: "{{ vars.city }} offer", redirectTo: "https://smiledental.example/{{ vars.slug }}?a=1&b={% raw %}{{contact.id}}{% endraw %}"}
"""


def run(directory: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, ["-C", str(directory), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def dental(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The dental example plus RICH, seeded and applied: three clinics holding every kind."""
    root = tmp_path_factory.mktemp("export") / "dental"
    shutil.copytree(EXAMPLES / "dental", root, ignore=shutil.ignore_patterns(".ghlops"))
    (root / "bundles" / "base" / "rich.yaml").write_text(RICH)
    assert run(root, "sandbox", "seed", str(root / "sandbox-seed.yaml")).exit_code == 0
    applied = run(root, "apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    yield root


def bundle_texts(out: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(out.rglob("*.yaml")))


def plan(out: Path, *args: str) -> Result:
    return run(out, "plan", "--sandbox", "--detailed-exitcode", *args)


# -- one bundle per location --------------------------------------------------------------------


def test_every_location_round_trips_with_every_kind(dental: Path, tmp_path: Path) -> None:
    out = tmp_path / "adopted"
    result = run(dental, "export", "--sandbox", "--out", str(out), "--write-project")
    assert result.exit_code == 0, result.output
    assert "Exported springfield, shelbyville, capital-city" in result.stdout

    springfield = sorted(p.name for p in (out / "bundles" / "springfield").iterdir())
    assert springfield == sorted(f"{k}.yaml" for k in registry.bundle_kinds())
    products = yaml.safe_load((out / "bundles" / "springfield" / "products.yaml").read_text())
    whitening = next(p for p in products["products"] if p["name"] == "Teeth Whitening")
    assert whitening["prices"] == [
        {"name": "Single session", "type": "one_time", "currency": "USD", "amount": 299}
    ]
    assert whitening["collections"] == ["cosmetic"]
    zones = (out / "bundles" / "springfield" / "shippingZones.yaml").read_text()
    assert "      - {name: Express, currency: USD, amount: 3, carrier: ShipFast}\n" in zones
    calendars = (out / "bundles" / "springfield" / "calendars.yaml").read_text()
    assert "    group: springfield-general\n" in calendars
    assert "teamMembers: [{user: ana@smiledental.example, priority: 1, isPrimary: true}]" in (
        calendars
    )
    assert 'eventTitle: "{% raw %}Emergency: {{contact.name}}{% endraw %}"' in calendars
    for default in ("slotInterval: 30", 'eventColor: "#039be5"', "isActive: true"):
        assert default not in calendars
    fields = (out / "bundles" / "springfield" / "customFields.yaml").read_text()
    assert "fieldKey: contact.xray_files" in fields
    assert "fieldKey: contact.allergies" not in fields  # the one GHL derives is left out

    texts = bundle_texts(out)
    with Sandbox(dental / DB) as sb:
        ids = [
            str(o.get("id") or o.get("_id"))
            for kind in ("tags", "calendars", "products", "customMenus", "pipelines")
            for owner in (SPRINGFIELD, "SmileDentalAgency001")
            for o in sb.objects(owner, kind)
        ]
    assert ids and not [i for i in ids if i in texts]

    project = yaml.safe_load((out / "ghlops.yaml").read_text())
    assert project["agency"] == {
        "companyId": "SmileDentalAgency001",
        "tokenEnv": "GHL_AGENCY_TOKEN",
    }
    assert project["locations"][0] == {
        "name": "springfield",
        "id": SPRINGFIELD,
        "tokenEnv": "GHL_TOKEN_SPRINGFIELD",
        "bundles": ["bundles/springfield"],
    }
    assert "sbx-" not in (out / "ghlops.yaml").read_text() + result.output

    planned = plan(out)
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout
    assert planned.stdout.startswith("3 locations unchanged\n")
    assert "Agency SmileDentalAgency001\n  no changes\n" in planned.stdout


@pytest.mark.parametrize("kind", registry.kinds())
def test_each_kind_round_trips_on_its_own(dental: Path, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "adopted"
    result = run(
        dental, "export", "--sandbox", "--kind", kind, "--out", str(out), "--write-project"
    )
    assert result.exit_code == 0, result.output
    adapter = registry.get(kind)
    file_kind = adapter.parent_kind or kind
    written = out / "bundles" / "springfield" / f"{file_kind}.yaml"
    data = yaml.safe_load(written.read_text())
    assert data[file_kind]
    if adapter.parent_kind:  # nested kinds are inside their parent's items
        assert not (written.parent / f"{kind}.yaml").exists()
        parent = registry.get(adapter.parent_kind).model.model_fields
        [field] = [n for n, f in parent.items() if adapter.model in models_in(f.annotation)]
        assert any(item.get(field) for item in data[file_kind])
    planned = plan(out, "--kind", kind)
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


def test_one_location_warns_about_links_it_shares(dental: Path, tmp_path: Path) -> None:
    out = tmp_path / "springfield"
    result = run(
        dental, "export", "--sandbox", "-l", "springfield", "--out", str(out), "--write-project"
    )
    assert result.exit_code == 0, result.output
    assert "custom menu link 'Patient Portal' is also shown in 2 location(s) not exported" in (
        result.stdout
    )
    links = yaml.safe_load((out / "bundles" / "springfield" / "customMenuLinks.yaml").read_text())
    assert [link["title"] for link in links["customMenuLinks"]] == [
        "Lab Orders",
        "Patient Portal",
        "Sedation Checklist",
    ]
    data = json.loads(run(out, "plan", "--sandbox", "--json").stdout)
    assert [loc["changes"] for loc in data["locations"]] == [[]]
    changes = data["agency"]["changes"]
    assert {c["key"] for c in changes} == {"Lab Orders", "Patient Portal"}
    assert all(
        c["action"] == "update" and c["after"]["locations"] == [SPRINGFIELD] for c in changes
    )


# -- --common -----------------------------------------------------------------------------------


def test_common_shares_a_templated_base_and_round_trips(dental: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    result = run(dental, "export", "--sandbox", "--common", "--out", str(out), "--write-project")
    assert result.exit_code == 0, result.output
    base = out / "bundles" / "base"
    tags = (base / "tags.yaml").read_text()
    assert '  - name: "{{ location.name }}-patient"\n' in tags
    values = (base / "customValues.yaml").read_text()
    assert 'value: "https://smiledental.example/book/{{ vars.booking_url }}"' in values
    assert 'value: "Smile Dental {{ vars.city }}"' in values  # the project's own variable
    greeting = '"{% raw %}Hi {{contact.first_name}}, welcome to {% endraw %}{{ vars.city }}!"'
    assert f"value: {greeting}" in values
    calendars = (base / "calendars.yaml").read_text()
    assert 'slug: "{{ location.name }}-cleaning"' in calendars
    assert 'group: "{{ location.name }}-general"' in calendars
    assert "capital-city-ortho" not in calendars
    assert (out / "bundles" / "capital-city" / "calendars.yaml").exists()

    project = yaml.safe_load((out / "ghlops.yaml").read_text())
    by_name = {loc["name"]: loc for loc in project["locations"]}
    assert by_name["capital-city"]["vars"]["booking_url"] == "flagship"
    assert by_name["springfield"]["vars"]["booking_url"] == "springfield"
    assert by_name["shelbyville"]["bundles"] == ["bundles/base", "bundles/shelbyville"]

    out_text = result.stdout
    assert "customValues 'Booking URL': value → vars.booking_url" in out_text
    assert "tags '{location.name}-patient': name → location.name" in out_text
    assert (
        "pipelines 'Recall' (springfield, shelbyville, capital-city): stages: lists of 2 or 3 "
        "entries" in out_text
    )
    assert "tags 'sedation-candidate' (springfield): not in shelbyville, capital-city" in out_text
    assert "calendars 'capital-city-ortho' (capital-city): not in springfield, shelbyville" in (
        out_text
    )

    planned = plan(out)
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


def test_common_without_write_project_prints_the_variables(dental: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    result = run(
        dental, "export", "--sandbox", "--common", "-l", "s*", "--kind", "customValues",
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (out / "ghlops.yaml").exists()
    assert "The templates need these variables in ghlops.yaml" in result.stdout
    # springfield's booking URL ends in its location name: no variable needed for it
    assert "vars: {city: Springfield, phone: +1 555 0101}" in result.stdout
    assert "bundles: [bundles/base, bundles/springfield]" in result.stdout
    assert "      bundles: [bundles/base]\n" in result.stdout  # shelbyville has nothing of its own


def test_common_needs_two_locations(dental: Path, tmp_path: Path) -> None:
    result = run(
        dental, "export", "--sandbox", "--common", "-l", "springfield", "--out", str(tmp_path / "o")
    )
    assert result.exit_code == 1
    assert "--common needs two locations or more" in result.stderr


# -- a project without bundles, secrets, policy, HTTP -------------------------------------------

BARE = f"""
version: 1
agency: {{companyId: SmileDentalAgency001}}
locations:
  - {{name: springfield, id: {SPRINGFIELD}}}
  - {{name: shelbyville, id: {SHELBYVILLE}}}
  - {{name: capital-city, id: {CAPITAL}}}
"""


def test_adopting_from_a_bare_project_derives_token_variables(dental: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    (bare / ".ghlops").mkdir(parents=True)
    shutil.copy(dental / DB, bare / DB)
    (bare / "ghlops.yaml").write_text(BARE)
    out = tmp_path / "adopted"
    result = run(bare, "export", "--sandbox", "--common", "--out", str(out), "--write-project")
    assert result.exit_code == 0, result.output
    project = (out / "ghlops.yaml").read_text()
    assert "tokenEnv: GHL_TOKEN_CAPITAL_CITY" in project
    assert "agency: {companyId: SmileDentalAgency001, tokenEnv: GHL_AGENCY_TOKEN}" in project
    with Sandbox(bare / DB) as sb:
        tokens = [sb.provision_location(i) for i in (SPRINGFIELD, SHELBYVILLE, CAPITAL)]
    assert not [t for t in tokens if t in project + bundle_texts(out) + result.output]
    # without project variables to reuse, new ones are made and named after the item
    assert "clinic_name: Springfield" in project
    planned = plan(out)
    assert planned.exit_code == 0, planned.output


SMALL = """
version: 1
policy:
  ignore: {tags: ["zap-*"]}
locations:
  - {name: shop, id: ShopShopShopShop0001, tokenEnv: GHL_TOKEN_SHOP}
defaults:
  bundles: [bundles]
"""
SMALL_BUNDLE = """
tags:
  - name: vip
  - name: zap-imported
customValues:
  - name: Stripe API Key
    value: sk_live_51HabcdefghijklmnopQRSTuvwx
  - name: Order Webhook
    value: https://hooks.example.com/orders?token=tok3n5ecret&v=2
  - name: Website
    value: https://shop.example.com
customMenuLinks:
  - {title: Help, url: https://help.example.com, icon: {name: life-ring, fontFamily: fas}}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """One location with secrets, a tag left to others, and a link the project cannot read."""
    root = tmp_path / "shop"
    (root / "bundles").mkdir(parents=True)
    # the tag left to others is made by a first apply without the policy (a declared item
    # that policy.ignore names is refused)
    unignored = SMALL.replace('  ignore: {tags: ["zap-*"]}\n', "  prune: []\n")
    (root / "ghlops.yaml").write_text(unignored + "agency: {companyId: ShopAgency}\n")
    (root / "bundles" / "shop.yaml").write_text(SMALL_BUNDLE)
    assert run(root, "apply", "--sandbox", "--auto-approve").exit_code == 0
    (root / "ghlops.yaml").write_text(SMALL)  # no agency section from here on
    (root / "bundles" / "shop.yaml").write_text(
        SMALL_BUNDLE.replace("  - name: zap-imported\n", "")
    )
    return root


def test_secrets_are_masked_so_they_cannot_be_applied(shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "adopted"
    result = run(shop, "export", "--sandbox", "--out", str(out), "--write-project")
    assert result.exit_code == 0, result.output
    text = (out / "bundles" / "shop" / "customValues.yaml").read_text()
    assert text.count('value: "{{ masked_secret }}"  # masked secret') == 2
    assert "value: https://shop.example.com" in text
    for secret in ("sk_live_51H", "tok3n5ecret"):
        assert secret not in text + result.output
    assert "Masked 2 secret-looking value(s)" in result.stdout
    assert "shop: customValues 'Stripe API Key': value" in result.stdout

    planned = plan(out)
    assert planned.exit_code == 1
    assert "undefined template variable 'masked_secret'" in planned.stderr

    shown = tmp_path / "shown"
    result = run(
        shop, "export", "--sandbox", "--show-secrets", "--out", str(shown), "--write-project"
    )
    assert result.exit_code == 0, result.output
    assert "sk_live_51HabcdefghijklmnopQRSTuvwx" in bundle_texts(shown)
    assert plan(shown).exit_code == 0


def test_ignored_objects_stay_out_and_the_policy_is_carried_over(
    shop: Path, tmp_path: Path
) -> None:
    out = tmp_path / "adopted"
    result = run(shop, "export", "--sandbox", "--out", str(out), "--write-project")
    assert result.exit_code == 0, result.output
    assert "zap-imported" not in bundle_texts(out)
    assert "shop: 1 tags not exported: policy.ignore leaves them to others" in result.stdout
    assert yaml.safe_load((out / "ghlops.yaml").read_text())["policy"] == {
        "ignore": {"tags": ["zap-*"]}
    }
    # custom menu links need the agency: without an agency section they are left out, said so
    assert "customMenuLinks not exported: they are agency objects" in result.stdout
    assert not (out / "bundles" / "shop" / "customMenuLinks.yaml").exists()
    assert "agency" not in yaml.safe_load((out / "ghlops.yaml").read_text())


def test_output_folder_must_be_new_or_forced(shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "adopted"
    (out / "bundles" / "shop").mkdir(parents=True)
    (out / "bundles" / "shop" / "stale.yaml").write_text("tags: [{name: old}]\n")
    (out / "notes.txt").write_text("mine")
    refused = run(shop, "export", "--sandbox", "--out", str(out))
    assert refused.exit_code == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert (out / "bundles" / "shop" / "stale.yaml").exists()
    assert not (out / "bundles" / "shop" / "tags.yaml").exists()

    forced = run(shop, "export", "--sandbox", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert not (out / "bundles" / "shop" / "stale.yaml").exists()
    assert (out / "bundles" / "shop" / "tags.yaml").exists()
    assert (out / "notes.txt").read_text() == "mine"

    (tmp_path / "file").write_text("x")
    as_file = run(shop, "export", "--sandbox", "--out", str(tmp_path / "file"))
    assert as_file.exit_code == 1 and "is not a folder" in as_file.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-l", "nowhere"], "no location matches 'nowhere' (known: shop)"),
        (["--kind", "widgets"], "unknown kind 'widgets'"),
        (["--sandbox", "--base-url", "http://127.0.0.1:1"], "cannot be used together"),
    ],
)
def test_usage_errors_write_nothing(
    shop: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "adopted"
    result = run(shop, "export", "--sandbox", *args, "--out", str(out))
    assert result.exit_code == 1
    assert message in result.stderr
    assert not out.exists()


def test_export_over_http_with_base_url(http_sandbox: HttpSandbox, tmp_path: Path) -> None:
    root = tmp_path / "remote"
    root.mkdir()
    (root / "ghlops.yaml").write_text(SMALL.replace("defaults:\n  bundles: [bundles]\n", ""))
    sb = http_sandbox.sandbox
    token = sb.provision_location("ShopShopShopShop0001", token="pit-remote-0123456789abcdef")
    sb.seed({"locations": {"ShopShopShopShop0001": {"tags": [{"name": "vip"}]}}})
    out = tmp_path / "adopted"
    base = ["export", "--base-url", http_sandbox.url, "--out", str(out), "--write-project"]
    missing = run(root, *base, env={"GHL_TOKEN_SHOP": None})
    assert missing.exit_code == 1
    assert "GHL_TOKEN_SHOP is not set" in missing.stderr
    assert not out.exists()

    result = run(root, *base, env={"GHL_TOKEN_SHOP": token})
    assert result.exit_code == 0, result.output
    assert (out / "bundles" / "shop" / "tags.yaml").read_text().endswith("tags:\n  - name: vip\n")
    assert token not in bundle_texts(out) + result.output
    assert not (out / DB).exists()  # only the embedded sandbox is copied
    again = run(out, "plan", "--base-url", http_sandbox.url, "--detailed-exitcode",
                env={"GHL_TOKEN_SHOP": token})  # fmt: skip
    assert again.exit_code == 0, again.output


def test_export_force_never_follows_symlinks(shop: Path, tmp_path: Path) -> None:
    """A link inside the output folder (to a folder or a file elsewhere) is refused: nothing
    outside the output folder is deleted or overwritten."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.yaml").write_text("keep: me\n")
    (elsewhere / "tags.yaml").write_text("keep: me too\n")
    out = tmp_path / "adopted"
    (out / "bundles").mkdir(parents=True)
    (out / "bundles" / "shop").symlink_to(elsewhere)
    folder_link = run(shop, "export", "--sandbox", "--out", str(out), "--force")
    assert folder_link.exit_code == 1, folder_link.output
    assert f"{out / 'bundles' / 'shop'} is a symbolic link; export does not write through" in (
        folder_link.stderr
    )
    (out / "bundles" / "shop").unlink()
    (out / "bundles" / "shop").mkdir()
    (out / "bundles" / "shop" / "tags.yaml").symlink_to(elsewhere / "tags.yaml")
    file_link = run(shop, "export", "--sandbox", "--out", str(out), "--force")
    assert file_link.exit_code == 1, file_link.output
    assert "tags.yaml is a symbolic link" in file_link.stderr
    assert (elsewhere / "precious.yaml").read_text() == "keep: me\n"
    assert (elsewhere / "tags.yaml").read_text() == "keep: me too\n"
