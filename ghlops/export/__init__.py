"""``ghlops export``: live configuration back to bundle files, to adopt existing sub-accounts.

* :mod:`ghlops.export.single` reads locations (and the agency's custom menu links) and turns each
  live object into a manifest item, through its adapter's ``export_item``;
* :mod:`ghlops.export.common` splits several locations' items into a base bundle (what they
  share, with per-location variables where only a text differs) and per-location bundles;
* :mod:`ghlops.export.writer` writes YAML deterministically, as a person would;
* :mod:`ghlops.export.files` lays out the files (bundles, ``ghlops.yaml``) and writes them.
"""
