"""`nemo-mock contract --base-url URL`: check any server against the contract (DESIGN §9).

Exit status: 0 when every MUST passed (or was not applicable, unless --strict), 1 when a MUST
failed or errored, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from .capabilities import Capabilities, CapabilityError, is_loopback
from .discover import discover
from .registry import Result
from .report import as_json, line, summary, write_json, write_junit
from .target import Target

REMOTE_PACE = 0.5  # seconds between requests against a non-loopback target
REMOTE_EXAMPLES = 5

EPILOG = """\
examples:
  nemo-mock contract --base-url http://127.0.0.1:8765
  nemo-mock contract --base-url http://127.0.0.1:8765 --junit contract.xml --json contract.json
  nemo-mock contract --base-url http://127.0.0.1:8765 --html contract.html
  nemo-mock contract --base-url https://staging.example --allow-remote --no-discover \\
      --capability error_status=http --only 'token.*'
capabilities: control_plane, virtual_clock, credits_topup, claim_page, spend_credits (flags,
NAME=false removes a discovered one), error_status=body|http, heartbeat_interval=SECONDS,
admin_token=TOKEN.
"""


def register(subparsers: Any) -> None:
    """Add `contract` to the `nemo-mock` parser."""
    p = subparsers.add_parser(
        "contract",
        help="check any server against the nemo_agent contract",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--base-url", help="the server to check (required unless --list)")
    p.add_argument(
        "--capability",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="declare (or with =false remove) a capability; overrides discovery (repeatable)",
    )
    p.add_argument("--capabilities", metavar="FILE", help="YAML file declaring capabilities")
    p.add_argument(
        "--no-discover", action="store_true", help="do not probe the target's control plane"
    )
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--json", metavar="FILE", help="write every result as JSON (plain data)")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument(
        "--strict", action="store_true", help="a MUST that is not applicable fails the run"
    )
    p.add_argument(
        "--only", action="append", default=[], metavar="GLOB", help="run matching check ids"
    )
    p.add_argument(
        "--list", action="store_true", help="list the checks with the sentences they cite"
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback URL (paced to 2 requests/s, fewer fuzz examples)",
    )
    p.add_argument(
        "--fuzz-examples", type=int, default=None, help="schemathesis examples per operation"
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        from .runner import exit_status, run_suite, select
    except ImportError as exc:  # schemathesis is in the `contract` extra
        print(
            f"nemo-mock contract needs the contract extra ({exc.name} is missing): "
            "pip install 'nemo-mock[contract]'",
            file=sys.stderr,
        )
        return 2
    specs = select(args.only)
    if args.list:
        for spec in specs:
            print(f"{spec.level:<6} {spec.id}  {spec.doc}", file=out)
            for cite in spec.cites:
                print(f"         [{cite.source}] {cite.text}", file=out)
        return 0
    if not specs:
        print(f"no check matches {args.only}", file=sys.stderr)
        return 2
    if not args.base_url:
        print("nemo-mock contract: --base-url is required", file=sys.stderr)
        return 2
    remote = not is_loopback(args.base_url)
    if remote and not args.allow_remote:
        print(
            f"refusing to check non-loopback {args.base_url}: pass --allow-remote (the suite then "
            f"paces itself to one request per {REMOTE_PACE} s)",
            file=sys.stderr,
        )
        return 2
    try:
        declared = Capabilities.parse(args.capability, args.capabilities)
    except CapabilityError as exc:
        print(f"nemo-mock contract: {exc}", file=sys.stderr)
        return 2
    caps = resolve(args.base_url, declared, discover_first=not args.no_discover, out=out)
    target = Target(
        args.base_url,
        caps,
        pace=REMOTE_PACE if remote else 0.0,
        fuzz_examples=args.fuzz_examples or (REMOTE_EXAMPLES if remote else 10),
        label=args.base_url,
    )
    print(f"running {len(specs)} checks against {args.base_url}", file=out)
    started = time.time()
    try:
        results = run_suite(target, specs, on_result=lambda r: print(line(r), file=out))
    finally:
        target.close()
    status = exit_status(results, strict=args.strict)
    for text in summary(results):
        print(text, file=out)
    elapsed = time.time() - started
    print(f"{len(results)} checks in {elapsed:.1f} s; exit status {status}", file=out)
    _write(args, results, caps, started, elapsed, status)
    return status


def resolve(
    base_url: str, declared: Capabilities, discover_first: bool, out: TextIO
) -> Capabilities:
    """Discovered capabilities overridden by the declared ones; printed for the user."""
    if discover_first:
        found, notes = discover(base_url, admin_token=declared.admin_token)
        for note in notes:
            print(f"discovery: {note}", file=out)
    else:
        found = Capabilities()
        if is_loopback(base_url):
            found = found.with_flag("spend_credits", "implied: loopback target")
        print("discovery: skipped (--no-discover)", file=out)
    caps = found.merged(declared)
    print(f"target {base_url}", file=out)
    for text in caps.describe() or ["(no capability: only the documented API is checked)"]:
        print(f"  {text}", file=out)
    return caps


def _write(
    args: argparse.Namespace,
    results: list[Result],
    caps: Capabilities,
    started: float,
    elapsed: float,
    status: int,
) -> None:
    if args.junit:
        write_junit(args.junit, results, args.base_url)
    if args.html:
        from nemo_mock.report import contract_report, write

        write(contract_report([r.as_dict() for r in results], target=args.base_url), args.html)
    if args.json:
        meta = {
            "target": args.base_url,
            "capabilities": caps.as_dict(),
            "strict": bool(args.strict),
            "started": started,
            "seconds": round(elapsed, 3),
        }
        write_json(args.json, as_json(results, meta, status))
