"""The change tracker between the World and a store: write-through, reads never leave memory.

The World keeps its dicts (users, tokens, sessions, renders, claims) and the mint log as before;
with a store they are `KeptDict`/`KeptDeque`s that note every insert and delete, and each entity
they hold becomes an instance of a tracked subclass of its class that notes its own attribute
changes (so with the memory store an attribute change costs exactly what it did before).
`flush()` writes what changed as one batch: the entities, and the meta rows (clock, id counters,
mint log, fault rules with counters, seed) when they differ from what was last written. The
store middleware (`attach.py`) flushes before a response starts and before every body chunk, so
nothing a client was told is lost by a crash; changes made off a request (a turn whose client
left) are flushed on the next loop iteration.

Soft changes — a session's `last_active`, touched by every poll — are written at most once a
second, not before the response: a crash loses at most a second of idle-timer progress, never a
write a client made. Persisting each poll would put a disk write on the polled-read path.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nemo_mock.server.model import dump
from nemo_mock.server.stores.base import Row, Store

if TYPE_CHECKING:
    from nemo_mock.server.world import World


def anchor_row(world: World) -> dict[str, float]:
    """The clock as (virtual now, wall time, scale): another process derives the same now."""
    return {"now": world.clock.now(), "wall": time.time(), "time_scale": world.clock.time_scale}


def settings_row(settings: Any) -> dict[str, Any]:
    """The settings every process of a shared world runs with (not where each one listens,
    its files or its admin token)."""
    data = dataclasses.asdict(settings)
    return {k: v for k, v in data.items() if k not in LOCAL_SETTINGS}


#: settings each process of a shared world keeps for itself
LOCAL_SETTINGS = frozenset({"host", "port", "store", "state_file", "admin_token", "access_log"})

#: World attribute -> store kind of the entity tables it holds
TABLES = {
    "users": "user",
    "tokens": "token",
    "sessions": "session",
    "renders": "render",
    "claims": "claim",
}
SOFT_FIELDS = frozenset({"last_active"})
SOFT_DELAY = 1.0  # real seconds between writes of soft changes
Batch = tuple[list[Row], list[tuple[str, str]], list[str]]  # puts, deletes, cleared kinds


class _Handle:
    """What a kept entity carries (`_kept`): where it lives, and whom to tell about changes."""

    __slots__ = ("kept", "key", "kind", "live")

    def __init__(self, kept: Kept, kind: str, key: str) -> None:
        self.kept, self.kind, self.key = kept, kind, key
        self.live = True  # False once the entity left its table: its changes are no one's

    def changed(self, entity: Any, name: str) -> None:
        if not self.live:
            return
        if name in SOFT_FIELDS:
            self.kept.mark_soft(self.kind, self.key, entity)
        else:
            self.kept.mark(self.kind, self.key, entity)


class KeptDict(dict[str, Any]):
    """A World table that tells the tracker about inserts and deletes."""

    def __init__(self, kept: Kept, kind: str, items: dict[str, Any]) -> None:
        super().__init__(items)
        self._kept_by, self._kind = kept, kind

    def __setitem__(self, key: str, value: Any) -> None:
        old = self.get(key)
        if old is not None and old is not value:
            release(old)
        super().__setitem__(key, value)
        self._kept_by.adopt(self._kind, key, value)
        self._kept_by.mark(self._kind, key, value)

    def __delitem__(self, key: str) -> None:
        release(self[key])
        super().__delitem__(key)
        self._kept_by.mark(self._kind, key, None)

    def pop(self, key: str, *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        value = super().pop(key)
        release(value)
        self._kept_by.mark(self._kind, key, None)
        return value

    def clear(self) -> None:
        for key, value in self.items():
            release(value)
            self._kept_by.mark(self._kind, key, None)
        super().clear()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self) -> tuple[str, Any]:
        key, value = super().popitem()
        release(value)
        self._kept_by.mark(self._kind, key, None)
        return key, value


def release(entity: Any) -> None:
    """`entity` left its table: later changes to it are not written under its old key."""
    handle = getattr(entity, "_kept", None)
    if isinstance(handle, _Handle):
        handle.live = False


class KeptDeque(deque[tuple[str, float]]):
    """The mint log (ip, virtual time): appends and expiries mark it for the next flush."""

    def __init__(self, kept: Kept, items: Iterable[tuple[str, float]]) -> None:
        super().__init__(items)
        self._kept_by = kept

    def append(self, item: tuple[str, float]) -> None:
        super().append(item)
        self._kept_by.mark_meta("mints")

    def popleft(self) -> tuple[str, float]:
        item = super().popleft()
        self._kept_by.mark_meta("mints")
        return item


class Kept:
    """Tracks one World's changes and writes them to `store` in batches."""

    def __init__(self, world: World, store: Store) -> None:
        self.world, self.store = world, store
        self.writes = 0  # batches written (tests and the bench read it)
        self.closed = False  # the store was closed (shutdown): changes are no longer written
        self._dirty: dict[tuple[str, str], Any] = {}
        self._soft: dict[tuple[str, str], Any] = {}
        self._clear: set[str] = set()
        self._meta: set[str] = set()
        self._last: dict[str, Any] = {}
        self._scheduled = False
        self._soft_scheduled = False
        # a shared store (redis) commits at the end of each locked section: no flush between
        self.deferred = False
        self.shared = bool(getattr(store, "shared", False))

    # -- what the World calls --------------------------------------------------------------
    def table(self, name: str, value: Any) -> Any:
        """Wrap a table assigned to the World; the old rows of its kind are replaced."""
        if name == "mints":
            self.mark_meta("mints")
            return value if isinstance(value, KeptDeque) else KeptDeque(self, value)
        kind = TABLES[name]
        if isinstance(value, KeptDict) and value._kept_by is self:
            return value
        previous = self.world.__dict__.get(name)
        if isinstance(previous, KeptDict):  # a reset or restore: the old entities are no one's
            for entity in previous.values():
                release(entity)
        wrapped = KeptDict(self, kind, dict(value))
        self._clear.add(kind)
        self._dirty = {k: v for k, v in self._dirty.items() if k[0] != kind}
        self._soft = {k: v for k, v in self._soft.items() if k[0] != kind}
        for key, entity in wrapped.items():
            self.adopt(kind, key, entity)
            self.mark(kind, key, entity)
        return wrapped

    def adopt(self, kind: str, key: str, entity: Any) -> None:
        """Let `entity` report its own attribute changes."""
        object.__setattr__(entity, "_kept", _Handle(self, kind, key))
        object.__setattr__(entity, "__class__", tracked_class(entity.__class__))

    def mark(self, kind: str, key: str, entity: Any) -> None:
        """`entity` (None: deleted) must be written by the next flush."""
        self._dirty[(kind, key)] = entity
        self._soft.pop((kind, key), None)
        self._schedule()

    def mark_soft(self, kind: str, key: str, entity: Any) -> None:
        """A soft change: written within SOFT_DELAY, or with the next hard change."""
        if (kind, key) in self._dirty:
            return
        self._soft[(kind, key)] = entity
        if not self._soft_scheduled:
            loop = _running_loop()
            if loop is not None:
                self._soft_scheduled = True
                loop.call_later(SOFT_DELAY, self._flush_soft)

    def mark_meta(self, name: str) -> None:
        """A meta row (e.g. `mints`) must be written by the next flush."""
        self._meta.add(name)
        self._schedule()

    # -- writing ---------------------------------------------------------------------------
    def pending(self) -> bool:
        """Something is waiting to be written (cheap: called before every response)."""
        return bool(self._dirty or self._meta or self._clear) or self._meta_changed()

    def flush(self, soft: bool = False) -> bool:
        """Write what changed as one batch; True when a batch was written."""
        batch = self.collect(soft)
        if batch is None:
            return False
        self.store.write(*batch)
        return True

    def collect(self, soft: bool = False) -> Batch | None:
        """What changed as one batch (puts, deletes, cleared kinds), now counted as written;
        None when nothing changed (`soft`: the soft changes count too)."""
        self._scheduled = False
        if self.closed:
            return None
        meta = self._meta_rows()
        if not (self._dirty or self._clear or meta or (soft and self._soft)):
            return None
        changes = dict(self._soft) if soft else {}
        changes.update(self._dirty)
        puts: list[Row] = [
            (kind, key, dump(entity)) for (kind, key), entity in changes.items() if entity
        ]
        deletes = [(kind, key) for (kind, key), entity in changes.items() if entity is None]
        puts.extend(("meta", name, value) for name, value in meta.items())
        clear = sorted(self._clear)
        self._dirty, self._clear, self._meta = {}, set(), set()
        if soft:
            self._soft = {}
        else:
            for k in changes:
                self._soft.pop(k, None)
        self.writes += 1
        return puts, deletes, clear

    def dirty_keys(self) -> set[tuple[str, str]]:
        """The entity rows changed here and not yet written (hard and soft)."""
        return {*self._dirty, *self._soft}

    def _flush_soft(self) -> None:
        self._soft_scheduled = False
        self.flush(soft=True)

    def _schedule(self) -> None:
        if self._scheduled or self.deferred:
            return
        loop = _running_loop()
        if loop is not None:
            self._scheduled = True
            loop.call_soon(self.flush)

    # -- meta rows -------------------------------------------------------------------------
    def _meta_values(self) -> dict[str, Any]:
        w = self.world
        values: dict[str, Any] = {
            "seed": w.settings.seed,
            "clock": w.clock.signature(),
            "ids": sum(w.ids.counts.values()),
            "faults": json.dumps(w.faults.dump(), sort_keys=True) if len(w.faults) else "",
        }
        if self.shared:  # every process of a shared world runs with the same settings
            values["settings"] = w.settings
        return values

    def _meta_changed(self) -> bool:
        return self._meta_values() != self._last.get("_signature")

    def _meta_rows(self) -> dict[str, Any]:
        """The meta rows to write: those marked and those whose signature moved."""
        w = self.world
        sig = self._meta_values()
        old = self._last.get("_signature") or {}
        names = set(self._meta) | {k for k in sig if sig[k] != old.get(k)}
        if self._clear:
            names |= set(sig) | {"mints"}
        rows: dict[str, Any] = {}
        for name in names:
            if name == "clock":
                rows["clock"] = w.clock.state()
                if self.shared:
                    rows["anchor"] = anchor_row(w)
            elif name == "settings":
                rows["settings"] = settings_row(w.settings)
            elif name == "ids":
                rows["ids"] = dict(w.ids.counts)
            elif name == "faults":
                rows["faults"] = w.faults.dump()
            elif name == "mints":
                rows["mints"] = [list(m) for m in w.mints]
            elif name == "seed":
                rows["seed"] = w.settings.seed
        self._last["_signature"] = sig
        return rows

    def settle_meta(self) -> None:
        """The meta rows equal what is stored (after applying another process's batch)."""
        self._last["_signature"] = self._meta_values()

    def settle(self) -> None:
        """Forget pending work without writing (after loading: memory equals the store)."""
        self._dirty, self._soft, self._clear, self._meta = {}, {}, set(), set()
        self._last["_signature"] = self._meta_values()


@functools.cache
def tracked_class(cls: Any) -> Any:
    """`cls` with a `__setattr__` that reports each change to the entity's `_kept` handle."""
    if getattr(cls, "_is_tracked", False):
        return cls

    def __setattr__(self: Any, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        self._kept.changed(self, name)

    def __eq__(self: Any, other: Any) -> Any:  # a kept entity equals its plain twin
        if not isinstance(other, cls):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in cls.__dataclass_fields__)

    namespace = {"__setattr__": __setattr__, "__eq__": __eq__, "_is_tracked": True}
    namespace.update(__module__=cls.__module__, __qualname__=cls.__qualname__)
    return type(cls.__name__, (cls,), namespace)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
