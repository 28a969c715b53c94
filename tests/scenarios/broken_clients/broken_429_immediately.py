"""Broken on purpose: retries a 429 at once, without the 30 s wait.

Usage: python broken_429_immediately.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"429_immediately"}))
