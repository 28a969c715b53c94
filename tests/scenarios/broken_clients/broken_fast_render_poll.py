"""Broken on purpose: polls the render every second. Usage: python broken_fast_render_poll.py
"<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"fast_render_poll"}))
