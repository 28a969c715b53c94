"""`nemo-mock serve` as a process of its own: what it sets up before serving."""

from __future__ import annotations

import pytest


def test_serve_lifts_the_open_file_limit_to_the_hard_limit() -> None:
    """`nemo-mock serve` raises its soft descriptor limit to the hard one: streams are sockets."""
    resource = pytest.importorskip("resource")
    from nemo_mock.server.serving import raise_open_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(64, soft // 2), hard))
        raise_open_file_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
