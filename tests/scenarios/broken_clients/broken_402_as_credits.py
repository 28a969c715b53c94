"""Broken on purpose: tells the user a 402 is a credits problem.

Usage: python broken_402_as_credits.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"402_as_credits"}))
