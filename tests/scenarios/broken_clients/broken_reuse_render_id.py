"""Broken on purpose: retries a failed render with the same id.

Usage: python broken_reuse_render_id.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"reuse_render_id"}))
