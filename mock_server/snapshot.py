"""Snapshots: the whole World as JSON (GET/PUT /_mock/state) and the `--state-file` autosaver.

A snapshot holds everything a restarted emulator needs so that clients notice nothing: users and
credits, tokens, sessions with their drafts, renders, claims, the mint log (rate limits), id
counters, fault rules with their counters, the clock (now, time_scale) and the seed. The journal is
not part of it (it is a log, not state).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from starlette.types import Scope

from nemo_mock.server import restore, strict_json
from nemo_mock.server.model import dump
from nemo_mock.server.restore import FORMAT, SnapshotError
from nemo_mock.server.world import World

__all__ = ["FORMAT", "Autosaver", "SnapshotError", "dump_world", "restore_world"]

log = logging.getLogger("nemo_mock")

# real seconds between the end of one save and the start of the next: at least MIN_GAP, and at
# least the last save's duration (so saving takes at most half the loop's time under load)
MIN_GAP_SECONDS = 0.1
CHUNK = 256  # entities serialized between two yields to the event loop (a few ms at most)
_KINDS = ("users", "tokens", "sessions", "renders", "claims")


def dump_world(world: World) -> dict[str, Any]:
    """The World's state as JSON-able data."""
    return {
        **_head(world),
        **{kind: [dump(x) for x in getattr(world, kind).values()] for kind in _KINDS},
        "mints": [list(m) for m in world.mints],
        "faults": world.faults.dump(),
    }


def _head(world: World) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seed": world.settings.seed,
        "clock": world.clock.state(),
        "ids": dict(world.ids.counts),
    }


def restore_world(world: World, data: Any) -> None:
    """Replace the World's state by a snapshot, validated in full first (SnapshotError)."""
    restore.apply(world, restore.parse(data))


def _entity(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)  # dataclasses natively, ~20x faster than asdict + json
    except TypeError:  # a value orjson refuses: the strict writer cleans it
        return strict_json.dumps(dump(obj) if dataclasses.is_dataclass(obj) else obj)


def _pieces(world: World) -> Iterator[bytes | None]:
    """The snapshot as JSON pieces; None marks a point where the event loop may run."""
    head = strict_json.dumps(_head(world))
    tail = strict_json.dumps(
        {"mints": [list(m) for m in world.mints], "faults": world.faults.dump()}
    )
    # the entity lists are taken at one instant, so references between them hold; an entity
    # changed while the save runs is written as it is when its chunk is serialized
    lists = [(kind, list(getattr(world, kind).values())) for kind in _KINDS]
    yield head[:-1]
    for kind, items in lists:
        yield b',"' + kind.encode() + b'":['
        for start in range(0, len(items), CHUNK):
            sep = b"," if start else b""
            yield sep + b",".join(_entity(x) for x in items[start : start + CHUNK])
            yield None
        yield b"]"
    yield b"," + tail[1:]


def snapshot_bytes(world: World) -> bytes:
    """The whole snapshot as strict JSON bytes (synchronously)."""
    return b"".join(p for p in _pieces(world) if p is not None)


async def snapshot_bytes_async(world: World) -> bytes:
    """The whole snapshot as strict JSON bytes, yielding to the event loop between chunks."""
    parts = []
    for piece in _pieces(world):
        if piece is None:
            await asyncio.sleep(0)
        else:
            parts.append(piece)
    return b"".join(parts)


def write_atomic(path: str | Path, data: dict[str, Any] | bytes) -> None:
    """Write JSON to `path` through a temporary file and os.replace (never a half-written file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data if isinstance(data, bytes) else strict_json.dumps(data)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stale_temp_files(path: str | Path) -> list[Path]:
    """Temporary files a killed process left next to `path`."""
    target = Path(path)
    if not target.parent.is_dir():
        return []
    return sorted(target.parent.glob(f".{target.name}.*.tmp"))


def read_file(path: str | Path) -> dict[str, Any] | None:
    """A snapshot file's content (validated), or None when there is no file yet."""
    if _read(path) is None:
        return None
    data: dict[str, Any] = strict_json.loads(Path(path).read_bytes())
    return data


def _read(path: str | Path) -> restore.Parsed | None:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"state file {path}: cannot read: {exc.strerror}") from exc
    try:
        return restore.parse_bytes(raw, f"state file {path}")
    except SnapshotError as exc:
        msg = str(exc)
        where = msg if msg.startswith("state file") else f"state file {path}: {msg}"
        raise SnapshotError(where) from exc


class Autosaver:
    """Saves the World to `path` after changes and on shutdown.

    A save starts max(MIN_GAP_SECONDS, last save's duration) after the previous one ended; it
    serializes the state in chunks of CHUNK entities on the event loop (yielding between chunks)
    and writes the file in a worker thread. So a change acknowledged at time t is on disk by
    t + 0.1 s + three save durations (the gap, the save in progress at t, then the one that
    includes it); bench/reliability.py measures it with kill -9.
    """

    def __init__(self, world: World, path: str | Path) -> None:
        self.world = world
        self.path = Path(path)
        self.saves = 0
        self.last_duration = 0.0
        self._dirty = False
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._last = 0.0

    def restore(self) -> bool:
        """Load the file into the World when it exists (SnapshotError, nothing changed, if bad)."""
        for tmp in stale_temp_files(self.path):
            tmp.unlink(missing_ok=True)
        parsed = _read(self.path)
        if parsed is None:
            return False
        restore.apply(self.world, parsed)
        return True

    @property
    def pending(self) -> bool:
        """A change is not on disk yet (or a save is running)."""
        return self._dirty or self._handle is not None or self._task is not None

    @property
    def saving(self) -> bool:
        """A save is serializing or writing right now."""
        return self._task is not None

    def save(self) -> None:
        """Save now, synchronously (shutdown, tests)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._dirty = False
        started = time.monotonic()
        write_atomic(self.path, snapshot_bytes(self.world))
        self._finish(started)

    def _finish(self, started: float) -> None:
        self._last = time.monotonic()
        self.last_duration = self._last - started
        self.saves += 1

    def touch(self) -> None:
        """Something may have changed: save soon (call from the event loop)."""
        self._dirty = True
        if self._handle is None and self._task is None:
            self._schedule()

    def _schedule(self) -> None:
        gap = max(MIN_GAP_SECONDS, self.last_duration)
        wait = max(0.0, self._last + gap - time.monotonic())
        self._handle = asyncio.get_running_loop().call_later(wait, self._start)

    def _start(self) -> None:
        self._handle = None
        self._task = asyncio.get_running_loop().create_task(self._save_async())

    async def _save_async(self) -> None:
        started = time.monotonic()
        self._dirty = False
        users = self.world.users
        try:
            data = await snapshot_bytes_async(self.world)
            if self.world.users is not users:  # a reset or restore ran meanwhile: save again
                self._dirty = True
            else:
                await asyncio.to_thread(write_atomic, self.path, data)
                self._finish(started)
        except OSError as exc:  # a full disk must not stop the server; the next change retries
            log.error("autosave to %s failed: %s", self.path, exc)
        finally:
            self._task = None
            if self._dirty:
                self._schedule()


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


def control_read(scope: Scope) -> bool:
    """A control-plane read (GET/HEAD under /_mock): it changes nothing, so no save."""
    return scope["method"] in ("GET", "HEAD") and scope["path"].startswith("/_mock/")
