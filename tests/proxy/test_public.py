"""nemo_mock.proxy re-exports a short, sorted __all__."""

from __future__ import annotations

import nemo_mock.proxy


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_importable() -> None:
    """__all__ is sorted (constants, classes, functions) and every name in it exists."""
    exported = nemo_mock.proxy.__all__
    assert exported == sorted(exported, key=_isort_key)
    assert all(hasattr(nemo_mock.proxy, n) for n in exported)
