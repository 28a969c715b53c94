"""Broken on purpose: never retries a 429. Usage: python broken_no_429_retry.py "<utterance>"."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"no_429_retry"}))
