"""The emulator's streams on sse-starlette: measured by `python -m bench sse`, not shipped.

`install()` (run in the emulator process through the sse bench's prelude) replaces the response
/run_sse returns by sse-starlette's EventSourceResponse fed from the same Pipe: its ping off
(`ping=0`), our heartbeats forwarded as the comment bytes the turn engine writes, truncation as a
raw byte cut (EventSourceResponse sends bytes as they are), `on_end` told why the stream ended.
Everything else (turns, heartbeat timing, the exchange layer) is the emulator's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from sse_starlette import EventSourceResponse

from nemo_mock.server.sse import Pipe, heartbeats, truncated

PRELUDE = "import bench.sse_starlette_engine as e; e.install()"


def _cut(chunks: list[bytes], left: int) -> tuple[list[bytes], int, bool]:
    out: list[bytes] = []
    for chunk in chunks:
        if chunk in heartbeats():
            out.append(chunk)
            continue
        if left <= 0:
            out.append(truncated(chunk))
            return out, left, True
        left -= 1
        out.append(chunk)
    return out, left, False


def sse_starlette_response(
    pipe: Pipe,
    *,
    truncate_after: int | None = None,
    on_end: Callable[[str], None] | None = None,
) -> Any:
    """An EventSourceResponse forwarding `pipe` as SseResponse does."""
    reason = ["client_gone"]  # unless the body ends by itself

    async def body() -> AsyncIterator[bytes]:
        left = truncate_after
        try:
            while chunks := await pipe.get():
                if left is not None:
                    chunks, left, cut = _cut(chunks, left)
                    if cut:
                        reason[0] = "truncated"
                        yield b"".join(chunks)
                        return
                yield b"".join(chunks)
            reason[0] = "client_gone" if pipe.detached else "closed"
        finally:
            pipe.detach()

    async def ended() -> None:
        if on_end is not None:
            on_end(reason[0])

    from starlette.background import BackgroundTask

    return EventSourceResponse(
        body(),
        ping=0,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(ended),
    )


def install() -> None:
    """Make /run_sse answer with sse_starlette_response (this process only)."""
    from nemo_mock.server.routes import agent

    agent.SseResponse = sse_starlette_response  # type: ignore[assignment,misc]
