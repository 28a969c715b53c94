"""`nemo-mock replay`: re-play a recording against another backend and list the drift."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPLAY_HELP = """\
Send the conversation of a recording bundle (from `nemo-mock proxy --record DIR`) again to
another backend — a newer backend version, or the emulator for a real recording — and report
its structural differences exchange by exchange: HTTP status, body code, media type, fields
and their types, and for streams the kinds of frames in order and how the stream ended.
Tokens are minted afresh with new client ids; session, task, render and file ids are mapped.
The new backend's answers are also checked against contracts/ (as the proxy does; listed, not
counted in the exit status).

  nemo-mock replay run1 --against http://127.0.0.1:8765

Exit status: 0 no drift, 1 drift found, 2 bad usage or unreadable bundle.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `replay` to the `nemo-mock` subcommands."""
    p = sub.add_parser(
        "replay",
        help="re-play a recording against another backend and report drift",
        description=REPLAY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("bundle", metavar="BUNDLE", help="a recording bundle directory")
    p.add_argument("--against", required=True, metavar="URL", help="the backend to replay to")
    p.add_argument(
        "--no-pace", action="store_true", help="send at once instead of at the recorded pace"
    )
    p.add_argument("--json", metavar="FILE", help="also write the drift as JSON")
    p.set_defaults(func=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    """Replay; print each drift and a summary."""
    from nemo_mock.proxy._record import BundleError, load_bundle
    from nemo_mock.proxy._replay import Replayer, report

    try:
        bundle = load_bundle(args.bundle)
    except BundleError as exc:
        print(f"nemo-mock replay: {exc}", file=sys.stderr)
        return 2
    if not args.against.startswith(("http://", "https://")):
        print("nemo-mock replay: --against must be an http:// or https:// URL", file=sys.stderr)
        return 2
    replayer = Replayer(
        bundle, args.against, pace=not args.no_pace, out=lambda line: print(line, flush=True)
    )
    drifts = replayer.run()
    sent = sum(1 for ex in bundle.exchanges if not ex.path.startswith("/_mock"))
    touched = len({d.seq for d in drifts})
    print(f"{sent} exchanges replayed against {args.against}: {touched} with drift")
    for v in replayer.checker.violations:
        print(f"contract: {v.line()}")
    if args.json:
        Path(args.json).write_text(report(drifts) + "\n", encoding="utf-8")
    return 1 if drifts else 0
