"""The store contract (mock_server/stores/base.py), run against memory, sqlite and redis."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nemo_mock.server.stores import Store, StoreError

USER = {"id": "usr_1", "client_id": "c1", "registered": False, "total": 100, "frozen": 30}
DRAFT = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 5000, "m": {"name": "城市 timelapse"}}]}]}


def test_written_rows_load_back_equal(make_store: Callable[[], Store]) -> None:
    """`load` gives back every row `write` stored, by kind and key."""
    store = make_store()
    store.write([("user", "usr_1", USER), ("session", "s1", {"id": "s1", "draft": DRAFT})])
    assert store.load() == {
        "user": {"usr_1": USER},
        "session": {"s1": {"id": "s1", "draft": DRAFT}},
    }


def test_a_put_replaces_the_row_with_the_same_key(make_store: Callable[[], Store]) -> None:
    """Writing a key again replaces its value (credits change in place)."""
    store = make_store()
    store.write([("user", "usr_1", USER)])
    store.write([("user", "usr_1", {**USER, "frozen": 0, "total": 70})])
    assert store.load()["user"]["usr_1"]["total"] == 70


def test_a_delete_removes_only_that_row(make_store: Callable[[], Store]) -> None:
    """`deletes` remove the named rows and nothing else."""
    store = make_store()
    store.write([("token", "a", {"v": 1}), ("token", "b", {"v": 2})])
    store.write(deletes=[("token", "a")])
    assert store.load() == {"token": {"b": {"v": 2}}}


def test_clear_empties_only_the_named_kinds(make_store: Callable[[], Store]) -> None:
    """`clear` empties whole kinds (a reset), other kinds stay."""
    store = make_store()
    store.write([("token", "a", {"v": 1}), ("meta", "seed", 7)])
    store.write(clear=["token"])
    assert store.load() == {"meta": {"seed": 7}}


def test_puts_of_a_batch_land_after_its_clear(make_store: Callable[[], Store]) -> None:
    """One batch applies clear, then deletes, then puts (a restore replaces a kind whole)."""
    store = make_store()
    store.write([("claim", "old", {"v": 0})])
    store.write([("claim", "new", {"v": 1})], clear=["claim"])
    assert store.load() == {"claim": {"new": {"v": 1}}}


def test_a_batch_with_an_unknown_kind_writes_nothing(make_store: Callable[[], Store]) -> None:
    """A batch is atomic: one bad row and none of it is stored."""
    store = make_store()
    with pytest.raises(StoreError):
        store.write([("user", "usr_1", USER), ("nonsense", "x", 1)])
    assert store.load() == {}


def test_loaded_values_are_copies(make_store: Callable[[], Store]) -> None:
    """Changing what `load` returned does not change the store."""
    store = make_store()
    store.write([("session", "s1", {"draft": DRAFT})])
    store.load()["session"]["s1"]["draft"]["t"].clear()
    assert store.load()["session"]["s1"]["draft"] == DRAFT


def test_json_values_round_trip_exactly(make_store: Callable[[], Store]) -> None:
    """Floats, nulls, booleans, unicode and nesting come back as written."""
    value = {"f": 1800000000.123456, "n": None, "b": True, "s": "点击导出", "l": [1, [2, {}]]}
    store = make_store()
    store.write([("meta", "clock", value)])
    assert store.load()["meta"]["clock"] == value


def test_rows_survive_reopening_a_durable_store(
    make_store: Callable[[], Store], store_url: str
) -> None:
    """A durable store gives back after a restart what it acknowledged before it."""
    store = make_store()
    if not store.durable:
        pytest.skip("not applicable: the memory store is not durable by design")
    store.write([("user", "usr_1", USER), ("meta", "seed", 7)])
    again = make_store()
    assert again.load() == {"user": {"usr_1": USER}, "meta": {"seed": 7}}
