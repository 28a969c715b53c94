"""``nemo-client``: the reference client for people, and the reference command adapter.

One utterance per call (DESIGN §8): ``nemo-client say "add background music"`` or simply
``nemo-client "add background music"``. Without arguments it opens an interactive prompt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from nemo_mock.client._config import Config
from nemo_mock.client._routing import Intent, Route, route
from nemo_mock.client._workflow import Agent

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_NETWORK = 0, 1, 2, 3
COMMANDS = ("say", "upload", "credits", "status", "export")

EPILOG = """\
exit codes:
  0  done
  1  the API or the request failed (no credits, unsupported file, export blocked, ...)
  2  usage error (bad arguments)
  3  timeout or network failure (the request may still complete: say "status")

environment:
  NEMO_TOKEN       your token (registered user); else a free anonymous token is used
  NEMO_API_URL     API base URL (default http://127.0.0.1:8765)
  NEMO_WEB_URL     web base URL for registration and claim links (default NEMO_API_URL)
  NEMO_CLIENT_ID   client id for anonymous tokens (default: a persisted random UUID)
  NEMO_STATE_DIR   where client id, token and session are kept (default ~/.config/nemovideo)
  NEMO_TIME_SCALE  divide every documented wait by this (tests against a fast emulator)
  NEMO_SKILL_NAME  X-Skill-Source: this skill's own name (default video-create)
  SKILL_VERSION    X-Skill-Version (default: the profile's version, 1.0.0)
  SKILL_SOURCE     X-Skill-Platform, as v1.9 defines it (default: from the install path)
  NEMO_LANGUAGE    session language (default: from the locale, else en)
  NEMO_DOWNLOAD_DIR  where exports are saved without -o (default: current directory)

Anything else is sent to the agent: nemo-client "add background music".
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands say, upload, credits, status, export)."""
    parser = argparse.ArgumentParser(
        prog="nemo-client",
        description="Talk to the nemo video agent: create, edit, check and export videos.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    say = sub.add_parser("say", help="say something (routed like the skill's table)")
    say.add_argument("text", nargs="+", help="what to say")
    upload = sub.add_parser("upload", help="upload a file or URL")
    upload.add_argument("target", help="file path or http(s) URL")
    sub.add_parser("credits", help="show the credit balance")
    sub.add_parser("status", help="show the timeline")
    export = sub.add_parser("export", help="render and download the video")
    export.add_argument("-o", "--output", type=Path, help="where to save the MP4")
    return parser


class _Bar:
    """A rich progress bar for export renders (only used when stdout is a terminal)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def update(self, fraction: float) -> None:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("Rendering"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(), console=self.console,
            )  # fmt: skip
            self._progress.start()
            self._task = self._progress.add_task("render", total=1.0)
        assert self._task is not None
        self._progress.update(self._task, completed=max(0.0, min(1.0, fraction)))

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def print(self, line: str) -> None:
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def _route(args: argparse.Namespace) -> Route:
    if args.command == "say":
        return route(" ".join(args.text))
    if args.command == "upload":
        return Route(Intent.UPLOAD, f"upload {args.target}", args.target)
    return Route(Intent(args.command), args.command)


def _interactive(agent: Agent) -> int:
    code = EXIT_OK
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            print()
            return code
        if line.lower() in ("exit", "quit", ":q"):
            return code
        if line:
            code = agent.handle(line).exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (documented in ``--help``)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] not in COMMANDS and not args_in[0].startswith("-"):
        args_in = ["say", *args_in]  # a bare utterance: nemo-client "add music"
    args = build_parser().parse_args(args_in)
    config = Config.from_env()
    tty = sys.stdout.isatty()
    bar = _Bar(Console()) if tty else None

    def out(line: str) -> None:
        if bar is not None:
            bar.print(line)
        else:
            print(line, flush=True)

    agent = Agent(config, out=out, progress=bar.update if bar else None)
    try:
        if args.command is None:
            return _interactive(agent)
        outcome = agent.run(_route(args), dest=getattr(args, "output", None))
        return outcome.exit_code
    except KeyboardInterrupt:
        return 130
    finally:
        if bar is not None:
            bar.stop()
        agent.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
