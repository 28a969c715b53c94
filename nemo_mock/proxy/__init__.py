"""Keeping the emulator honest against a real backend: a validating, recording proxy, drift
replay of a recording, and the bundle format both read (`nemo-mock proxy`, `nemo-mock replay`).
"""

from nemo_mock.proxy._check import Checker
from nemo_mock.proxy._exchange import Exchange, Frame, SseReader
from nemo_mock.proxy._record import Bundle, BundleError, Recorder, load_bundle
from nemo_mock.proxy._rules import MUST, RULES, SHOULD, Rule, Violation
from nemo_mock.proxy._run import Proxy, is_loopback

__all__ = [
    "MUST",
    "RULES",
    "SHOULD",
    "Bundle",
    "BundleError",
    "Checker",
    "Exchange",
    "Frame",
    "Proxy",
    "Recorder",
    "Rule",
    "SseReader",
    "Violation",
    "is_loopback",
    "load_bundle",
]
