"""`nemo-mock serve`: run the emulator. `register` adds the subcommand to `nemo_mock.cli`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from nemo_mock.server.settings import Settings, SettingsError

SERVE_HELP = """\
Serve the nemo_agent API emulator on loopback (default http://127.0.0.1:8765).

Settings come from defaults < --config FILE < NEMO_MOCK_* environment < flags.
Every duration is virtual: --time-scale 600 runs ten virtual minutes per real second.
The control plane lives on the same port under /_mock (see contracts/control-openapi.yaml).
"""


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of `serve` (shared with any CLI that embeds it)."""
    p.add_argument(
        "--host", help="interface to bind (default 127.0.0.1; loopback only unless you mean it)"
    )
    p.add_argument("--port", type=int, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--seed", type=int, help="seed for every random decision and id (default 0)")
    p.add_argument(
        "--time-scale", type=float, help="virtual seconds per real second (default 1; 0 freezes)"
    )
    p.add_argument(
        "--config", metavar="FILE", help="YAML settings file (a mapping of setting: value)"
    )
    p.add_argument(
        "--error-status", choices=["body", "http"], help="HTTP status of app error codes"
    )
    p.add_argument(
        "--silent-close-rate", type=float, help="share of edit turns that close silently (0.3)"
    )
    p.add_argument("--heartbeat-interval", type=float, help="virtual seconds between heartbeats")
    p.add_argument("--heartbeat-style", choices=["comment", "data", "mixed"], help="heartbeat form")
    p.add_argument("--render-failure-rate", type=float, help="share of renders that fail (0)")
    p.add_argument(
        "--admin-token",
        help="require this token (X-Admin-Token) on the control plane (visible in `ps`: prefer "
        "--admin-token-file or the NEMO_MOCK_ADMIN_TOKEN environment variable)",
    )
    p.add_argument(
        "--admin-token-file", metavar="FILE", help="read the admin token from FILE (first line)"
    )
    p.add_argument(
        "--deterministic-secrets",
        action="store_true",
        default=None,
        help="derive tokens, claim tokens and media names from the seed (byte-identical reruns; "
        "anyone who knows the seed can guess them)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated, or '*'); "
        "by default no proxy header is trusted",
    )
    p.add_argument(
        "--allow-remote-admin",
        action="store_true",
        default=None,
        help="control plane answers non-loopback clients",
    )
    p.add_argument(
        "--access-log",
        action="store_true",
        default=None,
        help="log every request (halves throughput)",
    )
    p.add_argument(
        "--state-file",
        metavar="FILE",
        help="restore state from FILE on start; save it (atomically) on change and on exit",
    )
    p.add_argument(
        "--store",
        metavar="URL",
        help="where state is kept: memory (default), sqlite:PATH (durable: every write committed "
        "before its response), redis://HOST:PORT/DB",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N processes on one port sharing one world (needs --store redis://...; default 1)",
    )
    p.add_argument(
        "--scenario",
        metavar="FILE",
        help="apply a scenario's server block (seed, settings, faults) on start",
    )
    p.add_argument(
        "--replay",
        metavar="BUNDLE",
        help="start in the condition of a run saved from GET /_mock/bundle (its seed, settings, "
        "clock start and fault rules win over other setting flags; --host/--port stay yours)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other setting (repeatable)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed `serve` arguments."""
    flags: dict[str, Any] = {
        name: getattr(args, name, None)
        for name in (
            "host",
            "port",
            "seed",
            "time_scale",
            "error_status",
            "silent_close_rate",
            "heartbeat_interval",
            "heartbeat_style",
            "render_failure_rate",
            "admin_token",
            "allow_remote_admin",
            "access_log",
            "state_file",
            "store",
            "deterministic_secrets",
            "forwarded_allow_ips",
        )
    }
    token_file = getattr(args, "admin_token_file", None)
    if token_file:
        try:
            lines = Path(token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"--admin-token-file {token_file}: cannot read: {exc}") from exc
        if not lines or not lines[0].strip():
            raise SettingsError(f"--admin-token-file {token_file}: the first line is empty")
        flags["admin_token"] = lines[0].strip()
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise SettingsError(f"--set expects NAME=VALUE, got {item!r}")
        flags[name.strip().replace("-", "_")] = value
    return Settings.load(file=args.config, overrides=flags)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; 2 on bad settings."""
    from nemo_mock.server import server_block
    from nemo_mock.server.serving import serve
    from nemo_mock.server.snapshot import SnapshotError
    from nemo_mock.server.stores import StoreError
    from nemo_mock.server.world import World

    faults: list[Any] = []
    try:
        settings = settings_from_args(args)
        if getattr(args, "scenario", None):
            block = server_block.load_file(args.scenario)
            settings, faults = server_block.validate(block, settings)
        if getattr(args, "replay", None):
            from nemo_mock.server import run_bundle

            run = run_bundle.read_run(args.replay)
            settings, replayed = run_bundle.replay_settings(run, settings)
            faults = [*faults, *replayed]
    except (SettingsError, server_block.ScenarioError) as exc:
        print(f"nemo-mock: {exc}", file=sys.stderr)
        return 2
    world = World(settings)
    world.faults.add_many(faults)
    workers = getattr(args, "workers", 1) or 1

    def ready(url: str) -> None:
        print(
            f"nemo-mock serving {url}  (seed={settings.seed}, time_scale={settings.time_scale}, "
            f"error_status={settings.error_status}"
            + (f", {workers} workers on {settings.store}" if workers != 1 else "")
            + f"; control plane {url}/_mock; Ctrl-C stops)",
            flush=True,
        )

    try:
        if workers != 1:
            from nemo_mock.server.workers import serve_workers

            code = serve_workers(settings, workers, faults, on_ready=ready)
            print("nemo-mock stopped", flush=True)
            return code
        with contextlib.suppress(KeyboardInterrupt):
            serve(settings, world=world, on_ready=ready)
    except (SnapshotError, StoreError, SettingsError) as exc:
        print(f"nemo-mock: {exc}", file=sys.stderr)
        return 2
    print("nemo-mock stopped", flush=True)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add `serve` to the `nemo-mock` subcommands."""
    serve_p = sub.add_parser(
        "serve",
        help="serve the emulator",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_serve_arguments(serve_p)
    serve_p.set_defaults(func=run_serve)
    return serve_p


def build_parser() -> argparse.ArgumentParser:
    """A parser with only `serve` (tests and embedders; `nemo_mock.cli` has the whole command)."""
    parser = argparse.ArgumentParser(prog="nemo-mock")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser
