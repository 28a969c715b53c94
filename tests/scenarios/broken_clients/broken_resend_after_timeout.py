"""Broken on purpose: re-sends the message after a heartbeat-only timeout.

Usage: python broken_resend_after_timeout.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"resend_after_timeout"}))
