"""The nemo_agent backend emulator: `create_app(settings, world=None)` builds the ASGI app."""

from nemo_mock.server.app import create_app
from nemo_mock.server.clock import VirtualClock
from nemo_mock.server.errors import ApiError
from nemo_mock.server.journal import Journal
from nemo_mock.server.serving import LiveServer
from nemo_mock.server.settings import Settings, SettingsError
from nemo_mock.server.world import World

__all__ = [
    "ApiError",
    "Journal",
    "LiveServer",
    "Settings",
    "SettingsError",
    "VirtualClock",
    "World",
    "create_app",
]
