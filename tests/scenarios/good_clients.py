"""The two good clients every MUST is checked against: the reference client and client B."""

from __future__ import annotations

import sys
from pathlib import Path

from nemo_mock.scenarios import CommandAdapter, ReferenceAdapter

CLIENT_B = Path(__file__).parent / "good_client_b" / "nemo_b.py"


def client_b() -> CommandAdapter:
    """Client B as a command client, run with this interpreter."""
    return CommandAdapter(f"{sys.executable} {CLIENT_B}")


GOOD = {"reference": ReferenceAdapter, "client-b": client_b}
