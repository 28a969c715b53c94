"""The sentences the checks enforce, quoted word for word from the documents (DESIGN §9).

`seeds` quotes one of the five public skill documents, `v1.9` the vendor's skill document;
both bind (a MUST may rest on them). `declared` is the target's own declaration of a capability
(e.g. `error_status=http`), which binds that target only. `assumption` quotes our contracts/
where every public source is silent, and `ADK` the framework /run_sse is evidently built on:
neither binds, so checks resting only on them are SHOULDs.
"""

from __future__ import annotations

from dataclasses import dataclass

BINDING = ("seeds", "v1.9", "declared")


@dataclass(frozen=True)
class Cite:
    """One quoted sentence and where it comes from."""

    source: str  # seeds | v1.9 | declared | assumption | ADK
    text: str

    @property
    def binding(self) -> bool:
        return self.source in BINDING

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "text": self.text}


def seeds(text: str) -> Cite:
    return Cite("seeds", text)


def v19(text: str) -> Cite:
    return Cite("v1.9", text)


def assumption(text: str) -> Cite:
    return Cite("assumption", text)


# -- tokens ------------------------------------------------------------------------------------
TOKEN_SHAPE = v19('# → {"code":0,"data":{"token":"nmv_usr_xxx","credits":100,...}}')
TOKEN_CREDITS = seeds(
    "The response field data.token becomes your NEMO_TOKEN (100 credits, 7-day expiry)."
)
TOKEN_PER_CLIENT = v19("Anonymous: 1 token per client per 7 days; token expires in 7 days")
RATE_LIMIT = seeds("| 429 | Rate limit (1 token/client/7 days) | Retry in 30s once |")
TOKEN_PER_IP = v19("(default 10 tokens per 7 days per IP)")
TOKEN_REMINT = v19("If your token expires, request a new one with the same `X-Client-Id`.")
BAD_TOKEN = seeds(
    "| 1001 | Bad/expired token | Re-auth via anonymous-token (tokens expire after 7 days) |"
)
MISSING_CLIENT_ID = seeds("| 400 | Missing X-Client-Id | Generate Client-Id and retry (see §1) |")
NEVER_IN_URL = v19("**NEVER put `$TOKEN` (the `nmv_usr_*` token) in a URL.**")

# -- sessions, credits, state, uploads ---------------------------------------------------------
SESSION_NO_LANGUAGE = seeds(
    'with Bearer auth and body {"task_name":"project"}. Save session_id from the response.'
)
SESSION_WITH_LANGUAGE = seeds(
    'Create session: POST /api/tasks/me/with-session/nemo_agent — body {"task_name":"project",'
    '"language":"<lang>"} — returns task_id, session_id.'
)
CREDITS = seeds("Credits: GET /api/credits/balance/simple — returns available, frozen, total")
STATE = seeds(
    "Session state: GET /api/state/nemo_agent/me/<sid>/latest — key fields: data.state.draft, "
    "data.state.video_infos, data.state.generated_media"
)
SESSION_NOT_FOUND = seeds("| 1002 | Session not found | New session §3.0 |")
UPLOAD = seeds(
    'Upload: POST /api/upload-video/nemo_agent/me/<sid> — file: multipart -F "files=@/path", '
    'or URL: {"urls":["<url>"],"source_type":"url"}'
)
FORMATS = seeds(
    "Supported formats: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac."
)
UNSUPPORTED = seeds("| 4001 | Unsupported file | Show supported formats |")
TOO_LARGE = seeds("| 4002 | File too large | Suggest compress/trim |")
MAX_200MB = seeds("Max file size is 200MB.")
NO_CREDITS = seeds("| 2001 | No credits |")
BIND_ID = assumption(
    "data.bind_id carries the task id for anonymous users; the seeds name ?bind=<id> but not the "
    "field. (contracts/errors.yaml)"
)
MALFORMED_400 = assumption(
    "Every other malformed request (bad JSON, missing field, draft without content) also answers "
    "400; the seeds only name X-Client-Id. (contracts/errors.yaml)"
)

# -- export ------------------------------------------------------------------------------------
ATTRIBUTION_402 = seeds("Missing attribution headers will cause export to fail with 402.")
EXPORT_BLOCKED = seeds("| 402 | Free plan export blocked |")
RENDER_STATUS = v19(
    "Status at top-level `status`: pending → processing → completed / failed. "
    "Download URL at `output.url`."
)
RENDER_POLL = seeds(
    "Poll GET /api/render/proxy/lambda/<id> every 30s until status = completed. "
    "Download URL at output.url."
)
RENDER_FALLBACK = v19("Fallback: `$API/api/render/proxy/<id>/download`.")
RENDER_PROGRESS = assumption(
    "progress 0..1 never decreasing (DESIGN §3.5); v1.9 only shows progress messages "
    '"⏳ Rendering ~30s" → "⏳ 50%"'
)
DRAFT_READY = v19(
    "**Draft ready for export** when `draft.t` exists with at least one track with non-empty `sg`."
)
UNKNOWN_RENDER_404 = assumption(
    "No public source documents the answer for an unknown render id; 404 in the envelope is "
    "chosen. (contracts/errors.yaml)"
)
ROUTE_404 = assumption("An unknown path answers 404 in the envelope. (contracts/errors.yaml)")

# -- claim -------------------------------------------------------------------------------------
CLAIM_TOKEN = v19('# → {"code":0,"data":{"claim_token":"clm_xxx","expires_in":604800}}')
CLAIM_NO_API = v19(
    "The claim token has no API access — it can only open the project in the browser."
)
CLAIM_URL = v19("Then construct the URL: `$WEB/workspace/claim?ct=<claim_token>`")

# -- /run_sse ----------------------------------------------------------------------------------
SSE_REQUEST = seeds(
    'Send message (SSE): POST /run_sse — body {"app_name":"nemo_agent","user_id":"me",'
    '"session_id":"<sid>","new_message":{"parts":[{"text":"<msg>"}]}} with Accept: '
    "text/event-stream."
)
SSE_EVENTS = v19("| Text response | Apply GUI translation (§4), present to user |")
SSE_CLOSES = v19("| Stream closes | Process final response |")
SSE_HEARTBEATS = seeds(
    "Heartbeats and empty data: lines mean the backend is still working — show "
    '"⏳ Still working..." every 2 minutes.'
)
SSE_HEARTBEAT_TIMEOUT = v19("**Timeout**: 10 min heartbeats-only → assume timeout.")
SSE_HEARTBEAT_INTERVAL = assumption(
    "heartbeat_interval_seconds: 10 — the interval is undocumented; 10 s chosen "
    "(contracts/facts.yaml); the suite judges spacing against the target's declared interval"
)
SILENT_EDITS = v19("~30% of edits return no text — only tool calls.")
SILENT_SEEDS = seeds(
    "About 30% of edit operations close the stream without any text. When that happens, poll "
    "/api/state to confirm the timeline changed"
)
ADK_FRAMING = Cite(
    "ADK",
    "Google ADK's api_server /run_sse yields `data: <event JSON>\\n\\n` per event "
    "(no event:/id: lines) and ends by closing (DESIGN §3.4 [ADK])",
)
ADK_CAMEL = Cite("ADK", "ADK's request model accepts camelCase aliases (appName, newMessage, ...)")
# -- the target's own declaration --------------------------------------------------------------
DECLARED_ERROR_STATUS = Cite(
    "declared",
    "error_status=body|http (discovered from GET /_mock/config or --capability): in `http` mode "
    "1001→401, 1002→404, 2001→402, 4001→415, 4002→413; in `body` mode they ride on HTTP 200 "
    "(contracts/errors.yaml)",
)
