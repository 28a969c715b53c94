"""HTML reports: a run's exchanges as a sequence diagram on the virtual-time axis, in one
self-contained page (inline CSS, SVG and JS; nothing fetched, no token shown).

The input is plain data (documented in `nemo_mock.report._data`), so any producer can use it:
`nemo-mock scenarios run --html FILE` builds it from scenario results, and a contract run's
check results go through `contract_report`.
"""

from nemo_mock.report._contract import contract_report
from nemo_mock.report._data import TOKEN_SHAPE, redact
from nemo_mock.report._page import render, write

__all__ = ["TOKEN_SHAPE", "contract_report", "redact", "render", "write"]
