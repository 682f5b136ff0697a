"""Shared test helpers, imported as ``tests.helpers.<module>`` from any test folder (never
``from conftest import``, which only works when that folder's conftest was imported first)."""
