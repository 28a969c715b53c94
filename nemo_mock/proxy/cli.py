"""`nemo-mock proxy`: a validating, recording pass-through proxy in front of any backend."""

from __future__ import annotations

import argparse
import contextlib
import sys

PROXY_HELP = """\
Point a client (NEMO_API_URL) at this proxy; it forwards everything to --upstream, streams
answers back unbuffered, and checks every exchange against contracts/ as it passes: the
envelope and response schemas, documented codes, SSE framing and event shapes frame by frame,
heartbeat spacing, render status order. Violations are printed live and summarised on exit
(Ctrl-C). Each rule cites its source; MUST only where the seeds or v1.9 say so.

  nemo-mock proxy --upstream http://127.0.0.1:8765 --port 8766 --record run1 --check
  NEMO_API_URL=http://127.0.0.1:8766 nemo-client say "add background music"

--record DIR writes a bundle (HAR 1.2, SSE frames with timing, the emulator's seed/settings
when the upstream is nemo-mock); tokens are redacted to fingerprints. Use the bundle with
`nemo-mock replay` (drift) and `nemo-mock scenarios from-recording` (a reproducing scenario).
An unreachable upstream answers the client 502 {"code": 502, "message": "nemo-mock proxy:
upstream unreachable: ...", "data": null} (the proxy's own answer, not the backend's).
Exit status: 0; 1 with --check when a MUST rule was broken; 2 on bad usage.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `proxy` to the `nemo-mock` subcommands."""
    p = sub.add_parser(
        "proxy",
        help="a validating, recording proxy in front of a backend",
        description=PROXY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--upstream", required=True, metavar="URL", help="the backend to forward to")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8766, help="listen port (default 8766; 0: free)")
    p.add_argument("--record", metavar="DIR", help="write a recording bundle into DIR")
    p.add_argument("--check", action="store_true", help="exit 1 when a MUST rule was broken")
    p.add_argument(
        "--heartbeat-interval",
        type=float,
        metavar="SECONDS",
        help="real seconds between heartbeats to expect (default: the emulator's, probed, else 10)",
    )
    p.add_argument(
        "--no-heartbeat-check", action="store_true", help="do not check heartbeat spacing"
    )
    p.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="the upstream emulator's control-plane token (to read its settings and clock)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the proxy then forwards anyone's requests)",
    )
    p.set_defaults(func=run_proxy)


def run_proxy(args: argparse.Namespace) -> int:
    """Serve until interrupted; print the summary; the exit status as documented."""
    from nemo_mock.proxy._run import Proxy, is_loopback

    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"nemo-mock proxy: refusing to listen on non-loopback {args.host}: "
            "pass --allow-remote if you mean it",
            file=sys.stderr,
        )
        return 2
    if not args.upstream.startswith(("http://", "https://")):
        print("nemo-mock proxy: --upstream must be an http:// or https:// URL", file=sys.stderr)
        return 2
    proxy = Proxy(
        args.upstream,
        record=args.record,
        heartbeat_seconds=args.heartbeat_interval,
        check_heartbeats=not args.no_heartbeat_check,
        out=lambda line: print(line, flush=True),
        admin_token=args.admin_token,
    )
    kind = "nemo-mock emulator" if proxy.emulator else "backend"
    with contextlib.suppress(KeyboardInterrupt):
        proxy.serve(
            args.host,
            args.port,
            on_ready=lambda url: print(
                f"nemo-mock proxy on {url} -> {args.upstream} ({kind}); Ctrl-C stops", flush=True
            ),
        )
    for line in proxy.summary():
        print(line)
    if args.record:
        print(f"recording written to {args.record}")
    return 1 if args.check and proxy.must_failed() else 0
