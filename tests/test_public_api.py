"""Each package re-exports a short, sorted __all__ (as httpx tests its own)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["contracts", "mock_server"])
def test_all_is_sorted_and_importable(name: str) -> None:
    """__all__ is sorted and every name in it exists."""
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported)
    assert all(hasattr(module, n) for n in exported)
