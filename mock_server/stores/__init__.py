"""Where the World's state is kept: `memory` (default), `sqlite:PATH` (durable), `redis://`."""

from nemo_mock.server.stores.attach import StoreMiddleware, attach, detach, kept_of
from nemo_mock.server.stores.base import Store, StoreError
from nemo_mock.server.stores.urls import check_url, open_store

__all__ = [
    "Store",
    "StoreError",
    "StoreMiddleware",
    "attach",
    "check_url",
    "detach",
    "kept_of",
    "open_store",
]
