"""The reference client of the nemo_agent API: everything the skill documents ask of an agent.

In-process use (the scenario runner's "reference adapter")::

    from nemo_mock.client import Agent, Config

    config = Config.from_env()            # or Config(api_url=..., state_dir=..., time_scale=600)
    with Agent(config, transport=None, sleep=time.sleep, out=print) as agent:
        outcome = agent.handle("add background music")
        outcome.exit_code                 # 0 ok, 1 API/user-facing failure, 3 timeout/network
        outcome.output                    # the text the user saw, lines joined by "\\n"

``transport`` is any ``httpx.BaseTransport`` (``httpx.MockTransport`` in unit tests); ``sleep``
receives real seconds (documented seconds / ``config.time_scale``); ``clock`` measures a turn's
virtual time; ``out`` gets each line as it is shown. :class:`Api` is the bare endpoint layer;
every error is a :class:`NemoError` (see ``nemo_mock.client._errors`` for the tree).
"""

from nemo_mock.client._api import Api
from nemo_mock.client._config import Config
from nemo_mock.client._errors import (
    ApiError,
    BadRequest,
    ExportBlocked,
    FileTooLarge,
    NemoError,
    NetworkError,
    NoCredits,
    NotFound,
    RateLimited,
    RenderFailed,
    RenderTimeout,
    SessionNotFound,
    TokenInvalid,
    TurnTimeout,
    UnsupportedFile,
    UsageError,
)
from nemo_mock.client._workflow import Agent, Outcome

__all__ = [
    "Agent",
    "Api",
    "ApiError",
    "BadRequest",
    "Config",
    "ExportBlocked",
    "FileTooLarge",
    "NemoError",
    "NetworkError",
    "NoCredits",
    "NotFound",
    "Outcome",
    "RateLimited",
    "RenderFailed",
    "RenderTimeout",
    "SessionNotFound",
    "TokenInvalid",
    "TurnTimeout",
    "UnsupportedFile",
    "UsageError",
]
