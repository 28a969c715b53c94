"""The store interface: where the World's state is kept (DESIGN §4 "State").

The World owns the domain rules; a store only keeps rows and gives them back. A row is
(kind, key, value): kind is an entity table (`user`, `token`, `session`, `render`, `claim`) or
`meta` (the clock, id counters, the mint log, fault rules with their counters, the seed); value
is JSON-able. `write` applies one batch atomically and durably (for a durable store) before it
returns, so a response sent after it never announces a write that a crash could lose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

KINDS = ("user", "token", "session", "render", "claim", "meta")

Row = tuple[str, str, Any]  # (kind, key, JSON-able value)


class StoreError(ValueError):
    """A store URL that cannot be used (unknown scheme, missing path, server unreachable)."""


class Store(Protocol):
    """Keeps rows by (kind, key); every implementation passes tests/mock_server/stores/."""

    url: str
    durable: bool  # survives a restart of the emulator process

    def load(self) -> dict[str, dict[str, Any]]:
        """Every row: kind -> key -> value (kinds without rows are absent)."""
        ...

    def write(
        self,
        puts: Iterable[Row] = (),
        deletes: Iterable[tuple[str, str]] = (),
        clear: Iterable[str] = (),
    ) -> None:
        """In one atomic batch: empty the kinds in `clear`, delete `deletes`, then store `puts`."""
        ...

    def close(self) -> None:
        """Release connections and files (the rows stay, for a durable store)."""
        ...


def check_kinds(kinds: Iterable[str]) -> None:
    """Raise StoreError on a kind the store does not keep."""
    for kind in kinds:
        if kind not in KINDS:
            raise StoreError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")


def rows_by_kind(rows: Iterable[Row]) -> Mapping[str, dict[str, Any]]:
    """Group rows by kind (later rows win)."""
    out: dict[str, dict[str, Any]] = {}
    for kind, key, value in rows:
        out.setdefault(kind, {})[key] = value
    return out
