"""Verify helpers: count, order and spacing in virtual seconds, with similar requests on failure."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nemo_mock.server.verify import VerificationError, expect
from tests.conftest import Api


def _polls(api: Api, token: str, every: float, n: int) -> None:
    for _ in range(n):
        api.http.get("/api/render/proxy/lambda/render_1", headers=api.headers(token))
        api.advance(every)


def test_count_passes_on_the_right_number(make_api: Callable[..., Api]) -> None:
    """`.request(method, path).count(n)` holds when n such requests arrived."""
    api = make_api()
    api.token()
    api.token()
    expect(api.world.journal).request("POST", "/api/auth/anonymous-token").count(2)


def test_count_failure_lists_similar_requests(make_api: Callable[..., Api]) -> None:
    """A failed count names what did arrive: same path with another method."""
    api = make_api()
    api.token()
    with pytest.raises(VerificationError) as err:
        expect(api.world.journal).request("GET", "/api/auth/anonymous-token").count(1)
    message = str(err.value)
    assert "Expected exactly 1 request(s) GET /api/auth/anonymous-token, got 0." in message
    assert "Similar requests that did arrive:" in message
    assert "POST /api/auth/anonymous-token" in message


def test_similar_lists_close_paths_for_the_same_method(make_api: Callable[..., Api]) -> None:
    """A typo in the path shows the request with the close path."""
    api = make_api()
    token = api.token()
    api.http.get("/api/credits/balance/simple", headers=api.headers(token))
    with pytest.raises(VerificationError) as err:
        expect(api.world.journal).request("GET", "/api/credits/balance").once()
    assert [e["path"] for e in err.value.result.similar] == ["/api/credits/balance/simple"]


def test_never_fails_when_the_request_arrived(make_api: Callable[..., Api]) -> None:
    """`.never()` fails and lists the matching request."""
    api = make_api()
    api.token()
    with pytest.raises(VerificationError, match="Matching requests"):
        expect(api.world.journal).request("POST", "/api/auth/*").never()


def test_spaced_checks_virtual_gaps(make_api: Callable[..., Api]) -> None:
    """`.spaced(at_least=30, tolerance=1)` holds for polls 30 virtual seconds apart."""
    api = make_api()
    token = api.token()
    _polls(api, token, 30, 3)
    expect(api.world.journal).request("GET", "/api/render/proxy/lambda/*").spaced(
        at_least=30, tolerance=1
    )


def test_spaced_failure_names_the_short_gap(make_api: Callable[..., Api]) -> None:
    """Polls 10 s apart fail a 30 s spacing, naming the gap."""
    api = make_api()
    token = api.token()
    _polls(api, token, 10, 3)
    with pytest.raises(VerificationError, match=r"gap 1 is 10\.0s"):
        expect(api.world.journal).request("GET", "/api/render/proxy/lambda/*").spaced(at_least=30)


def test_spaced_needs_two_requests(make_api: Callable[..., Api]) -> None:
    """Spacing cannot be shown with fewer than two requests: that fails."""
    api = make_api()
    token = api.token()
    _polls(api, token, 30, 1)
    with pytest.raises(VerificationError, match="at least 2"):
        expect(api.world.journal).request("GET", "/api/render/proxy/lambda/*").spaced(at_least=30)


def test_in_order_accepts_requests_in_that_order(make_api: Callable[..., Api]) -> None:
    """`.in_order([...])` holds when the steps arrived in order (others may come between)."""
    api = make_api()
    token = api.token()
    api.session(token)
    api.http.get("/api/credits/balance/simple", headers=api.headers(token))
    expect(api.world.journal).in_order(
        [("POST", "/api/auth/anonymous-token"), ("GET", "/api/credits/*")]
    )


def test_in_order_failure_shows_the_order_that_arrived(make_api: Callable[..., Api]) -> None:
    """Out of order: the message shows the relevant requests as they arrived."""
    api = make_api()
    token = api.token()
    api.session(token)
    with pytest.raises(VerificationError) as err:
        expect(api.world.journal).in_order(
            [("POST", "/api/tasks/*"), ("POST", "/api/auth/anonymous-token")]
        )
    assert "step 2" in str(err.value) and "Relevant requests as they arrived" in str(err.value)


def test_since_limits_to_later_entries(make_api: Callable[..., Api]) -> None:
    """`expect(journal, since=seq)` only sees entries after `seq`."""
    api = make_api()
    api.token()
    seq = api.world.journal.query()[-1]["seq"]
    api.token()
    expect(api.world.journal, since=seq).request("POST", "/api/auth/*").count(1)


def test_verify_over_http_answers_ok(make_api: Callable[..., Api]) -> None:
    """POST /_mock/verify answers {ok: true} when the expectation holds."""
    api = make_api()
    api.token()
    body = {"request": {"method": "POST", "path": "/api/auth/anonymous-token"}, "count": 1}
    data = api.http.post("/_mock/verify", json=body).json()["data"]
    assert data["ok"] is True and data["matched"][0]["path"] == "/api/auth/anonymous-token"


def test_verify_over_http_failure_lists_similar(make_api: Callable[..., Api]) -> None:
    """A failed expectation answers ok false, the message and the similar requests."""
    api = make_api()
    api.token()
    body = {"request": {"method": "GET", "path": "/api/auth/anonymous-token"}, "count": {"min": 1}}
    data = api.http.post("/_mock/verify", json=body).json()["data"]
    assert data["ok"] is False and "Similar requests" in data["message"]
    assert data["similar"][0]["method"] == "POST"


def test_verify_over_http_in_order_and_spaced(make_api: Callable[..., Api]) -> None:
    """in_order and spaced work over HTTP too."""
    api = make_api()
    token = api.token()
    _polls(api, token, 30, 2)
    order = {"in_order": [{"method": "POST", "path": "/api/auth/*"}, {"path": "/api/render/*"}]}
    spaced = {"request": {"path": "/api/render/*"}, "spaced": {"at_least": 30}}
    assert api.http.post("/_mock/verify", json=order).json()["data"]["ok"] is True
    assert api.http.post("/_mock/verify", json=spaced).json()["data"]["ok"] is True


def test_verify_filters_on_code(make_api: Callable[..., Api]) -> None:
    """`request.code` selects by envelope code."""
    api = make_api()
    api.http.get("/api/credits/balance/simple")  # no token: 1001
    body = {"request": {"path": "/api/credits/*", "code": 1001}, "count": 1}
    assert api.http.post("/_mock/verify", json=body).json()["data"]["ok"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"count": 1}, "request", id="no-request"),
        pytest.param({"request": {"method": "FETCH"}}, "request.method", id="method"),
        pytest.param({"request": {}, "count": "x"}, "count", id="count"),
        pytest.param({"request": {}, "spaced": {"at_least": "x"}}, "spaced.at_least", id="spaced"),
        pytest.param({"in_order": []}, "in_order", id="order"),
        pytest.param({"request": {}, "wat": 1}, "wat", id="unknown"),
    ],
)
def test_bad_expectation_answers_400(
    make_api: Callable[..., Api], body: dict[str, object], field: str
) -> None:
    """A malformed expectation answers 400 naming the field."""
    r = make_api().http.post("/_mock/verify", json=body)
    assert (r.json()["code"], r.json()["data"]["field"]) == (400, field)


def test_spacing_after_a_stream_counts_from_its_end() -> None:
    """One spacing meaning for verify and the scenario runner: after a stream, from its end."""
    from nemo_mock.server.verify import check

    entries = [
        {
            "seq": 1,
            "method": "POST",
            "path": "/run_sse",
            "vtime": 0.0,
            "vtime_end": 100.0,
            "content_type": "text/event-stream; charset=utf-8",
            "headers": {},
        },
        {
            "seq": 2,
            "method": "POST",
            "path": "/run_sse",
            "vtime": 110.0,
            "vtime_end": 111.0,
            "content_type": "application/json",
            "headers": {},
        },
    ]
    spec = {"request": {"path": "/run_sse"}, "spaced": {"at_least": 30}}
    result = check(entries, spec)
    assert not result.ok and "10.0s" in result.message


def _verify_examples() -> list[object]:
    from nemo_mock import contracts

    op = contracts.control_openapi()["paths"]["/_mock/verify"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    return [pytest.param(ex["value"], id=name) for name, ex in examples.items()]


@pytest.mark.parametrize("body", _verify_examples())
def test_every_documented_example_is_judged(make_api: Callable[..., Api], body: object) -> None:
    """control-openapi.yaml's /_mock/verify examples are expectations the server judges (200)."""
    r = make_api().http.post("/_mock/verify", json=body)
    assert r.status_code == 200 and isinstance(r.json()["data"]["ok"], bool), r.text
