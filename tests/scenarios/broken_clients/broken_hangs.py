"""Broken on purpose: never answers (sleeps in a child process too), to prove the runner's
deadline.
"""

import subprocess
import sys
import time

if __name__ == "__main__":
    print("Connecting...", flush=True)
    subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(3600)"]
    )  # a grandchild, also killed
    time.sleep(3600)
