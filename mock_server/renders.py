"""The render job's lifecycle as pure functions of virtual time, and its MP4.

pending -> processing -> completed | failed [v1.9]; completes 30-90 s after submission [seeds];
progress is 0..1 and never decreases because it is computed from a clock that never goes back.
The MP4 (mock_server/media.py) is drawn the first time a completed job is read, in a worker
thread, and cached by content: `output.size` is the drawn file's size, `output.duration` its length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import anyio.to_thread

from nemo_mock.server.media import MediaCache, Spec, spec_for
from nemo_mock.server.model import Render
from nemo_mock.server.settings import Settings
from nemo_mock.server.world import World


def four_places(fraction: float) -> float:
    """`fraction` (0..1) to 4 decimal places, half up, as the poll reports progress. round(x, 4)
    gives the same value save at exact halves, through a decimal conversion (dtoa) many times
    the cost: this runs on every poll of a job in progress. Never decreasing in `fraction`."""
    return math.floor(fraction * 10_000 + 0.5) / 10_000


def status_at(render: Render, now: float) -> tuple[str, float]:
    """(status, progress) of `render` at virtual time `now`."""
    # comparisons rather than min() and max(): this runs on every poll, and a builtin call
    # costs more than the arithmetic around it
    elapsed = now - render.submitted_at
    pending = render.pending_seconds
    if elapsed < pending:
        return "pending", 0.0
    work = render.duration - pending
    if work < 1e-9:  # a job with no processing phase
        work = 1e-9
    fraction = (elapsed - pending) / work
    if fraction > 1.0:
        fraction = 1.0
    if render.stalled:
        return "processing", four_places(fraction if fraction < 0.5 else 0.5)
    if render.fails and fraction >= render.fail_fraction:
        return "failed", four_places(render.fail_fraction)
    if fraction >= 1.0:
        return "completed", 1.0
    return "processing", four_places(fraction)


def spec_of(render: Render, settings: Settings) -> Spec:
    """What `render`'s MP4 shows (a plain clip of its length for jobs kept without a spec)."""
    if render.media:
        return Spec.from_dict(render.media)
    plain = {"d": render.draft_ms, "t": [{"tt": 0, "sg": [{"st": 0, "d": render.draft_ms}]}]}
    return spec_for(plain, {}, settings)


def cache_of(world: World) -> MediaCache:
    """The World's media cache (per process, never snapshotted; made on first use)."""
    if world.runtime.media is None:
        world.runtime.media = MediaCache(world.settings.render_cache_dir)
    return world.runtime.media


def spec_cached(world: World, render: Render) -> Spec:
    """`spec_of`, parsed once per job (a job's spec never changes once submitted)."""
    cache = cache_of(world)
    hit = cache.specs.get(id(render))
    if hit is not None and hit[0] is render:
        spec: Spec = hit[1]
        return spec
    spec = spec_of(render, world.settings)
    if render.media:  # a job kept without a spec follows the settings: not cached
        cache.specs[id(render)] = (render, spec)
    return spec


def media_ready(world: World, render: Render) -> Path | None:
    """The drawn MP4 of `render`, or None when it is not drawn yet (never blocks)."""
    return cache_of(world).ready(spec_cached(world, render))


async def media_path(world: World, render: Render) -> Path:
    """The MP4 of `render`, drawn in a worker thread when needed (the event loop keeps going)."""
    return (await media_drawn(world, render))[0]


async def media_drawn(world: World, render: Render) -> tuple[Path, int]:
    """(MP4, its size in bytes) of `render`, drawn in a worker thread when needed."""
    spec = spec_cached(world, render)
    cache = cache_of(world)
    drawn = cache.drawn(spec)
    if drawn is None:
        await anyio.to_thread.run_sync(cache.ensure, spec)
        drawn = cache.drawn(spec)
        if drawn is None:  # drawn, then removed by someone else: draw it again next time
            raise FileNotFoundError(cache.path(spec))
    return drawn


def completed_view(world: World, render: Render, base_url: str) -> dict[str, Any] | None:
    """The poll answer of a completed `render` whose MP4 is drawn (None until it is), made once
    per job and base URL: a completed job stays completed and its URL, size and length never
    change. The answer is shared: callers must not change it. A job kept without a spec follows
    the settings, so its answer is made each time."""
    cache = cache_of(world)
    hit = cache.outputs.get(id(render))
    if hit is not None and hit[0] is render and hit[1] == base_url:
        known: dict[str, Any] = hit[2]
        return known
    spec = spec_cached(world, render)
    drawn = cache.drawn(spec)
    if drawn is None:
        return None
    output = {
        "url": f"{base_url}/media/renders/{render.media_name}",
        "size": drawn[1],
        "duration": round(spec.seconds, 3),
    }
    done = _view(render, "completed", 1.0, output)
    if render.media:
        if hit is not None:  # another base URL: forget the answer it replaces
            cache.bodies.pop(id(hit[2]), None)
        cache.outputs[id(render)] = (render, base_url, done)
        cache.bodies[id(done)] = (done, {})
    return done


def encoded(
    world: World,
    view: dict[str, Any],
    encode: Callable[[Settings, dict[str, Any]], bytes],
) -> bytes:
    """`encode(settings, view)`, kept per answer shape (the setting render_status_shape) when
    `view` is a kept completed answer (completed_view): a completed job's poll body is encoded
    once per shape."""
    settings = world.settings
    hit = cache_of(world).bodies.get(id(view))
    if hit is None or hit[0] is not view:
        return encode(settings, view)
    shape = settings.render_status_shape
    body = hit[1].get(shape)
    if body is None:
        body = hit[1][shape] = encode(settings, view)
    return body


def view(
    world: World, render: Render, base_url: Callable[[], str]
) -> dict[str, Any] | Coroutine[Any, Any, dict[str, Any]]:
    """The job now, as GET /api/render/proxy/lambda/{id} answers it, or, when it completed and
    its MP4 is not drawn yet, a coroutine that draws it first (off the event loop) and gives the
    view: `output` reports the drawn file's size and length. `base_url()` is asked only when the
    job completed."""
    status, progress = status_at(render, world.clock.now())
    if status != "completed":
        return _view(render, status, progress, None)
    url = base_url()
    done = completed_view(world, render, url)
    if done is None:
        return _drawn_view(world, render, url)
    return done


async def _drawn_view(world: World, render: Render, url: str) -> dict[str, Any]:
    await media_drawn(world, render)
    done = completed_view(world, render, url)
    if done is None:
        raise FileNotFoundError(cache_of(world).path(spec_cached(world, render)))
    return done


def _view(
    render: Render, status: str, progress: float, output: dict[str, Any] | None
) -> dict[str, Any]:
    error = (
        "Render failed on the GPU node; submit again with a new id." if status == "failed" else None
    )
    return {
        "id": render.id,
        "status": status,
        "progress": progress,
        "output": output,
        "error": error,
    }
