"""Snapshots: the whole World as JSON (GET/PUT /_mock/state) and the `--state-file` autosaver.

A snapshot holds everything a restarted emulator needs so that clients notice nothing: users and
credits, tokens, sessions with their drafts, renders, claims, the mint log (rate limits), id
counters, fault rules with their counters, the clock (now, time_scale) and the seed. The journal is
not part of it (it is a log, not state).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from nemo_mock.server.model import Claim, Render, Session, Token, User, dump, load
from nemo_mock.server.world import World, render_key

FORMAT = "nemo-mock-state/1"
DEBOUNCE_SECONDS = 0.5  # real seconds: at most two saves a second


class SnapshotError(ValueError):
    """A snapshot cannot be restored (wrong format, or a malformed entity)."""


def dump_world(world: World) -> dict[str, Any]:
    """The World's state as JSON-able data."""
    return {
        "format": FORMAT,
        "seed": world.settings.seed,
        "clock": world.clock.state(),
        "ids": dict(world.ids.counts),
        "users": [dump(u) for u in world.users.values()],
        "tokens": [dump(t) for t in world.tokens.values()],
        "sessions": [dump(s) for s in world.sessions.values()],
        "renders": [dump(r) for r in world.renders.values()],
        "claims": [dump(c) for c in world.claims.values()],
        "mints": [list(m) for m in world.mints],
        "faults": world.faults.dump(),
    }


def restore_world(world: World, data: Any) -> None:
    """Replace the World's state by a snapshot (settings other than the seed are kept)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot: `format` must be {FORMAT!r}")
    try:
        users = {u.id: u for u in (load(User, x) for x in data.get("users", []))}
        tokens = {t.value: t for t in (load(Token, x) for x in data.get("tokens", []))}
        sessions = {s.id: s for s in (load(Session, x) for x in data.get("sessions", []))}
        renders = {
            render_key(r.user_id, r.id): r
            for r in (load(Render, x) for x in data.get("renders", []))
        }
        claims = {c.value: c for c in (load(Claim, x) for x in data.get("claims", []))}
        mints = deque((str(ip), float(t)) for ip, t in data.get("mints", []))
        clock = data.get("clock") or world.clock.state()
        now, scale = float(clock["now"]), float(clock.get("time_scale", world.clock.time_scale))
        seed = int(data.get("seed", world.settings.seed))
        ids = Counter({str(k): int(v) for k, v in (data.get("ids") or {}).items()})
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise SnapshotError(f"malformed snapshot: {exc}") from exc
    if seed != world.settings.seed or scale != world.settings.time_scale:
        world.settings = world.settings.merged({"seed": seed, "time_scale": scale})
    world.reset()
    world.users, world.tokens, world.sessions = users, tokens, sessions
    world.renders, world.claims, world.mints = renders, claims, mints
    world.ids.counts = ids
    faults = data.get("faults")
    if faults:
        world.faults.load(faults)
    world.clock.restore(now, scale)


def write_atomic(path: str | Path, data: dict[str, Any]) -> None:
    """Write JSON to `path` through a temporary file and os.replace (never a half-written file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_file(path: str | Path) -> dict[str, Any] | None:
    """A snapshot file's content, or None when there is no file yet."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise SnapshotError(f"state file {path} is not JSON: {exc}") from exc
    return data


class Autosaver:
    """Saves the World to `path` after changes (debounced) and on shutdown."""

    def __init__(self, world: World, path: str | Path) -> None:
        self.world = world
        self.path = Path(path)
        self.saves = 0
        self._handle: asyncio.TimerHandle | None = None
        self._last = 0.0

    def restore(self) -> bool:
        """Load the file into the World when it exists; True when it did."""
        data = read_file(self.path)
        if data is None:
            return False
        restore_world(self.world, data)
        return True

    def save(self) -> None:
        """Save now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        write_atomic(self.path, dump_world(self.world))
        self._last = time.monotonic()
        self.saves += 1

    def touch(self) -> None:
        """Something may have changed: save within DEBOUNCE_SECONDS (call from the event loop)."""
        if self._handle is not None:
            return
        wait = max(0.0, self._last + DEBOUNCE_SECONDS - time.monotonic())
        self._handle = asyncio.get_running_loop().call_later(wait, self.save)


def autosaver_of(world: World) -> Autosaver | None:
    """The World's autosaver (set by `attach`), if any."""
    return world.runtime.autosaver


def attach(world: World, path: str | Path) -> Autosaver:
    """Give the World an autosaver for `path`, restoring the file's state when it exists."""
    saver = autosaver_of(world)
    if saver is None or saver.path != Path(path):
        saver = Autosaver(world, path)
        saver.restore()
        world.runtime.autosaver = saver
    return saver
