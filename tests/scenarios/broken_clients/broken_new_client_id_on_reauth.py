"""Broken on purpose: makes a new client id on every re-auth.

Usage: python broken_new_client_id_on_reauth.py "<utterance>".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _mini import main

if __name__ == "__main__":
    sys.exit(main({"new_client_id_on_reauth"}))
