"""`memory`: rows in dicts, gone with the process (today's behaviour; the default)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from nemo_mock.server.stores.base import Row, check_kinds


class MemoryStore:
    """Rows in this process only; values are copied in and out like a real store would."""

    durable = False

    def __init__(self) -> None:
        self.url = "memory"
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, Any]] = {}

    def load(self) -> dict[str, dict[str, Any]]:
        """Every row: kind -> key -> value."""
        with self._lock:
            return {k: copy.deepcopy(v) for k, v in self._rows.items() if v}

    def write(
        self,
        puts: Iterable[Row] = (),
        deletes: Iterable[tuple[str, str]] = (),
        clear: Iterable[str] = (),
    ) -> None:
        """Apply one batch (clear, deletes, puts) under one lock."""
        puts, deletes, clear = list(puts), list(deletes), list(clear)
        check_kinds([*clear, *(k for k, _ in deletes), *(k for k, _, _ in puts)])
        with self._lock:
            for kind in clear:
                self._rows.pop(kind, None)
            for kind, key in deletes:
                self._rows.get(kind, {}).pop(key, None)
            for kind, key, value in puts:
                self._rows.setdefault(kind, {})[key] = copy.deepcopy(value)

    def close(self) -> None:
        """Nothing to release."""
