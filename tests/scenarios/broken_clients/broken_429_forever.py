"""Broken on purpose: retries a 429 again and again (until its own cap of 60).

Usage: python broken_429_forever.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"429_forever"}))
