"""Broken on purpose: shows the agent's tool calls to the user.

Usage: python broken_show_tool_calls.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"show_tool_calls"}))
