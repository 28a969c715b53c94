"""`nemo-mock scenarios`: list, validate and run the conformance scenarios."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_mock.scenarios._model import VARIANTS

if TYPE_CHECKING:
    from nemo_mock.scenarios._model import Scenario
    from nemo_mock.scenarios._runner import SharedWorld

SCENARIOS_HELP = """\
Verify a client of the nemo_agent API against the scenario library.

  nemo-mock scenarios list
  nemo-mock scenarios audit          # every expectation, the rule it cites, the readings it accepts
  nemo-mock scenarios run --client reference --variant all
  nemo-mock scenarios run silent-close-after-edit --client "python my_client.py" --junit out.xml
  nemo-mock scenarios run --client "python my_client.py" --html report.html
  nemo-mock scenarios from-recording run1 -o my-failure.yaml

A command client follows the adapter protocol (scenarios/README.md): it is run once per step
with the utterance as its last argument and NEMO_API_URL, NEMO_WEB_URL, NEMO_STATE_DIR,
NEMO_TIME_SCALE, NEMO_DOWNLOAD_DIR and a fresh HOME set; stdout is what the user would see,
stderr is for its author; it exits 0 when the user's request was carried out and non-zero when
it was not. This command exits 0 exactly when every MUST passes.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `scenarios` to the `nemo-mock` subcommands."""
    p = sub.add_parser(
        "scenarios",
        help="list and run the conformance scenarios",
        description=SCENARIOS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ssub = p.add_subparsers(dest="scenarios_command", metavar="ACTION")
    lst = ssub.add_parser("list", help="list the scenarios (name, expectations, title)")
    lst.add_argument("--dir", help="a scenario directory instead of the shipped library")
    lst.set_defaults(func=run_list)
    val = ssub.add_parser("validate", help="check scenario files against the schema")
    val.add_argument("files", nargs="*", help="files (default: the library)")
    val.add_argument("--dir", help="a scenario directory instead of the shipped library")
    val.set_defaults(func=run_validate)
    aud = ssub.add_parser("audit", help="print the audit table (expectation, rule, readings)")
    aud.add_argument("--dir", help="a scenario directory instead of the shipped library")
    aud.set_defaults(func=run_audit)
    run = ssub.add_parser("run", help="run scenarios against a client")
    run.add_argument(
        "names", nargs="*", metavar="NAME", help="scenario names or .yaml files (default: all)"
    )
    run.add_argument(
        "--client",
        default="reference",
        help='"reference" (in-process) or a command, e.g. "python my_client.py"',
    )
    run.add_argument(
        "--variant",
        choices=[*VARIANTS, "all"],
        default="body",
        help="error_status body or http; strict: bare render status and attribution required "
        "everywhere; all: every one of them",
    )
    run.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    run.add_argument(
        "--html",
        metavar="FILE",
        help="write a self-contained HTML report here (sequence diagrams on virtual time)",
    )
    run.add_argument("--dir", help="a scenario directory instead of the shipped library")
    run.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="virtual seconds per real second for emulator and client (default 600)",
    )
    run.add_argument(
        "--jobs", "-j", type=int, default=2, help="scenario runs in parallel (default 2)"
    )
    run.add_argument("--verbose", "-v", action="store_true", help="show passing expectations too")
    run.add_argument(
        "--store",
        metavar="URL",
        help="redis://HOST:PORT/DB: run each scenario against --workers emulator servers sharing "
        "one world there, behind a round-robin balancer (consecutive requests of the client "
        "land on different servers)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="emulator servers per run with --store (default 2)",
    )
    run.set_defaults(func=run_run)
    rec = ssub.add_parser(
        "from-recording",
        help="write a scenario reproducing what a proxy recording shows went wrong",
    )
    rec.add_argument("bundle", metavar="BUNDLE", help="a bundle of `nemo-mock proxy --record`")
    rec.add_argument("-o", "--output", required=True, metavar="NAME.yaml", help="file to write")
    rec.set_defaults(func=run_from_recording)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)


def _select(names: Sequence[str], directory: str | None) -> list[Scenario]:
    from nemo_mock.scenarios._load import load_file, load_library

    library = load_library(directory)
    if not names:
        return library
    by_name = {s.name: s for s in library}
    chosen: list[Scenario] = []
    for name in names:
        if name.endswith((".yaml", ".yml")) or Path(name).is_file():
            chosen.append(load_file(name))
        elif name in by_name:
            chosen.append(by_name[name])
        else:
            close = difflib.get_close_matches(name, list(by_name), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise LookupError(f"no scenario named {name!r}{hint}; see `nemo-mock scenarios list`")
    return chosen


def run_list(args: argparse.Namespace) -> int:
    """Print the library: name, expectation counts, title."""
    from nemo_mock.scenarios._load import ScenarioError, load_library

    try:
        library = load_library(args.dir)
    except ScenarioError as exc:
        print(f"nemo-mock: {exc}", file=sys.stderr)
        return 2
    width = max((len(s.name) for s in library), default=10)
    for s in library:
        musts = sum(e.must for e in s.expect)
        print(f"{s.name:<{width}}  {musts:>2} MUST {len(s.expect) - musts:>2} SHOULD  {s.title}")
    total = sum(len(s.expect) for s in library)
    print(f"{len(library)} scenarios, {total} expectations")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """Print the Markdown audit table of the library (the one in scenarios/README.md)."""
    from nemo_mock.scenarios._audit import audit_table
    from nemo_mock.scenarios._load import ScenarioError, load_library

    try:
        library = load_library(args.dir)
    except ScenarioError as exc:
        print(f"nemo-mock: {exc}", file=sys.stderr)
        return 2
    print(audit_table(library))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Validate files (or the library); print each error with file:line: field."""
    from nemo_mock.scenarios._load import ScenarioError, library_dir, load_file

    files = args.files or sorted(str(p) for p in Path(args.dir or library_dir()).glob("*.yaml"))
    bad = 0
    for f in files:
        try:
            load_file(f)
        except ScenarioError as exc:
            bad += 1
            print(f"nemo-mock: {exc}", file=sys.stderr)
    print(f"{len(files) - bad}/{len(files)} scenario files valid")
    return 1 if bad else 0


def _shared(store: str | None, workers: int | None) -> SharedWorld:
    """The `SharedWorld` option of `--store`/`--workers` (ValueError saying what is wrong)."""
    from nemo_mock.scenarios._runner import SharedWorld
    from nemo_mock.server.stores import StoreError, check_url

    if not store or not store.startswith("redis://"):
        raise ValueError("--workers needs --store redis://HOST:PORT/DB (the servers share it)")
    try:
        check_url(store)
    except StoreError as exc:
        raise ValueError(str(exc)) from exc
    count = 2 if workers is None else workers
    if count < 1:
        raise ValueError("--workers must be >= 1")
    return SharedWorld(store, count)


def run_run(args: argparse.Namespace) -> int:
    """Run the chosen scenarios against the client; 0 exactly when every MUST passed."""
    from nemo_mock.scenarios._adapters import adapter_for
    from nemo_mock.scenarios._load import ScenarioError
    from nemo_mock.scenarios._report import print_report, write_junit
    from nemo_mock.scenarios._runner import run_scenario

    shared = None
    try:
        chosen = _select(args.names, args.dir)
        adapter = adapter_for(args.client)
        if args.store is not None or args.workers is not None:
            shared = _shared(args.store, args.workers)
    except (ScenarioError, LookupError, ValueError) as exc:
        print(f"nemo-mock: {exc}", file=sys.stderr)
        return 2
    runs = [(s, v) for s in chosen for v in s.variants(args.variant)]
    print(
        f"running {len(runs)} scenario run(s) against {adapter.name!r} "
        f"(variant {args.variant}, {max(1, args.jobs)} in parallel"
        + (f"; {shared.servers} servers sharing {shared.store}" if shared else "")
        + ")",
        flush=True,
    )
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(
            pool.map(
                lambda sv: run_scenario(
                    sv[0], adapter, sv[1], time_scale=args.time_scale, shared=shared
                ),
                runs,
            )
        )
    print_report(results, verbose=args.verbose)
    if args.junit:
        write_junit(results, args.junit)
        print(f"JUnit XML written to {args.junit}")
    if args.html:
        from nemo_mock.scenarios._html import write_html

        write_html(results, args.html)
        print(f"HTML report written to {args.html}")
    return 0 if all(r.passed for r in results) else 1


def run_from_recording(args: argparse.Namespace) -> int:
    """Write the scenario of a recording; 2 when the bundle cannot be turned into one."""
    from nemo_mock.proxy import BundleError, load_bundle
    from nemo_mock.scenarios._from_recording import write_scenario
    from nemo_mock.scenarios._load import ScenarioError

    try:
        path = write_scenario(load_bundle(args.bundle), args.output)
    except (BundleError, ScenarioError, ValueError) as exc:
        print(f"nemo-mock: {exc}", file=sys.stderr)
        return 2
    print(f"scenario written to {path}; run it: nemo-mock scenarios run {path}")
    return 0
