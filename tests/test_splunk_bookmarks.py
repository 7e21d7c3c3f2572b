"""estreamer_splunk.bookmarks: KV-store bookmarks through solnlib against the splunkd double."""
import json
import logging
import types

import pytest
import solnlib.utils

from estreamer.bookmark import Bookmark
from estreamer_splunk.bookmarks import COLLECTION, KVStoreBookmarkStore, fallback_path
from splunkd_double import SplunkdDouble, splunkd, ucc_state  # noqa: F401 (fixture)

LOGGER = "estreamer_splunk.bookmarks"


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch):
    """solnlib retries HTTP errors with 1+2+4 s sleeps; the tests need not wait for them."""
    monkeypatch.setattr(solnlib.utils, "time", types.SimpleNamespace(sleep=lambda s: None))


def _store(double, tmp_path, name="fmc_in"):
    return KVStoreBookmarkStore(name, double.session_key, "http", "127.0.0.1", double.port,
                                str(tmp_path))


def test_first_run_loads_none(splunkd, tmp_path):
    assert _store(splunkd, tmp_path).load() is None


def test_round_trip_through_the_kv_store(splunkd, tmp_path):
    _store(splunkd, tmp_path).save(Bookmark(1700000000, 12))
    assert _store(splunkd, tmp_path).load() == Bookmark(1700000000, 12)


def test_document_shape(splunkd, tmp_path):
    _store(splunkd, tmp_path).save(Bookmark(1700000000, 3))
    doc = splunkd.documents(COLLECTION)["fmc_in"]
    assert doc["_key"] == "fmc_in"
    assert json.loads(doc["state"]) == {"timestamp": 1700000000, "count": 3}


def test_inputs_do_not_share_bookmarks(splunkd, tmp_path):
    _store(splunkd, tmp_path, "a").save(Bookmark(10, 1))
    assert _store(splunkd, tmp_path, "b").load() is None


def test_call_sequence_is_the_toolchain_contract(splunkd, tmp_path):
    store = _store(splunkd, tmp_path)
    store.load()
    store.save(Bookmark(5, 1))
    calls = [(c["method"], c["endpoint"], c["query"].get("search")) for c in splunkd.journal]
    data = "storage/collections/data/" + COLLECTION
    assert calls == [
        ("GET", "storage/collections/config/" + COLLECTION, None),
        ("POST", "storage/collections/config", None),
        ("GET", "storage/collections/config", COLLECTION),
        ("GET", data + "/fmc_in", None),
        ("POST", data + "/batch_save", None),
    ]
    journal = splunkd.journal
    assert journal[1]["body"] == {"name": COLLECTION, "field.state": "string"}
    assert journal[3]["status"] == 404
    assert journal[4]["body"] == [{"_key": "fmc_in",
                                   "state": json.dumps({"timestamp": 5, "count": 1})}]
    assert all(c["auth"] == "ok" and c["path"].startswith("/servicesNS/nobody/TA_firepower_estreamer/")
               for c in journal)


def test_declared_collection_is_not_created_again(tmp_path):
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}}})
    with SplunkdDouble(state) as double:
        _store(double, tmp_path).load()
        assert [c["method"] for c in double.journal] == ["GET", "GET", "GET"]


@pytest.mark.parametrize("mode", ["unavailable", "disabled"])
def test_unavailable_kv_store_falls_back_to_a_file_with_one_warning(splunkd, tmp_path, caplog,
                                                                    mode):
    splunkd.set_kvstore(mode)
    store = _store(splunkd, tmp_path)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert store.load() is None
        store.save(Bookmark(7, 2))
        store.save(Bookmark(8, 1))
        assert store.load() == Bookmark(8, 1)
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    path = fallback_path(str(tmp_path), "fmc_in")
    assert path in warnings[0].getMessage() and "503" in warnings[0].getMessage()
    assert store.backend == "file"
    assert json.loads(open(path).read()) == {"timestamp": 8, "count": 1}


def test_connection_refused_falls_back_too(tmp_path, caplog):
    with SplunkdDouble(ucc_state()) as double:
        port = double.port
    store = KVStoreBookmarkStore("fmc_in", "K", "http", "127.0.0.1", port, str(tmp_path))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        store.save(Bookmark(9, 9))
    assert store.backend == "file"
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1
    assert "Connection" in caplog.records[-1].getMessage()


def test_a_kv_store_that_stops_answering_falls_back_after_the_timeout(splunkd, tmp_path, caplog):
    store = KVStoreBookmarkStore("fmc_in", splunkd.session_key, "http", "127.0.0.1",
                                 splunkd.port, str(tmp_path), timeout=0.5)
    store.save(Bookmark(5, 1))
    splunkd.set_kvstore("stalled")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        store.save(Bookmark(6, 2))
    assert store.backend == "file"
    assert "timed out" in caplog.records[-1].getMessage()
    assert json.loads(open(fallback_path(str(tmp_path), "fmc_in")).read()) == {
        "timestamp": 6, "count": 2}


def test_kv_store_failing_mid_run_moves_the_next_saves_to_the_file(splunkd, tmp_path):
    store = _store(splunkd, tmp_path)
    store.save(Bookmark(1, 1))
    splunkd.set_kvstore("unavailable")
    store.save(Bookmark(2, 1))
    assert store.backend == "file" and store.load() == Bookmark(2, 1)


def test_after_a_fallback_run_the_newer_file_wins_and_is_then_removed(splunkd, tmp_path):
    _store(splunkd, tmp_path).save(Bookmark(100, 1))
    splunkd.set_kvstore("unavailable")
    _store(splunkd, tmp_path).save(Bookmark(200, 5))  # a run without the KV store
    splunkd.set_kvstore("ready")
    store = _store(splunkd, tmp_path)
    assert store.load() == Bookmark(200, 5)
    store.save(Bookmark(201, 1))
    assert store.backend == "kvstore"
    assert not (tmp_path / "fmc_in.bookmark.json").exists()
    assert _store(splunkd, tmp_path).load() == Bookmark(201, 1)


def test_wrong_session_key_is_an_error_not_a_fallback(splunkd, tmp_path):
    from splunklib import binding

    store = KVStoreBookmarkStore("fmc_in", "wrong", "http", "127.0.0.1", splunkd.port,
                                 str(tmp_path))
    with pytest.raises(binding.HTTPError):
        store.load()
    assert store.backend == "kvstore"


def test_malformed_document_names_the_fix(tmp_path):
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}, "documents": [
        {"_key": "fmc_in", "state": json.dumps({"timestamp": "x"})}]}})
    with SplunkdDouble(state) as double:
        with pytest.raises(ValueError, match="delete that document"):
            _store(double, tmp_path).load()
