"""The connection: token bootstrap, session, and the error rules that retry a request once.

Seeds: NEMO_TOKEN if set, else an anonymous token (POST /api/auth/anonymous-token, header
X-Client-Id) with a persisted client id; then a session, and right after it (v1.9 §3.0) a claim
token for the browser link `$WEB/workspace/claim?ct=<claim token>`. 1001 → a new anonymous
token with the same client id and the request once more; 1002 → a new session (the old timeline
is gone); 400 on the token request → a new client id and one retry; 429 → wait 30 s and retry once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from nemo_mock import contracts
from nemo_mock.client import _messages as msg
from nemo_mock.client._api import Api
from nemo_mock.client._config import Config
from nemo_mock.client._errors import (
    BadRequest,
    NemoError,
    RateLimited,
    SessionNotFound,
    TokenInvalid,
)
from nemo_mock.client._state import StateStore, fingerprint

T = TypeVar("T")


class Connection:
    """Owns the token and the session; ``call`` runs one request under the error rules."""

    def __init__(
        self,
        config: Config,
        api: Api,
        store: StateStore,
        *,
        say: Callable[[str], None],
        wait: Callable[[float], None],
        new_client_id: Callable[[], str],
    ) -> None:
        self.config, self.api, self.store = config, api, store
        self.stored = store.load()
        if config.client_id:
            self.stored.client_id = config.client_id
        self.say, self.wait, self._new_client_id = say, wait, new_client_id

    @property
    def registered(self) -> bool:
        """True when the user supplied NEMO_TOKEN and it is the token in use."""
        return bool(self.config.token) and self.api.token == self.config.token

    def ensure_ready(self) -> None:
        """A token (NEMO_TOKEN, stored, or a new anonymous one) and a session."""
        if not self.api.token:
            env_token = self.config.token
            if env_token and fingerprint(env_token) == self.stored.rejected_token:
                env_token = None  # rejected before (1001): keep the anonymous token minted then
            self.api.token = env_token or self.stored.token
            if not self.api.token:
                self.say("Connecting...")
                self._mint()
        if not self.stored.session_id:
            self._new_session()

    def _save(self) -> None:
        self.store.save(self.stored)

    def _mint(self) -> None:
        """Anonymous token with the persisted client id; 400 → new client id, 429 → wait once."""
        if not self.stored.client_id:
            self.stored.client_id = self._new_client_id()
            self._save()
        new_id_tried = waited = False
        while True:
            try:
                grant = self.api.anonymous_token(self.stored.client_id)
                break
            except BadRequest:
                if new_id_tried:
                    raise
                new_id_tried = True
                self.stored.client_id = self._new_client_id()
                self._save()
            except RateLimited:
                if waited:
                    raise
                waited = True
                self.wait(contracts.facts()["client_recovery"]["rate_limit_retry_seconds"])
        self.api.token = self.stored.token = grant.token
        self._save()

    def _reauth(self) -> None:
        """1001: a new anonymous token with the same client id."""
        if self.registered and self.config.token:
            self.say("Your NEMO_TOKEN was not accepted; continuing with a free anonymous token.")
            self.stored.rejected_token = fingerprint(self.config.token)
        self.api.token = None
        self._mint()

    def _new_session(self) -> None:
        reauthed = False
        while True:
            try:
                session = self.api.create_session(self.config.language)
                break
            except TokenInvalid:
                if reauthed:
                    raise
                reauthed = True
                self._reauth()
        self.stored.session_id, self.stored.task_id = session.session_id, session.task_id
        self.stored.claim_token = None
        self._save()
        link = self.claim_link()  # v1.9 §3.0: "After creating a session, get a claim token"
        if link:
            self.say(f"Open your project in the browser: {link}")

    def claim_link(self) -> str | None:
        """`$WEB/workspace/claim?ct=<claim token>` for the current session (the claim token is
        asked for once per session and kept); None when the API would not give one."""
        if not self.stored.claim_token:
            try:
                claim = self.api.claim_token(self.stored.task_id or "", self.session_id)
            except NemoError:
                return None  # the link is a convenience: the work goes on without it
            if not claim:
                return None
            self.stored.claim_token = claim
            self._save()
        return f"{self.config.web_url}/workspace/claim?ct={quote(self.stored.claim_token, safe='')}"

    def call(self, op: Callable[[], T]) -> T:
        """Run ``op`` under the error rules: 1001 re-auth, 1002 new session, 429 wait; once each."""
        self.ensure_ready()
        reauthed = renewed = waited = False
        while True:
            try:
                return op()
            except TokenInvalid:
                if reauthed:
                    raise
                reauthed = True
                self._reauth()
            except SessionNotFound:
                if renewed:
                    raise
                renewed = True
                self._new_session()
                self.say(msg.OLD_TIMELINE_GONE)
            except RateLimited:
                if waited:
                    raise
                waited = True
                self.wait(contracts.facts()["client_recovery"]["rate_limit_retry_seconds"])

    @property
    def session_id(self) -> str:
        """The current session id (after ``ensure_ready``)."""
        return self.stored.session_id or ""
