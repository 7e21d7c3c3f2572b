"""Every way an input stops on its own leaves a trace: an ERROR line in the input's own log and one
final health event with ``last_error``, and a non-zero exit for splunkd to restart it. The input
runs in process here (``run_input``, as the UCC-generated script calls it) against the splunkd
REST double over real HTTP; its event stream goes to a buffer."""
import io
import json
import logging
import re
import types

import pytest
import solnlib.utils

from estreamer.bookmark import Bookmark
from estreamer.client import StreamClient
from estreamer_splunk import bookmarks as bookmarks_module
from estreamer_splunk.runner import _load_cache, run_input
from estreamer_splunk.settings import InputConfig
from modinput import parse_events
from splunkd_double import COLLECTION, SplunkdDouble, ucc_state

PASSWORD = "pkcs12-s3cret-password"
SERVER = {"host": "127.0.0.1", "port": "9", "pkcs12_file": "TUlJSw==",
          "pkcs12_password": PASSWORD, "connect_timeout": "1", "response_timeout": "2"}
PARAMS = {"fmc_server": "fmc1", "record_families": "connection", "start_position": "bookmark",
          "index": "firepower"}


@pytest.fixture(autouse=True)
def quick(monkeypatch, tmp_path):
    """solnlib's retry sleeps and the KV store wait's steps are not what is tested; the log goes
    to tmp_path; the handler run_input adds to the root logger goes away after the test."""
    monkeypatch.setattr(solnlib.utils, "time", types.SimpleNamespace(sleep=lambda s: None))
    monkeypatch.setattr(bookmarks_module, "WAIT_STEP", 0.1)
    monkeypatch.setenv("TA_LOG_DIR", str(tmp_path / "log"))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


class Run:
    def __init__(self, double, tmp_path, params=None):
        self.double, self.tmp_path = double, tmp_path
        self.checkpoints = tmp_path / "checkpoints"
        self.checkpoints.mkdir(exist_ok=True)
        self.config = InputConfig(
            name="fmc1_events", stanza="firepower_estreamer://fmc1_events",
            params=dict(PARAMS, **(params or {})), server_uri=double.uri,
            server_host="shf1", session_key=double.session_key,
            checkpoint_dir=str(self.checkpoints))
        self.out = io.BytesIO()

    def __call__(self):
        self.code = run_input(self.config, self.out)
        return self.code

    def log(self):
        return (self.tmp_path / "log" / "ta_firepower_estreamer_fmc1_events.log").read_text()

    def errors(self):
        return [line for line in self.log().splitlines() if "log_level=ERROR" in line]

    def health(self):
        return [e["event"] for e in parse_events(self.out.getvalue())
                if e["sourcetype"] == "cisco:firepower:estreamer:health"]


def double_with(documents=(), settings=None, **state):
    seed = ucc_state(servers={"fmc1": SERVER}, settings=settings or {}, collections={
        COLLECTION: {"fields": {"state": "string"}, "documents": list(documents)}})
    seed.update(state)
    return SplunkdDouble(seed)


def assert_fatal_trace(run, text, fmc="fmc1"):
    """Exit 1, one ERROR line saying ``text``, and one final health event carrying it."""
    assert run.code == 1
    assert any(text in line for line in run.errors()), run.log()[-3000:]
    final = [h for h in run.health() if h.get("last_error")]
    assert len(final) >= 1 and text in final[-1]["last_error"]
    assert final[-1]["scope"] == "fmc" and final[-1]["fmc"] == fmc


def test_a_bookmark_document_of_the_wrong_type_stops_the_input_with_a_trace(tmp_path):
    with double_with([{"_key": "fmc1_events", "state": "[1700000000, 2]"}]) as double:
        run = Run(double, tmp_path)
        run()
    assert_fatal_trace(run, "delete that document")


def test_a_truncated_bookmark_file_stops_the_input_with_a_trace(tmp_path):
    with double_with() as double:
        run = Run(double, tmp_path)
        (run.checkpoints / "fmc1_events.bookmark.json").write_text('{"timestamp": 170')
        run()
    assert_fatal_trace(run, "fmc1_events.bookmark.json is unreadable")


def test_an_fmc_server_that_does_not_exist_stops_the_input_with_a_trace(tmp_path):
    with double_with() as double:
        run = Run(double, tmp_path, {"fmc_server": "fmc9"})
        run()
    assert_fatal_trace(run, "FMC server [fmc9]", fmc="fmc9")


def test_a_kv_store_still_starting_after_the_wait_without_a_file_stops_the_input(tmp_path):
    settings = {"advanced": {"kvstore_wait": "1"}}
    with double_with(settings=settings, kvstore_starting=60) as double:
        run = Run(double, tmp_path)
        run()
    assert_fatal_trace(run, "KV store still unavailable after 1 s")
    waiting = [h for h in run.health() if "waiting up to 1 s" in h.get("last_error", "")]
    assert len(waiting) == 1  # the health event of the wait itself
    assert "waiting up to 1 s" in run.log() and "log_level=WARNING" in run.log()


def test_anything_that_escapes_is_logged_once_with_its_traceback_masked(tmp_path, monkeypatch):
    def broken(self, stop):
        raise RuntimeError(f"a bug that quotes the password {PASSWORD}")
    monkeypatch.setattr(StreamClient, "run", broken)
    with double_with() as double:
        run = Run(double, tmp_path)
        run()
    assert run.code == 1
    log = run.log()
    assert "stopped by an unexpected error (RuntimeError)" in log
    assert "Traceback (most recent call last)" in log
    assert PASSWORD not in log and "a bug that quotes the password ********" in log
    (final,) = [h for h in run.health() if h.get("last_error")]
    assert final["last_error"] == ("unexpected error: RuntimeError: a bug that quotes the "
                                   "password ********")


def test_a_session_key_splunkd_refuses_saves_the_bookmark_and_stops_with_a_trace(
        tmp_path, monkeypatch):
    def streams_then_expires(self, stop):
        self.bookmarks.load()
        self.bookmarks.save(Bookmark(1700000100, 3))
        double.expire_session()
        self.bookmarks.save(Bookmark(1700000200, 1))
    monkeypatch.setattr(StreamClient, "run", streams_then_expires)
    with double_with() as double:
        run = Run(double, tmp_path)
        run()
    assert_fatal_trace(run, "refused the input's session key")
    mirror = json.loads((run.checkpoints / "fmc1_events.bookmark.json").read_text())
    assert mirror == {"timestamp": 1700000200, "count": 1}


# --- the metadata cache: a damaged file is only a cold cache -------------------------------------

@pytest.mark.parametrize("content", ["[]", "null", '{"version": 1, "tables": []}',
                                     '{"version": 1, "tables": {"devices": ["fw1"]}}',
                                     '{"version": 1, "tables": {"devices": {"1": 7}}}',
                                     '{"version": 1, "tab'],
                         ids=["list", "null", "tables-list", "table-list", "name-number", "cut"])
def test_an_unreadable_metadata_cache_is_moved_aside_with_a_warning_naming_it(
        tmp_path, caplog, content):
    path = tmp_path / "fmc1_events.metadata.json"
    path.write_text(content)

    with caplog.at_level(logging.WARNING, logger="estreamer_splunk"):
        cache = _load_cache(str(path), 1000)

    assert cache.size == 0
    assert not path.exists() and (tmp_path / "fmc1_events.metadata.json.unreadable").read_text() \
        == content
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert str(path) in warning and "moved aside" in warning


def test_a_good_metadata_cache_loads_and_stays(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"version": 1, "tables": {"devices": {"1": "fw1"}}}')

    assert _load_cache(str(path), 1000).name("devices", 1) == "fw1"
    assert path.exists()


def test_without_a_metadata_cache_the_input_starts_empty_quietly(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="estreamer_splunk"):
        assert _load_cache(str(tmp_path / "none.json"), 1000).size == 0
    assert not caplog.records


def test_the_log_line_format_has_the_input_fields(tmp_path):
    with double_with() as double:
        run = Run(double, tmp_path, {"fmc_server": "fmc9"})
        run()
    assert re.search(r"log_level=ERROR pid=\d+ tid=MainThread file=runner\.py", run.log())
