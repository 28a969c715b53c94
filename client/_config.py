"""Client settings: one frozen value built from the environment, testable without the network."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from nemo_mock import contracts

DEFAULT_API_URL = "http://127.0.0.1:8765"
DEFAULT_SOURCE = "video-create"
DEFAULT_VERSION = "1.0.0"


def detect_platform(install_path: Path, home: Path) -> str:
    """Seeds: ``~/.clawhub/`` → clawhub, ``~/.cursor/skills/`` → cursor, else unknown."""
    resolved = install_path.expanduser()
    for prefix, name in ((home / ".clawhub", "clawhub"), (home / ".cursor" / "skills", "cursor")):
        if resolved == prefix or prefix in resolved.parents:
            return name
    return "unknown"


def detect_language(env: Mapping[str, str]) -> str:
    """NEMO_LANGUAGE, else the locale's language (LC_ALL, LANG), else the contract default."""
    default = str(contracts.facts()["session"]["default_language"])
    if env.get("NEMO_LANGUAGE"):
        return env["NEMO_LANGUAGE"]
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        lang = value.split(".")[0].split("_")[0].lower()
        if lang and lang not in ("c", "posix"):
            return lang
    return default


def _time_scale(raw: str | None) -> float:
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


@dataclass(frozen=True)
class Config:
    """Everything the client needs to know before it talks to the API.

    ``token`` is the user's own NEMO_TOKEN (a registered user); it is excluded from ``repr``.
    Waits documented in seconds are divided by ``time_scale`` (NEMO_TIME_SCALE).
    """

    api_url: str = DEFAULT_API_URL
    web_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    skill_source: str = DEFAULT_SOURCE
    skill_version: str = DEFAULT_VERSION
    skill_platform: str = "unknown"
    state_dir: Path = field(default_factory=lambda: Path.home() / ".config" / "nemovideo")
    time_scale: float = 1.0
    language: str = "en"
    download_dir: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, install_path: Path | None = None
    ) -> Config:
        """Build from NEMO_* / SKILL_* variables (``os.environ`` by default)."""
        env = os.environ if env is None else env
        home = Path(env.get("HOME") or Path.home())
        api_url = (env.get("NEMO_API_URL") or DEFAULT_API_URL).rstrip("/")
        # v1.9 §3: X-Skill-Source is the skill's own name ($SKILL_NAME, ours: NEMO_SKILL_NAME);
        # the env SKILL_SOURCE is the *platform* ($SKILL_SOURCE → X-Skill-Platform), else the
        # install path decides, else "unknown".
        source = env.get("NEMO_SKILL_NAME") or DEFAULT_SOURCE
        version = env.get("SKILL_VERSION") or contracts.profile_for(source).version
        platform = env.get("SKILL_SOURCE") or detect_platform(
            install_path or Path(__file__).resolve().parent, home
        )
        state_dir = env.get("NEMO_STATE_DIR")
        return cls(
            api_url=api_url,
            web_url=(env.get("NEMO_WEB_URL") or api_url).rstrip("/"),
            token=env.get("NEMO_TOKEN") or None,
            client_id=env.get("NEMO_CLIENT_ID") or None,
            skill_source=source,
            skill_version=version or DEFAULT_VERSION,
            skill_platform=platform,
            state_dir=Path(state_dir) if state_dir else home / ".config" / "nemovideo",
            time_scale=_time_scale(env.get("NEMO_TIME_SCALE")),
            language=detect_language(env),
            download_dir=Path(env.get("NEMO_DOWNLOAD_DIR") or Path.cwd()),
        )

    def with_(self, **changes: object) -> Config:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def attribution(self) -> dict[str, str]:
        """The three attribution headers the seeds require on every request."""
        return {
            "X-Skill-Source": self.skill_source,
            "X-Skill-Version": self.skill_version,
            "X-Skill-Platform": self.skill_platform,
        }
