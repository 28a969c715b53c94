"""Broken on purpose: polls a stalled render with no limit (until its own cap of 60 polls).

Usage: python broken_render_poll_forever.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"render_poll_forever"}))
