"""The journal: every exchange, bounded, tokens redacted, queryable, NDJSON."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_mock.server.journal import Journal, fingerprint
from tests.conftest import Api


def test_every_exchange_is_journalled_with_status_and_code(api: Api) -> None:
    """Journal: method, path, status, body code for every exchange."""
    api.http.post("/api/auth/anonymous-token")
    e = api.world.journal.query({})[-1]
    assert (e["method"], e["path"], e["status"], e["code"]) == (
        "POST",
        "/api/auth/anonymous-token",
        400,
        400,
    )
    assert e["seq"] >= 1 and e["vtime"] > 0


def test_tokens_are_redacted_to_a_fingerprint(api: Api) -> None:
    """Headers are journalled with tokens redacted to a fingerprint."""
    token = api.token()
    api.http.get("/api/credits/balance/simple", headers=api.headers(token))
    text = api.world.journal.ndjson()
    assert token not in text
    assert f"Bearer {fingerprint(token)}" in text


def test_control_plane_is_not_journalled(api: Api) -> None:
    """Only API traffic is journalled, so verification sees what the client sent."""
    api.http.get("/_mock/health")
    assert api.world.journal.query({"path": "/_mock/health"}) == []


def test_journal_is_a_bounded_ring_that_counts_drops() -> None:
    """Bounded (WireMock's journal grew past 700 MB): the oldest go, and are counted."""
    j = Journal(3)
    for i in range(5):
        j.add({"path": f"/{i}"})
    assert [e["path"] for e in j] == ["/2", "/3", "/4"] and j.dropped == 2


def test_query_filters_by_method_path_prefix_code_and_since() -> None:
    """Filters: method, path (prefix*), code, since."""
    j = Journal(10)
    j.add({"method": "GET", "path": "/api/a", "code": 0})
    j.add({"method": "POST", "path": "/api/b", "code": 400})
    j.add({"method": "POST", "path": "/run_sse", "code": 0})
    assert [e["seq"] for e in j.query({"method": "post"})] == [2, 3]
    assert [e["seq"] for e in j.query({"path": "/api/*"})] == [1, 2]
    assert [e["seq"] for e in j.query({"code": 400})] == [2]
    assert [e["seq"] for e in j.query({"since": 2})] == [3]


def test_ndjson_has_one_json_object_per_line() -> None:
    """Exportable as JSON lines."""
    j = Journal(10)
    j.add({"path": "/x"})
    j.add({"path": "/y"})
    lines = j.ndjson().splitlines()
    assert [json.loads(line)["path"] for line in lines] == ["/x", "/y"]


def test_an_entry_reads_the_same_after_its_headers_are_packed() -> None:
    """An entry's raw headers, packed when the entry opens, read back as the same headers."""
    from nemo_mock.server.journal import RAW_HEADERS, ready
    from nemo_mock.server.journal import packed as pack_headers

    raw = [(b"host", b"h:1"), (b"x-skill-source", b"s"), (b"authorization", b"Bearer t0k")]
    packed, unpacked = {RAW_HEADERS: pack_headers(list(raw))}, {RAW_HEADERS: list(raw)}
    assert isinstance(packed[RAW_HEADERS], bytes)
    ready(packed), ready(unpacked)
    assert (
        packed
        == unpacked
        == {
            "headers": {
                "host": "h:1",
                "x-skill-source": "s",
                "authorization": f"Bearer {fingerprint('t0k')}",
            },
            "missing_attribution": ["x-skill-version", "x-skill-platform"],
        }
    )


def test_a_full_ring_keeps_the_newest_entries_by_count_and_by_bytes() -> None:
    """At most `size` entries and about `max_bytes`: the oldest go first, counted as dropped."""
    j = Journal(3, max_bytes=4 * 1024 + 100)
    for i in range(5):
        j.add({"i": i})
    assert ([e["i"] for e in j.rows()], j.dropped) == ([2, 3, 4], 2)
    j.add({"i": 5}, header_bytes=2048)  # 3 x 1024 + 1024 + 2048 > 4,196: two more leave
    assert ([e["i"] for e in j.rows()], j.dropped) == ([4, 5], 4)


def test_a_client_sending_the_same_headers_again_shares_one_packed_copy() -> None:
    """HeaderPacker: equal headers from the same address give the very bytes packed before;
    anything else is packed anew, and always equals what `packed` gives."""
    from nemo_mock.server.journal import HeaderPacker, packed

    pack = HeaderPacker()
    a = [(b"host", b"h:1"), (b"authorization", b"Bearer one")]
    b = [(b"host", b"h:1"), (b"authorization", b"Bearer two")]
    first = pack(("10.0.0.1", 5000), list(a), 20)
    assert first == packed(a)
    assert pack(("10.0.0.1", 5000), list(a), 20) is first  # shared, not packed again
    assert pack(("10.0.0.1", 5000), list(b), 20) == packed(b)  # same address, other headers
    assert pack(("10.0.0.2", 5000), list(a), 20) == packed(a)
    # not remembered: an unhashable or absent client, or a head over the size worth keeping
    odd = (["10.0.0.1", 5000], None, ("10.0.0.3", ["x"]))  # unhashable, absent, holds a list
    for client, size in [*((c, 20) for c in odd), (("10.0.0.3", 1), 10**6)]:
        one, two = pack(client, list(a), size), pack(client, list(a), size)
        assert one == two == packed(a) and one is not two


def test_a_header_list_changed_after_packing_is_not_mistaken_for_the_old_one() -> None:
    """The packer keeps a copy of the list it packed: a scope's list changed in place later
    (by a middleware, say) and sent again reads as what it now holds."""
    from nemo_mock.server.journal import HeaderPacker, packed

    pack = HeaderPacker()
    headers = [(b"host", b"h:1"), (b"authorization", b"Bearer one")]
    pack(("10.0.0.1", 5000), headers, 20)
    headers[1] = (b"authorization", b"Bearer two")
    assert marshal_loads(pack(("10.0.0.1", 5000), headers, 20)) == [
        (b"host", b"h:1"),
        (b"authorization", b"Bearer two"),
    ]
    assert pack(("10.0.0.1", 5000), headers, 20) == packed(headers)


def marshal_loads(raw: bytes) -> object:
    import marshal

    return marshal.loads(raw)


@given(
    st.lists(
        st.tuples(
            st.sampled_from([("a", 1), ("a", 2), ("b", 1), None]),
            st.lists(
                st.tuples(st.sampled_from([b"host", b"x-a", b"authorization"]), st.binary()),
                max_size=4,
            ),
        ),
        max_size=30,
    )
)
@settings(max_examples=200, deadline=None)
def test_the_packer_always_answers_what_packing_answers(
    requests: list[tuple[tuple[str, int] | None, list[tuple[bytes, bytes]]]],
) -> None:
    """Whatever sequence of clients and headers arrives, each answer unpacks to that request's
    own headers (compared by unpacking, not by the function under test)."""
    from nemo_mock.server.journal import HeaderPacker

    pack = HeaderPacker()
    for client, headers in requests:
        size = sum(len(k) + len(v) for k, v in headers)
        assert marshal_loads(pack(client, headers, size)) == headers


def test_entries_from_one_connection_keep_each_request_s_own_headers(api: Api) -> None:
    """Through the app: one client address sends token A, B, then A again; each entry shows
    its own token's fingerprint (the packer is reused across those requests)."""
    ta, tb = api.token(), api.token()
    api.world.journal.clear()
    for tok in (ta, tb, ta):
        api.http.get("/api/credits/balance/simple", headers=api.headers(tok))
    seen = [e["headers"]["authorization"] for e in api.world.journal.query({})]
    assert seen == [f"Bearer {fingerprint(t)}" for t in (ta, tb, ta)]


def test_entries_with_the_same_path_share_one_string(api: Api) -> None:
    """Polls of one path keep one shared path string in the ring, not one each."""
    tok = api.token()
    for _ in range(2):
        api.http.get("/api/credits/balance/simple", headers=api.headers(tok))
    first, second = api.world.journal.query({})[-2:]
    assert first["path"] == "/api/credits/balance/simple"
    assert first["path"] is second["path"]


@given(st.lists(st.sampled_from(["/a", "/b", "/c", "/d", "", "/a\n", "/é"]), max_size=40))
@settings(max_examples=100, deadline=None)
def test_an_entry_always_keeps_its_own_request_path(paths: list[str]) -> None:
    """Whatever paths arrive, with the shared-path table filling and being forgotten (kept
    small here), each entry's path is its request's path."""
    from unittest import mock

    from nemo_mock.server import journal_middleware
    from nemo_mock.server.settings import Settings
    from nemo_mock.server.world import World

    world = World(Settings())
    with (
        mock.patch.object(journal_middleware, "MAX_PATHS", 3),
        mock.patch.object(journal_middleware, "_PATHS", {}),
    ):
        for path in paths:
            scope = {"method": "GET", "path": path, "headers": [], "state": {}}
            assert journal_middleware.open_entry(world, scope)["path"] == path
            assert len(journal_middleware._PATHS) <= 3
