"""The baselines: bare Starlette and bare sse-starlette on the emulator's own uvicorn configuration.

    python -m bench.apps json [--access-log] [--asyncio-h11]   # constant credits envelope
    python -m bench.apps sse   # one comment ping per second per stream

Each binds 127.0.0.1:0 itself, prints `listening http://127.0.0.1:<port>` and serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator

import uvicorn
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench._proc import raise_fd_limit
from nemo_mock.server.serving import uvicorn_config
from nemo_mock.server.settings import Settings

CREDITS = b'{"code":0,"message":"success","data":{"available":100,"frozen":0,"total":100}}'
JSON_PATH = "/api/credits/balance/simple"


async def credits(request: Request) -> Response:
    return Response(CREDITS, media_type="application/json")


async def sink(request: Request) -> Response:
    """Read the body as it streams and drop it (the upload baseline)."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return Response(
        b'{"code":0,"message":"success","data":{"size":%d}}' % size, media_type="application/json"
    )


def json_app() -> Starlette:
    """Bare Starlette: a constant credits envelope (and POST /sink, a streaming byte sink)."""
    return Starlette(
        routes=[Route(JSON_PATH, credits, methods=["GET"]), Route("/sink", sink, methods=["POST"])]
    )


async def stream(request: Request) -> Response:
    async def nothing() -> AsyncIterator[dict[str, str]]:
        await asyncio.Event().wait()  # never an event: the stream only pings
        yield {"data": ""}

    return EventSourceResponse(nothing(), ping=1)


def sse_app() -> Starlette:
    """Bare sse-starlette: every stream gets a `: ping` comment each second, nothing else."""
    return Starlette(routes=[Route("/{path:path}", stream, methods=["GET", "POST"])])


def main(argv: list[str]) -> int:
    kind = argv[0] if argv else "json"
    raise_fd_limit()
    app = {"json": json_app, "sse": sse_app}[kind]()
    access_log = "--access-log" in argv
    settings = Settings(host="127.0.0.1", port=0, access_log=access_log)
    overrides = {"loop": "asyncio", "http": "h11"} if "--asyncio-h11" in argv else {}
    config = uvicorn_config(app, settings, **overrides)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(config.backlog)  # connections queue from now on, so the URL line means "ready"
    print(f"listening http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
