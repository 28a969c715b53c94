"""Keeping the emulator honest against a real backend: a validating, recording proxy, drift
replay of a recording, and the bundle format both read (`nemo-mock proxy`, `nemo-mock replay`).

The rule table (ids, MUST/SHOULD levels, the sentence each enforces) is `nemo_mock.proxy._rules`.
"""

from nemo_mock.proxy._check import Checker
from nemo_mock.proxy._exchange import Exchange, Frame, SseReader
from nemo_mock.proxy._openapi import operation_id
from nemo_mock.proxy._record import Bundle, BundleError, Recorder, load_bundle
from nemo_mock.proxy._replay import Drift, Replayer
from nemo_mock.proxy._rules import Rule, Violation
from nemo_mock.proxy._run import Proxy, is_loopback

__all__ = [
    "Bundle",
    "BundleError",
    "Checker",
    "Drift",
    "Exchange",
    "Frame",
    "Proxy",
    "Recorder",
    "Replayer",
    "Rule",
    "SseReader",
    "Violation",
    "is_loopback",
    "load_bundle",
    "operation_id",
]
