"""The `nemo-mock` command: one parser, one subcommand per package that owns its logic.

Each owning module exposes `register(subparsers)`, which adds its subcommand and sets `func` on
it; this module only assembles them, so `nemo-mock --help` lists every subcommand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nemo_mock import __version__
from nemo_mock.contract_suite import cli as contract_cli
from nemo_mock.proxy import cli as proxy_cli
from nemo_mock.proxy import replay_cli
from nemo_mock.scenarios import cli as scenarios_cli
from nemo_mock.server import cli as server_cli

DESCRIPTION = """\
The nemo_agent API emulator, its contract harness and conformance runner.

  nemo-mock serve --time-scale 600             the emulator on http://127.0.0.1:8765
  nemo-mock scenarios run --client "CMD"       verify a client against the scenario library
  nemo-mock contract --base-url URL            verify a server against the contract
  nemo-mock proxy --upstream URL --record DIR  validate (and record) live traffic
  nemo-mock replay DIR --against URL           drift between a recording and another backend
"""


def build_parser() -> argparse.ArgumentParser:
    """The whole `nemo-mock` parser."""
    parser = argparse.ArgumentParser(
        prog="nemo-mock",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nemo-mock {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (server_cli, scenarios_cli, contract_cli, proxy_cli, replay_cli):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nemo-mock` console script and of `python -m nemo_mock`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    result: int = args.func(args)
    return result
