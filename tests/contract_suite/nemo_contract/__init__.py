"""The server contract suite: checks any nemo_agent server by base URL (DESIGN §9).

Checks are plain functions `check(target) -> Result` (registry.py); the pytest layer
(test_contract.py, conftest.py) and the power test (test_power.py) both call them.
"""
