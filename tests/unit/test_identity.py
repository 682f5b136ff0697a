"""Identity (ghlops/resources/base.py): one structured value per item, as matching, bundle
merging, policy globs and the applier use it; and the adapter base class's defaults."""

from __future__ import annotations

import pytest

from ghlops.resources import registry
from ghlops.resources.base import Ctx, DesiredItem, Identity, LiveItem

PRODUCT = Identity("products", ("slug:course", "name:Course"), "Course")
PRICE = Identity("prices", ("name:Lifetime access",), "Lifetime access", PRODUCT)


def test_the_key_is_the_most_specific_natural_key_or_the_name() -> None:
    assert PRODUCT.key == "slug:course"
    assert Identity("tags", (), "vip").key == "name:vip"


def test_a_nested_identity_is_labelled_and_globbed_with_its_parent() -> None:
    assert PRICE.label == "Course/Lifetime access"
    assert PRICE.glob_targets() == ("Course/Lifetime access", "Lifetime access")
    assert PRODUCT.label == "Course"
    assert PRODUCT.glob_targets() == ("Course",)


def test_identities_match_by_kind_and_a_shared_natural_key() -> None:
    assert PRODUCT.matches(Identity("products", ("name:Course",), "Course (old)"))
    assert not PRODUCT.matches(Identity("products", ("name:Other",), "Course"))
    assert not PRODUCT.matches(Identity("collections", ("slug:course",), "Course"))


def test_items_made_without_an_adapter_get_an_identity_from_their_key() -> None:
    desired = DesiredItem("tags", "vip", {"name": "vip"}, ("name:vip",))
    live = LiveItem("tags", "vip", "T1", {"name": "vip"}, ("name:vip",))
    assert desired.ident == Identity("tags", ("name:vip",), "vip")
    assert live.ident == Identity("tags", ("name:vip",), "vip")


def test_an_adapter_identifies_by_its_match_keys_unless_told_others() -> None:
    tags = registry.get("tags")
    assert tags.identify({"name": "vip"}) == Identity("tags", ("name:vip",), "vip")
    assert tags.identify({"name": "vip"}, PRODUCT, keys=["id:1"]) == Identity(
        "tags", ("id:1",), "vip", PRODUCT
    )
    assert tags.name_of({}) == ""


def test_the_adapter_defaults_refuse_what_a_kind_cannot_do() -> None:
    tags = registry.get("tags")

    class ReadOnlyTags(type(tags)):  # type: ignore[misc]
        writable = False

    assert tags.with_writes() is tags
    with pytest.raises(ValueError, match=r"^tags cannot be written through the API$"):
        ReadOnlyTags().with_writes()
    with pytest.raises(LookupError, match=r"^no id map to resolve tags 'vip'$"):
        Ctx(api=None, location_id="L1").id_of("tags", "vip")  # type: ignore[arg-type]
