"""Run the emulator for real: uvicorn on loopback, in this thread (serve) or a background thread.

`LiveServer` is what tests, the pytest plugin, the scenario runner and the benchmarks use: port 0
(a free port), a bounded graceful shutdown so open streams never hang a stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import logging
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from nemo_mock.server import guarded_http
from nemo_mock.server.app import create_app
from nemo_mock.server.journal import redact_query
from nemo_mock.server.settings import Settings
from nemo_mock.server.world import World

T = TypeVar("T")


def uvicorn_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The fast configuration: uvloop and httptools when installed, no access log by default.

    Proxy headers are trusted only from `forwarded_allow_ips` (uvicorn trusts 127.0.0.1 by
    default, which let any local client pick its own address for the per-IP mint limit); request
    heads are bounded in bytes and in time (guarded_http.py; with h11 only in bytes).
    """
    fast = importlib.util.find_spec("uvloop") is not None
    httptools = importlib.util.find_spec("httptools") is not None
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop" if fast else "asyncio",
        "http": guarded_http.protocol_class(settings.header_timeout) if httptools else "h11",
        "h11_max_incomplete_event_size": guarded_http.MAX_HEADER_BYTES,
        "proxy_headers": settings.forwarded_allow_ips is not None,
        "forwarded_allow_ips": settings.forwarded_allow_ips or "",
        "access_log": settings.access_log,
        "log_level": "info" if settings.access_log else "warning",
        "lifespan": "off",
        "timeout_graceful_shutdown": 2,
        "timeout_keep_alive": 30,
        "backlog": 4096,
    }
    options.update(overrides)
    config = uvicorn.Config(app, **options)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _RedactClaims) for f in access.filters):
        access.addFilter(_RedactClaims())
    return config


class _RedactClaims(logging.Filter):
    """The access log shows claim tokens (`?ct=`) as fingerprints, as the journal does."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 2 and "ct=" in str(args[2]):
            path, _, query = str(args[2]).partition("?")
            record.args = (
                *args[:2],
                f"{path}?{redact_query(query.encode('latin-1', 'replace'))}",
                *args[3:],
            )
        return True


class UvicornServer(uvicorn.Server):
    """uvicorn's server that reports its bound URL once it listens and runs `on_stop` in its own
    event loop once it has shut down (a client the app holds lives in that loop)."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_ready: Callable[[str], None] | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(config)
        self._on_ready = on_ready
        self._on_stop = on_stop
        self.url = ""
        self.tune_gc = False
        self.loop: asyncio.AbstractEventLoop | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM both stop the server gracefully, and neither is re-raised after:
        uvicorn re-raises a captured SIGTERM, which killed the process before the final save."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: Any = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets)
        if self.tune_gc:
            # Thousands of open streams are millions of objects: full collections paused the
            # loop past 1 s at 5,000-6,000 streams (bench/sse); objects alive after start-up
            # are frozen out of collection and the young generation is collected less often.
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 20)
        if self.servers:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            self.url = f"http://{host}:{port}"
            if self._on_ready is not None:
                self._on_ready(self.url)

    async def shutdown(self, sockets: Any = None) -> None:
        await super().shutdown(sockets)
        if self._on_stop is not None:
            await self._on_stop()


class BackgroundServer:
    """A UvicornServer in a background thread: `start` waits until it listens, `stop` ends it
    (open streams get the graceful-shutdown timeout, then are cancelled)."""

    def __init__(
        self,
        config: uvicorn.Config,
        on_stop: Callable[[], Awaitable[None]] | None = None,
        name: str = "nemo-mock-live",
    ) -> None:
        self.server = UvicornServer(config, None, on_stop)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        """Start and wait until it listens; returns the base URL."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.url:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self._thread.name} did not start listening in time")
            time.sleep(0.01)
        return self.server.url

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop; True when the thread has ended."""
        self.server.should_exit = True
        if self._thread.ident is None:  # never started
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(timeout)
        return not self._thread.is_alive()


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one (each stream is a socket); the new soft.

    Many systems start processes at 1,024 descriptors: fewer than the streams a load test opens.
    """
    try:
        import resource
    except ImportError:  # not on this platform (Windows)
        return -1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
    return hard


def serve(
    settings: Settings,
    world: World | None = None,
    on_ready: Callable[[str], None] | None = None,
    sockets: list[socket.socket] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C / SIGTERM (uvicorn stops gracefully, bounded);
    on `sockets` already listening when given (a worker of `serve --workers N`)."""
    raise_open_file_limit()  # a process of its own: thousands of streams need descriptors
    world = world or World(settings)
    server = UvicornServer(uvicorn_config(create_app(settings, world), settings), on_ready)
    server.tune_gc = True  # a process of its own: safe to tune the collector
    try:
        server.run(sockets=sockets)
    finally:
        _save_state(world)


def _save_state(world: World) -> None:
    """With --state-file: the final save, so a restart loses nothing."""
    from nemo_mock.server.snapshot import autosaver_of
    from nemo_mock.server.stores import detach

    saver = autosaver_of(world)
    if saver is not None:
        saver.save()
    detach(world)


class LiveServer:
    """The emulator on 127.0.0.1 in a background thread; a context manager.

    >>> with LiveServer(Settings(seed=1, time_scale=600)) as live:
    ...     httpx.get(live.url + "/_mock/health")
    """

    def __init__(
        self,
        settings: Settings | None = None,
        world: World | None = None,
        app: Any = None,
        **uvicorn_options: Any,
    ) -> None:
        # always a free port on loopback: tests and runners never collide
        self.settings = (settings or Settings()).merged({"host": "127.0.0.1", "port": 0})
        self.world = world or World(self.settings)
        self.app = app if app is not None else create_app(self.settings, self.world)
        self.uvicorn_options = uvicorn_options  # e.g. http="h11" (uvicorn.Config's names)
        self._background: BackgroundServer | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> str:
        """Start and wait until it listens; returns the base URL."""
        config = uvicorn_config(
            self.app, self.settings, **{**self.uvicorn_options, "host": "127.0.0.1"}
        )
        self._background = BackgroundServer(config, name="nemo-mock-live")
        self.url = self._background.start(timeout)
        return self.url

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 30.0) -> T:
        """`fn(*args)` run on the server's event loop as one section of its world (with a
        shared store: one atomic change every process sees); its result. Code outside the
        server (a scenario runner) changes the World this way, never from its own thread."""
        loop = self._background.server.loop if self._background is not None else None
        if loop is None or not loop.is_running():
            return fn(*args)

        async def run() -> T:
            async with self.world.section():
                return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop (open streams get the graceful-shutdown timeout, then are cancelled)."""
        if self._background is not None and self._background.stop(timeout):
            _save_state(self.world)
        self._background = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
