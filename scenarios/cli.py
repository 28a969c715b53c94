"""`nemo-mock`: `serve` (the emulator) and `scenarios` (the conformance runner)."""

from __future__ import annotations

from collections.abc import Sequence

from mock_server.cli import build_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nemo-mock` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    result: int = args.func(args)
    return result
