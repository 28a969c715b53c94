"""Broken on purpose: never reads the state after a silent close.

Usage: python broken_no_state_after_silent_close.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"no_state_after_silent_close"}))
