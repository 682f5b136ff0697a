"""Parse once: an untemplated bundle file is parsed once per run, and a templated file's renders
that are the same text are parsed once, however many locations use them."""

from __future__ import annotations

from pathlib import Path

import pytest

import ghlops.manifest.loader
from ghlops.manifest.loader import load_all
from ghlops.manifest.project import load_project


def test_each_distinct_text_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bundles" / "base").mkdir(parents=True)
    (tmp_path / "bundles" / "base" / "plain.yaml").write_text("tags: [{name: vip}]\n")
    (tmp_path / "bundles" / "base" / "city.yaml").write_text(
        "customValues:\n  - {name: City, value: '{{ vars.city }}'}\n"
    )
    locations = "".join(
        f"  - name: loc{i}\n    id: Pars3OnceL0cat10n{i:03d}\n    vars: {{city: {city}}}\n"
        for i, city in enumerate(["Springfield", "Springfield", "Shelbyville", "Springfield"])
    )
    (tmp_path / "ghlops.yaml").write_text(
        f"version: 1\ndefaults:\n  bundles: [bundles/base]\nlocations:\n{locations}"
    )
    parsed: list[str] = []
    real = ghlops.manifest.loader.parse_yaml

    def counting(text: str, *args: object, **kwargs: object) -> object:
        parsed.append(text)
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ghlops.manifest.loader, "parse_yaml", counting)
    states = load_all(load_project(tmp_path))

    assert len(parsed) == 3  # plain.yaml once; city.yaml once per distinct render (2 cities)
    assert [s.items["customValues"][0].fields["value"] for s in states] == [
        "Springfield",
        "Springfield",
        "Shelbyville",
        "Springfield",
    ]
    assert all(s.items["tags"][0].key == "vip" for s in states)
