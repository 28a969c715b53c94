"""Broken on purpose: shows the backend's GUI instructions (click, drag) as they are. Usage:
python broken_gui_passthrough.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"gui_passthrough"}))
