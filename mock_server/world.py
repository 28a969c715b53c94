"""The World: all emulator state in one object, with the domain rules that change it.

Handlers stay thin; every rule of DESIGN §3.2, §3.3 and §3.5 that touches state lives here, so it
can be tested without HTTP. Nothing here is global: two Worlds never share anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nemo_mock import contracts
from nemo_mock.server import media, rng
from nemo_mock.server.clock import VirtualClock
from nemo_mock.server.errors import ApiError
from nemo_mock.server.faults import Faults
from nemo_mock.server.journal import Journal
from nemo_mock.server.model import Claim, Render, Session, Token, User
from nemo_mock.server.settings import Settings

if TYPE_CHECKING:
    from nemo_mock.server.media import MediaCache
    from nemo_mock.server.snapshot import Autosaver
    from nemo_mock.server.stores.kept import Kept
    from nemo_mock.server.stores.shared import Shared
    from nemo_mock.server.stores.turn_queue import TurnQueue
    from nemo_mock.server.turn_order import Turns


@dataclass
class Runtime:
    """Per-process things that are not state (tasks, the autosaver); never snapshotted."""

    turns: Turns | None = None  # running turns and per-session queues (turn_order.Turns.of)
    autosaver: Autosaver | None = None  # set by snapshot.attach when --state-file is given
    media: MediaCache | None = None  # rendered MP4s by content (renders.cache_of)
    shared: Shared | None = None  # a world shared through redis:// (stores/shared.py)
    turn_queue: TurnQueue | None = None  # the sessions' turn queues across processes (redis://)


_NO_SECTION = contextlib.nullcontext()

#: World attributes whose contents a store keeps (mock_server/stores/kept.py wraps them)
KEPT_TABLES = frozenset({"users", "tokens", "sessions", "renders", "claims", "mints"})


class World:
    """Tokens, users, sessions, credits, renders, the clock and the journal."""

    kept: Kept | None = None  # the store's change tracker (stores/kept.py); None: memory only

    def __setattr__(self, name: str, value: Any) -> None:
        # store hook: a table assigned while a store is attached (reset, restore) is tracked
        if name in KEPT_TABLES and self.kept is not None:
            value = self.kept.table(name, value)
        object.__setattr__(self, name, value)

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = VirtualClock(self.settings.clock_start, self.settings.time_scale)
        self.clock_start = self.clock.now()  # virtual time the run began (GET /_mock/bundle)
        self.journal = Journal(self.settings.journal_size, self.settings.journal_max_bytes)
        self.runtime = Runtime()
        self._clear()

    # -- lifecycle -------------------------------------------------------------------------
    def _clear(self) -> None:
        self.ids = rng.Ids(self.settings.seed)
        self.secrets = rng.Secrets()  # a new key on every reset: old values never come back
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, Session] = {}
        self.renders: dict[str, Render] = {}
        self.claims: dict[str, Claim] = {}
        self.mints: deque[tuple[str, float]] = deque()  # (ip, virtual time) of every mint
        self.faults = Faults()  # fault rules (mock_server/faults.py); a reset removes them

    def reset(self, settings: Settings | None = None) -> None:
        """Forget all state and the journal; restart the clock (optionally with new settings)."""
        if settings is not None:
            self.settings = settings
        self._clear()
        self.journal.clear()
        self.journal.resize(self.settings.journal_size, self.settings.journal_max_bytes)
        self.clock.restore(
            self.settings.clock_start
            if self.settings.clock_start is not None
            else self.clock.now(),
            self.settings.time_scale,
        )
        self.clock_start = self.clock.now()

    def configure(self, settings: Settings) -> None:
        """Apply new settings to a running world (clock speed and journal size follow)."""
        old = self.settings
        self.settings = settings
        if settings.time_scale != old.time_scale:
            self.clock.set_time_scale(settings.time_scale)
        if (settings.journal_size, settings.journal_max_bytes) != (
            old.journal_size,
            old.journal_max_bytes,
        ):
            self.journal.resize(settings.journal_size, settings.journal_max_bytes)

    def section(self) -> contextlib.AbstractAsyncContextManager[None]:
        """`async with world.section():` around code that changes state off a request (a turn
        step): one atomic change of a shared world (redis://); nothing otherwise."""
        shared = self.runtime.shared
        return shared.section() if shared is not None else _NO_SECTION

    def paused(self) -> contextlib.AbstractAsyncContextManager[None]:
        """`async with world.paused():` around a wait inside a request (a `delay` fault): in a
        shared world the write lock is let go meanwhile; nothing otherwise."""
        shared = self.runtime.shared
        return shared.paused() if shared is not None else _NO_SECTION

    def rng(self, *parts: object) -> random.Random:
        """The seeded RNG of one entity (e.g. `("turn", session_id, n)`)."""
        return rng.derive(self.settings.seed, *parts)

    def now(self) -> float:
        """Virtual time."""
        return self.clock.now()

    def secret(self, kind: str, length: int = 32) -> str:
        """The next unguessable value of `kind` (tokens, claim tokens, media names); every other
        id stays seeded. `deterministic_secrets` makes these seeded too (byte-identical reruns)."""
        if self.settings.deterministic_secrets:
            return self.ids.hex(kind, length)  # the seeded ids, as before the secrets key
        return self.secrets.hex(kind, length)

    # -- tokens ----------------------------------------------------------------------------
    def mint_anonymous(self, client_id: str, ip: str) -> tuple[Token, User]:
        """A new anonymous token for `client_id` (DESIGN §3.2 limits; 429 when exceeded)."""
        s, now = self.settings, self.now()
        while self.mints and self.mints[0][1] <= now - s.token_window:
            self.mints.popleft()
        live = [
            t
            for t in self.tokens.values()
            if t.client_id == client_id and t.live(now) and t.issued_at > now - s.token_window
        ]
        if len(live) >= s.tokens_per_client:
            raise ApiError(429, "Rate limit: 1 token per client id per 7 days.")
        if sum(1 for ip_, _ in self.mints if ip_ == ip) >= s.tokens_per_ip:
            raise ApiError(429, "Rate limit: 10 tokens per IP per 7 days.")
        user = next(
            (u for u in self.users.values() if u.client_id == client_id and not u.registered),
            None,
        )
        if user is None:  # ASSUMPTION: one anonymous user per client id (contracts/README.md)
            user = User(id="usr_" + self.ids.hex("user", 16), client_id=client_id)
            self.users[user.id] = user
        # every anonymous token comes with the free credits ("100 free credits", v1.9 §1): a
        # token minted again tops the same user up to them (ASSUMPTION: never beyond, never down)
        user.total += max(0, s.starter_credits - user.available)
        token = self._new_token(user, client_id, ip, now)
        self.mints.append((ip, now))
        return token, user

    def register_user(self, credits: int) -> tuple[Token, User]:
        """A registered user with `credits` and a token for it (control plane)."""
        user = User(id="usr_" + self.ids.hex("user", 16), registered=True, total=int(credits))
        self.users[user.id] = user
        return self._new_token(user, None, "control-plane", self.now()), user

    def _new_token(self, user: User, client_id: str | None, ip: str, now: float) -> Token:
        prefix = contracts.facts()["token"]["prefix"]
        token = Token(
            value=prefix + self.secret("token"),
            user_id=user.id,
            client_id=client_id,
            ip=ip,
            issued_at=now,
            expires_at=now + self.settings.token_ttl,
        )
        self.tokens[token.value] = token
        return token

    def token_of(self, authorization: str | None) -> Token | None:
        """The token named by an `Authorization: Bearer <token>` header, whatever its state."""
        scheme, _, value = (authorization or "").partition(" ")
        return self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None

    def expire_token(self, token: Token) -> None:
        """Expire `token` now, as if its 7 days had passed: 1001 from now on, and its client id
        may mint again (the per-client limit counts live tokens issued within the window)."""
        now = self.now()
        token.expires_at = min(token.expires_at, now)
        token.issued_at = min(token.issued_at, now - self.settings.token_window)

    def revoke_token(self, token: Token) -> None:
        """Revoke `token`: every later use answers 1001."""
        token.revoked = True

    def expire_session(self, session: Session) -> None:
        """Make `session` idle past the timeout: its next use answers 1002."""
        session.last_active = self.now() - self.settings.session_idle_timeout - 1

    def authenticate(self, authorization: str | None) -> User:
        """The user behind `Authorization: Bearer <token>`; 1001 when missing, unknown or dead."""
        if not authorization:
            raise ApiError(1001, "Missing Authorization: Bearer <token>.")
        token = self.token_of(authorization)
        if token is None:
            raise ApiError(1001, "Unknown token.")
        if token.revoked:
            raise ApiError(1001, "Token revoked.")
        if not token.live(self.clock.now()):
            raise ApiError(1001, "Token expired (tokens live 7 days).")
        return self.users[token.user_id]

    # -- sessions --------------------------------------------------------------------------
    def create_session(self, user: User, name: str, language: str) -> Session:
        """A new session owned by `user`."""
        now = self.now()
        session = Session(
            id=self.ids.uuid("session"),
            task_id="task_" + self.ids.hex("task", 24),
            user_id=user.id,
            name=name,
            language=language,
            created_at=now,
            last_active=now,
        )
        self.sessions[session.id] = session
        return session

    def session_for(self, user: User, session_id: str) -> Session:
        """`user`'s live session (touched); 1002 when unknown, idle-expired or foreign."""
        session = self.sessions.get(session_id)
        now = self.now()
        if session is None or session.user_id != user.id:
            raise ApiError(1002)
        if now - session.last_active > self.settings.session_idle_timeout:
            raise ApiError(1002, "Session expired after being idle.")
        session.last_active = now
        return session

    def change(self, session: Session, **fields: Any) -> None:
        """Apply a state change to `session` and bump its version."""
        for key, value in fields.items():
            setattr(session, key, value)
        session.version += 1
        session.last_active = self.now()

    # -- credits ---------------------------------------------------------------------------
    def freeze(self, user: User, cost: int, session: Session | None = None) -> None:
        """Hold `cost` credits for a running turn; 2001 when not enough are available."""
        if cost <= 0:
            return
        if user.available < cost:
            data: dict[str, Any] = {"required": cost, "available": user.available}
            if not user.registered and session is not None:
                data["bind_id"] = session.task_id
            message = (
                "Not enough credits: top up credits in your account."
                if user.registered
                else "Not enough credits: register to get more (see data.bind_id)."
            )
            raise ApiError(2001, message, data)
        user.frozen += cost

    def consume(self, user: User, cost: int) -> None:
        """A turn succeeded: the held credits are spent."""
        if cost > 0:
            user.frozen -= cost
            user.total -= cost

    def release(self, user: User, cost: int) -> None:
        """A turn failed: the held credits are given back."""
        if cost > 0:
            user.frozen -= cost

    # -- claims ----------------------------------------------------------------------------
    def claim(self, user: User, session: Session) -> Claim:
        """A claim token for `session` (the page link carries it instead of the bearer token)."""
        prefix = contracts.facts()["claim_token"]["prefix"]
        claim = Claim(
            value=prefix + self.secret("claim"),
            user_id=user.id,
            session_id=session.id,
            expires_at=self.now() + self.settings.claim_ttl,
        )
        self.claims[claim.value] = claim
        return claim

    # -- renders ---------------------------------------------------------------------------
    def submit_render(self, user: User, session: Session, render_id: str, draft: Any) -> Render:
        """A render job, or the existing one when `render_id` was already submitted by `user`."""
        key = render_key(user.id, render_id)
        existing = self.renders.get(key)
        if existing is not None:
            return existing
        s = self.settings
        r = self.rng("render", user.id, render_id)
        duration = r.uniform(s.render_min_seconds, s.render_max_seconds)
        render = Render(
            id=render_id,
            user_id=user.id,
            session_id=session.id,
            submitted_at=self.now(),
            pending_seconds=round(min(duration * 0.1, r.uniform(2.0, 8.0)), 3),
            duration=round(duration, 3),
            fails=r.random() < s.render_failure_rate,
            fail_fraction=round(r.uniform(0.2, 0.9), 3),
            media_name=self.secret("media", 24) + ".mp4",
            draft_ms=media.draft_ms(draft),
            media=dataclasses.asdict(media.spec_for(draft, session.canvas_config, s)),
        )
        self.renders[key] = render
        return render

    def render_for(self, user: User, render_id: str) -> Render:
        """`user`'s render `render_id`; 404 when unknown or another user's."""
        render = self.renders.get(render_key(user.id, render_id))
        if render is None:
            raise ApiError(404, f"Render {render_id!r} not found.")
        return render


def render_key(user_id: str, render_id: str) -> str:
    """Where a render lives in `World.renders`: render ids are per user (ASSUMPTION, contracts/)."""
    return f"{user_id}/{render_id}"
