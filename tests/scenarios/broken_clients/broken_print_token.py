"""Broken on purpose: prints the token when it connects. Usage: python broken_print_token.py
"<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"print_token"}))
