"""estreamer_splunk.bookmarks: KV-store bookmarks through solnlib against the splunkd double."""
import json
import logging
import time
import types

import pytest
import solnlib.utils

from estreamer.bookmark import Bookmark, BookmarkUnreadable
from estreamer_splunk import bookmarks
from estreamer_splunk.bookmarks import (
    COLLECTION,
    KVStoreBookmarkStore,
    KVStoreUnavailable,
    SessionExpired,
    fallback_path,
)
from splunkd_double import SplunkdDouble, ucc_state

LOGGER = "estreamer_splunk.bookmarks"


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch):
    """solnlib retries HTTP errors with 1+2+4 s sleeps; the tests need not wait for them."""
    monkeypatch.setattr(solnlib.utils, "time", types.SimpleNamespace(sleep=lambda s: None))


def _store(double, tmp_path, name="fmc_in", **options):
    return KVStoreBookmarkStore(name, double.session_key, "http", "127.0.0.1", double.port,
                                str(tmp_path), **options)


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
def test_a_kv_store_failing_mid_run_moves_the_saves_to_the_file_with_one_warning(
        splunkd, tmp_path, caplog, mode):
    store = _store(splunkd, tmp_path)
    assert store.load() is None
    splunkd.set_kvstore(mode)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        store.save(Bookmark(7, 2))
        store.save(Bookmark(8, 1))
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


def test_after_a_fallback_run_the_newer_file_wins_and_stays_as_the_mirror(splunkd, tmp_path):
    _store(splunkd, tmp_path).save(Bookmark(100, 1))
    splunkd.set_kvstore("unavailable")
    _store(splunkd, tmp_path).save(Bookmark(200, 5))  # a run without the KV store
    splunkd.set_kvstore("ready")
    store = _store(splunkd, tmp_path)
    assert store.load() == Bookmark(200, 5)
    store.save(Bookmark(201, 1))
    assert store.backend == "kvstore"
    assert _store(splunkd, tmp_path).load() == Bookmark(201, 1)
    assert json.loads((tmp_path / "fmc_in.bookmark.json").read_text()) == {
        "timestamp": 201, "count": 1}


def test_a_wrong_session_key_is_session_expired_not_a_fallback(splunkd, tmp_path):
    store = KVStoreBookmarkStore("fmc_in", "wrong", "http", "127.0.0.1", splunkd.port,
                                 str(tmp_path))
    with pytest.raises(SessionExpired, match="refused the input's session key"):
        store.load()
    assert not (tmp_path / "fmc_in.bookmark.json").exists()


def test_malformed_document_names_the_fix(tmp_path):
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}, "documents": [
        {"_key": "fmc_in", "state": json.dumps({"timestamp": "x"})}]}})
    with SplunkdDouble(state) as double:
        with pytest.raises(BookmarkUnreadable, match="delete that document"):
            _store(double, tmp_path).load()


def test_a_bookmark_document_of_the_wrong_type_names_the_fix(tmp_path):
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}, "documents": [
        {"_key": "fmc_in", "state": "[1700000000, 3]"}]}})
    with SplunkdDouble(state) as double:
        with pytest.raises(BookmarkUnreadable, match="delete that document"):
            _store(double, tmp_path).load()


def test_a_bookmark_document_that_is_not_json_names_the_fix(tmp_path):
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}, "documents": [
        {"_key": "fmc_in", "state": "{\"timestamp\": 17"}]}})
    with SplunkdDouble(state) as double:
        with pytest.raises(BookmarkUnreadable, match="delete that document"):
            _store(double, tmp_path).load()


def test_a_truncated_mirror_file_is_named_with_the_fix(splunkd, tmp_path):
    path = tmp_path / "fmc_in.bookmark.json"
    path.write_text('{"timestamp": 17000')
    with pytest.raises(BookmarkUnreadable) as caught:
        _store(splunkd, tmp_path).load()
    assert str(path) in str(caught.value) and "move it away" in str(caught.value)


# --- a KV store that is starting (splunkd starts inputs before its KV store is ready) ---------

@pytest.fixture
def quick_wait(monkeypatch):
    monkeypatch.setattr(bookmarks, "WAIT_STEP", 0.1)


def _seeded(bookmark=None, **extra):
    state = bookmark.as_dict() if isinstance(bookmark, Bookmark) else bookmark
    documents = [] if bookmark is None else [{"_key": "fmc_in", "state": json.dumps(state)}]
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"},
                                                "documents": documents}})
    state.update(extra)
    return state


def test_a_starting_kv_store_is_waited_for_and_its_bookmark_used(tmp_path, caplog, quick_wait):
    told = []
    with SplunkdDouble(_seeded(Bookmark(1700000100, 4), kvstore_starting=1.0)) as double:
        store = _store(double, tmp_path, wait=30, on_wait=told.append)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            assert store.load() == Bookmark(1700000100, 4)
    assert store.backend == "kvstore"
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING and r.name == LOGGER]
    assert len(warnings) == 1 and "waiting up to 30 s" in warnings[0]
    assert "503" in warnings[0] and "no bookmark file" in warnings[0]
    assert told == warnings
    assert any("KV store ready after" in r.getMessage() for r in caplog.records)


def test_without_a_file_a_kv_store_still_starting_after_the_wait_means_exit_not_genesis(
        tmp_path, quick_wait):
    with SplunkdDouble(_seeded(Bookmark(1700000100, 4), kvstore_starting=60)) as double:
        store = _store(double, tmp_path, wait=0.5)
        with pytest.raises(KVStoreUnavailable) as caught:
            store.load()
    text = str(caught.value)
    assert "after 0.5 s" in text and "exits so that splunkd starts it again" in text
    assert fallback_path(str(tmp_path), "fmc_in") in text


def test_with_a_file_a_kv_store_still_starting_after_the_wait_resumes_from_the_file(
        tmp_path, quick_wait):
    with SplunkdDouble(_seeded(Bookmark(1700000100, 4))) as double:
        _store(double, tmp_path).save(Bookmark(1700000200, 1))  # the mirror
        double.start_kvstore(60)
        store = _store(double, tmp_path, wait=0.5)
        assert store.load() == Bookmark(1700000200, 1)
        assert store.backend == "file"


def test_a_disabled_kv_store_is_not_waited_for_the_file_is_the_store(tmp_path, caplog):
    with SplunkdDouble(_seeded(kvstore="disabled")) as double:
        (tmp_path / "fmc_in.bookmark.json").write_text(Bookmark(40, 2).as_json())
        store = _store(double, tmp_path, wait=300)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            assert store.load() == Bookmark(40, 2)
        assert time.monotonic() - started < 5 and store.backend == "file"
    assert "KV Store is disabled" in caplog.records[-1].getMessage()


def test_a_stop_during_the_wait_ends_it(tmp_path, quick_wait):
    import threading
    stop = threading.Event()
    with SplunkdDouble(_seeded(kvstore_starting=60)) as double:
        store = _store(double, tmp_path, wait=60, stop=stop, on_wait=lambda text: stop.set())
        with pytest.raises(KVStoreUnavailable, match="stopped while waiting"):
            store.load()


def test_only_no_such_document_and_no_file_is_a_first_start(tmp_path, quick_wait):
    with SplunkdDouble(_seeded(kvstore_starting=0.5)) as double:
        assert _store(double, tmp_path, wait=30).load() is None


@pytest.mark.parametrize("kv, mirror, later", [
    (Bookmark(300, 1), Bookmark(200, 9), Bookmark(300, 1)),
    (Bookmark(200, 9), Bookmark(300, 1), Bookmark(300, 1)),
    (Bookmark(300, 1), Bookmark(300, 4), Bookmark(300, 4)),
])
def test_load_takes_the_later_of_the_kv_store_and_the_file(tmp_path, kv, mirror, later):
    (tmp_path / "fmc_in.bookmark.json").write_text(mirror.as_json())
    with SplunkdDouble(_seeded(kv)) as double:
        assert _store(double, tmp_path).load() == later


def test_the_file_mirrors_the_bookmark_at_most_once_a_second_and_at_close(splunkd, tmp_path):
    now = [1000.0]
    store = _store(splunkd, tmp_path, clock=lambda: now[0])
    path = tmp_path / "fmc_in.bookmark.json"
    mirrored = lambda: Bookmark.from_json(path.read_text())  # noqa: E731

    store.save(Bookmark(1, 1))
    assert mirrored() == Bookmark(1, 1)
    now[0] += 0.5
    store.save(Bookmark(2, 1))
    assert mirrored() == Bookmark(1, 1)
    now[0] += 0.6
    store.save(Bookmark(3, 1))
    assert mirrored() == Bookmark(3, 1)
    store.save(Bookmark(4, 1))
    store.close()
    assert mirrored() == Bookmark(4, 1)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bookmark-")]  # atomic


# --- session keys (server.conf sessionTimeout) -------------------------------------------------

def test_a_401_on_save_puts_the_bookmark_in_the_file_and_says_to_exit(splunkd, tmp_path):
    store = _store(splunkd, tmp_path, clock=lambda: 0.0)  # the mirror waits for close()
    store.save(Bookmark(50, 1))
    store.save(Bookmark(51, 2))
    splunkd.expire_session()

    with pytest.raises(SessionExpired) as caught:
        store.save(Bookmark(52, 3))

    path = fallback_path(str(tmp_path), "fmc_in")
    assert Bookmark.from_json(open(path).read()) == Bookmark(52, 3)
    assert "HTTP 401" in str(caught.value) and path in str(caught.value)
    assert "sessionTimeout" in str(caught.value)
    store.save(Bookmark(53, 1))  # the client's last flush on its way out: to the file, quietly
    assert Bookmark.from_json(open(path).read()) == Bookmark(53, 1)
    assert store.backend == "file"


def test_a_restart_with_a_fresh_key_resumes_from_the_file(splunkd, tmp_path):
    store = _store(splunkd, tmp_path, clock=lambda: 0.0)
    store.save(Bookmark(50, 1))
    splunkd.expire_session()
    with pytest.raises(SessionExpired):
        store.save(Bookmark(60, 2))
    splunkd.new_session()

    assert _store(splunkd, tmp_path).load() == Bookmark(60, 2)


def test_keep_alive_reads_the_kv_store_so_an_idle_key_does_not_age_out(tmp_path):
    with SplunkdDouble(_seeded(session_timeout=1.0)) as double:
        store = _store(double, tmp_path, keepalive=0.3)
        store.save(Bookmark(10, 1))
        for _ in range(10):  # 2 s idle, twice the session timeout
            time.sleep(0.2)
            store.keep_alive()
        store.save(Bookmark(11, 1))
    assert [c["auth"] for c in double.journal] == ["ok"] * len(double.journal)


def test_without_keep_alive_the_idle_key_ages_out(tmp_path):
    with SplunkdDouble(_seeded(session_timeout=1.0)) as double:
        store = _store(double, tmp_path, keepalive=0.3)
        store.save(Bookmark(10, 1))
        time.sleep(1.3)
        with pytest.raises(SessionExpired):
            store.save(Bookmark(11, 1))


def test_keep_alive_only_reads_when_the_key_was_idle(splunkd, tmp_path):
    now = [0.0]
    store = _store(splunkd, tmp_path, keepalive=600, clock=lambda: now[0])
    store.save(Bookmark(1, 1))
    calls = len(splunkd.journal)
    now[0] += 599
    store.keep_alive()
    assert len(splunkd.journal) == calls
    now[0] += 2
    store.keep_alive()
    assert [c["method"] for c in splunkd.journal[calls:]] == ["GET"]


def test_a_401_on_keep_alive_saves_the_last_bookmark_to_the_file(splunkd, tmp_path):
    now = [0.0]
    store = _store(splunkd, tmp_path, keepalive=600, clock=lambda: now[0])
    store.save(Bookmark(70, 3))
    splunkd.expire_session()
    now[0] += 601
    with pytest.raises(SessionExpired):
        store.keep_alive()
    assert Bookmark.from_json((tmp_path / "fmc_in.bookmark.json").read_text()) == Bookmark(70, 3)


def test_the_keep_alive_interval_is_under_fifteen_minutes():
    assert bookmarks.KEEPALIVE <= 15 * 60


# --- the FMC a bookmark belongs to (HA pairs) ---------------------------------------------------

def test_the_document_of_an_ha_pair_names_the_fmc_its_bookmark_belongs_to(splunkd, tmp_path):
    _store(splunkd, tmp_path).save(Bookmark(1700000000, 3, "10.0.0.2:8302"))
    doc = splunkd.documents(COLLECTION)["fmc_in"]
    assert json.loads(doc["state"]) == {"timestamp": 1700000000, "count": 3,
                                        "fmc": "10.0.0.2:8302"}
    assert _store(splunkd, tmp_path).load() == Bookmark(1700000000, 3, "10.0.0.2:8302")


def test_a_file_of_the_other_fmc_never_outranks_the_kv_store(tmp_path):
    """Two FMCs' archive seconds are on two clocks: the KV store's bookmark, written at every
    save, is the current one even when the mirror's (a second older, of the FMC before the
    failover) has a larger timestamp."""
    kv, mirror = Bookmark(300, 1, "10.0.0.2:8302"), Bookmark(307, 4, "10.0.0.1:8302")
    (tmp_path / "fmc_in.bookmark.json").write_text(mirror.as_json())
    with SplunkdDouble(_seeded(kv)) as double:
        assert _store(double, tmp_path).load() == kv


def test_an_fmc_that_is_not_text_names_the_fix(tmp_path):
    with SplunkdDouble(_seeded({"timestamp": 5, "count": 1, "fmc": 7})) as double:
        with pytest.raises(BookmarkUnreadable, match="delete that document"):
            _store(double, tmp_path).load()
