"""Conformance scenarios: verify any client of the nemo_agent API against the emulator.

A scenario (YAML, scenarios/library/) is a server block, steps and expectations tagged MUST or
SHOULD, each citing the sentence it checks (seeds, v1.9, or the adapter protocol in
scenarios/README.md) and naming the readings it accepts. `run_scenario(scenario, adapter,
variant)` starts the emulator, drives the client (in-process reference client or any command)
and evaluates every expectation against the output, the exit status and the journal.
CLI: `nemo-mock scenarios`.
"""

from nemo_mock.scenarios._adapters import CommandAdapter, ReferenceAdapter, StepOutcome, adapter_for
from nemo_mock.scenarios._expect import RunRecord, StepRecord, Verdict, evaluate
from nemo_mock.scenarios._load import ScenarioError, load_file, load_library, parse, schema
from nemo_mock.scenarios._model import Expectation, Scenario, Step
from nemo_mock.scenarios._report import junit, print_report, write_junit
from nemo_mock.scenarios._runner import ScenarioResult, SharedWorld, run_scenario

__all__ = [
    "CommandAdapter",
    "Expectation",
    "ReferenceAdapter",
    "RunRecord",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "SharedWorld",
    "Step",
    "StepOutcome",
    "StepRecord",
    "Verdict",
    "adapter_for",
    "evaluate",
    "junit",
    "load_file",
    "load_library",
    "parse",
    "print_report",
    "run_scenario",
    "schema",
    "write_junit",
]
