"""The nemo_agent backend emulator: `create_app(settings, world=None)` builds the ASGI app."""

from mock_server.app import create_app
from mock_server.clock import VirtualClock
from mock_server.errors import ApiError
from mock_server.journal import Journal
from mock_server.settings import Settings, SettingsError
from mock_server.world import World

__all__ = [
    "ApiError",
    "Journal",
    "Settings",
    "SettingsError",
    "VirtualClock",
    "World",
    "create_app",
]
