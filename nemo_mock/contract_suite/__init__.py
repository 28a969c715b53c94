"""The server contract suite: checks any nemo_agent server by base URL (DESIGN §9).

Checks are plain functions registered with a level and the sentences they enforce
(registry.py); `nemo-mock contract` (cli.py) discovers the target's capabilities, runs them
(runner.py) and reports (report.py). Nothing here imports the emulator.
"""

from nemo_mock.contract_suite.capabilities import Capabilities, CapabilityError
from nemo_mock.contract_suite.discover import discover
from nemo_mock.contract_suite.registry import CheckSpec, Result, run_check
from nemo_mock.contract_suite.target import Target

__all__ = [
    "Capabilities",
    "CapabilityError",
    "CheckSpec",
    "Result",
    "Target",
    "discover",
    "run_check",
]
