"""Apply a change batch committed by another process to this process's World, in place.

Entities are updated where they live (a running turn holding a session sees the new draft), new
ones are adopted by the change tracker, removed ones are released; nothing applied here is marked
for writing again. Meta rows: the clock (by its wall-clock anchor, so every process agrees on
virtual time), id counters, the mint log, fault rules with their counters, and the settings.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, deque
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from nemo_mock.server.model import Claim, Render, Session, Token, User, load
from nemo_mock.server.stores.kept import SOFT_FIELDS, release, settings_row

if TYPE_CHECKING:
    from nemo_mock.server.stores.kept import Kept
    from nemo_mock.server.world import World

#: store kind -> (World attribute, entity class)
ENTITIES: dict[str, tuple[str, type[Any]]] = {
    "user": ("users", User),
    "token": ("tokens", Token),
    "session": ("sessions", Session),
    "render": ("renders", Render),
    "claim": ("claims", Claim),
}


def apply_batch(
    world: World, kept: Kept, batch: dict[str, Any], skip: Collection[tuple[str, str]] = ()
) -> None:
    """Apply one batch (`c` cleared kinds, `d` deletes, `p` puts); rows in `skip` (this
    process changed them and will write them) are left as they are."""
    for kind in batch.get("c", ()):
        if kind in ENTITIES:
            table = getattr(world, ENTITIES[kind][0])
            for entity in table.values():
                release(entity)
            dict.clear(table)
    for kind, key in batch.get("d", ()):
        if kind in ENTITIES and (kind, key) not in skip:
            table = getattr(world, ENTITIES[kind][0])
            old = table.get(key)
            if old is not None:
                release(old)
                dict.__delitem__(table, key)
    meta: dict[str, Any] = {}
    for kind, key, value in batch.get("p", ()):
        if kind == "meta":
            meta[key] = value
        elif kind in ENTITIES and (kind, key) not in skip:
            _put(world, kept, kind, key, value)
    if meta:
        apply_meta(world, meta)


def _put(world: World, kept: Kept, kind: str, key: str, value: dict[str, Any]) -> None:
    attr, cls = ENTITIES[kind]
    table = getattr(world, attr)
    fresh = load(cls, value)
    old = table.get(key)
    if old is None:
        dict.__setitem__(table, key, fresh)
        kept.adopt(kind, key, fresh)
        return
    for field in dataclasses.fields(cls):
        new = getattr(fresh, field.name)
        if field.name in SOFT_FIELDS:  # written lazily by every process: the latest wins
            new = max(new, getattr(old, field.name))
        object.__setattr__(old, field.name, new)


def apply_meta(world: World, meta: dict[str, Any]) -> None:
    """Apply meta rows (settings first: a new seed or journal bound comes with them)."""
    if "settings" in meta and meta["settings"] != settings_row(world.settings):
        world.configure(world.settings.merged(meta["settings"]))
        world.ids.seed = world.settings.seed
    if "anchor" in meta:
        a = meta["anchor"]
        scale = float(a["time_scale"])
        world.clock.restore(float(a["now"]) + (time.time() - float(a["wall"])) * scale, scale)
    if "ids" in meta:
        world.ids.counts = Counter({str(k): int(v) for k, v in meta["ids"].items()})
    if "mints" in meta:
        mints = world.mints
        deque.clear(mints)
        deque.extend(mints, ((str(ip), float(t)) for ip, t in meta["mints"]))
    if "faults" in meta:
        world.faults.load(meta["faults"] or {"rules": []})
