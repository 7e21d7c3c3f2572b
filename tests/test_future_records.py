"""Records stamped in the future (an FMC clock set ahead, a flipped bit in a record header) and
malformed records never move the bookmark: a bookmark in the future would make the next resume
drop every present-day record as "already delivered". Such records are still delivered and
counted; a stored bookmark found in the future at start is reported and replaced."""
import json
import logging
import threading
import time

from estreamer.bookmark import Bookmark, MemoryBookmarkStore, Resume
from estreamer.client import ClientConfig, StreamClient
from estreamer.wire import Records
from handmade import block, discovery_header, record
from simulator import Stream, event_records

NOW = 1_750_000_000
DAY = 86400


class ListSink:
    def __init__(self):
        self.records, self.flushed = [], 0

    def write(self, rec):
        self.records.append(rec)

    def flush(self):
        self.flushed = len(self.records)


def host_timeout(archive, position=1):
    """Record 19 (Host Timeout): the discovery event header only."""
    return record(19, discovery_header(), archive=archive)


def malformed(archive):
    """Record 400 whose block is a file event (block 56) where an intrusion event belongs."""
    return record(400, block(56, bytes(8)), archive=archive)


def client_for(store=None, tolerance=DAY):
    sink = ListSink()
    client = StreamClient(ClientConfig(host="fmc", future_tolerance=tolerance), sink,
                          store or MemoryBookmarkStore(), wallclock=lambda: NOW)
    return client, sink


def deliver(client, *bodies, bookmark=None):
    client._bookmark = client._saved = bookmark
    client._records(Records(list(bodies)), Resume(bookmark))
    client._flush()


def test_a_record_stamped_beyond_the_tolerance_is_delivered_but_leaves_the_bookmark(caplog):
    client, sink = client_for()
    with caplog.at_level(logging.WARNING, logger="estreamer.client"):
        deliver(client, host_timeout(NOW - 10), host_timeout(NOW + 5 * 365 * DAY),
                host_timeout(NOW - 9), host_timeout(NOW + DAY + 1))

    assert [r["archiveTimestamp"] for r in sink.records] == [
        NOW - 10, NOW + 5 * 365 * DAY, NOW - 9, NOW + DAY + 1]
    assert client.bookmarks.load() == Bookmark(NOW - 9, 1)
    assert client.stats.future_records == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ahead of this host's clock" in warnings[0]


def test_a_record_within_the_tolerance_moves_the_bookmark():
    client, _ = client_for()

    deliver(client, host_timeout(NOW + DAY - 1))

    assert client.bookmarks.load() == Bookmark(NOW + DAY - 1, 1)
    assert client.stats.future_records == 0


def test_the_tolerance_is_the_configured_one():
    client, _ = client_for(tolerance=60)

    deliver(client, host_timeout(NOW - 5), host_timeout(NOW + 61))

    assert client.bookmarks.load() == Bookmark(NOW - 5, 1)
    assert client.stats.future_records == 1


def test_a_malformed_record_never_moves_the_bookmark_to_a_new_second():
    client, sink = client_for()

    deliver(client, host_timeout(NOW - 100), malformed(NOW - 50))

    assert client.bookmarks.load() == Bookmark(NOW - 100, 1)
    assert sink.records[1]["malformed"] and client.stats.parse_errors == 1


def test_a_malformed_record_in_the_bookmarks_second_is_counted_so_a_resume_skips_it():
    client, _ = client_for()

    deliver(client, host_timeout(NOW - 100), malformed(NOW - 100))

    assert client.bookmarks.load() == Bookmark(NOW - 100, 2)


def test_duplicates_a_resume_drops_are_counted_for_the_health_events():
    client, sink = client_for()

    deliver(client, host_timeout(NOW - 100), host_timeout(NOW - 100), host_timeout(NOW - 99),
            bookmark=Bookmark(NOW - 100, 2))

    assert [r["archiveTimestamp"] for r in sink.records] == [NOW - 99]
    assert client.stats.as_dict()["duplicates_dropped"] == 2


def test_a_stored_bookmark_in_the_future_is_reported_and_replaced_by_now_minus_the_tolerance(
        caplog):
    store = MemoryBookmarkStore(Bookmark(NOW + 10 * 365 * DAY, 7))
    client, _ = client_for(store)
    stopped = threading.Event()
    stopped.set()

    with caplog.at_level(logging.WARNING, logger="estreamer.client"):
        client.run(stopped)

    assert store.bookmark == Bookmark(NOW - DAY, 0)
    assert client.stats.bookmark == Bookmark(NOW - DAY, 0)
    assert "stored bookmark" in client.stats.last_error
    assert any("stored bookmark" in r.getMessage() and "now minus the tolerance" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)


def test_a_stored_bookmark_within_the_tolerance_is_trusted():
    store = MemoryBookmarkStore(Bookmark(NOW + 3600, 7))
    client, _ = client_for(store)
    stopped = threading.Event()
    stopped.set()

    client.run(stopped)

    assert store.bookmark == Bookmark(NOW + 3600, 7) and client.stats.last_error is None


# --- against the simulator ------------------------------------------------------------------------

def test_across_a_restart_present_day_records_arrive_after_a_future_stamped_one(
        simulator, pki, tmp_path):
    now = int(time.time())
    sim = simulator("--records", 200, "--families", "connection", "--per-second", 1,
                    "--start-time", now - 400, "--live", 5, "--fault", "future@100:31536000")
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    args = ("--families", "connection", "--bookmark", bookmark, "--monitor", "0",
            "--future-tolerance", 3600)
    first = Stream(sim.port, pki.client, out, *args)
    first.wait_for(lambda: len(event_records(out)) >= 230, 60, "the archive and live records")
    assert first.terminate() == 0
    stamps = [r["archiveTimestamp"] for r in event_records(out)]
    future = [t for t in stamps if t > now + 3600]
    assert len(future) == 1 and future[0] >= now + 31536000
    saved = json.loads(bookmark.read_text())["timestamp"]
    assert saved <= time.time() + 3600 and saved == max(t for t in stamps if t not in future)
    assert sum("ahead of this host's clock" in line for line in first.stderr().splitlines()) == 1

    restarted = time.time()
    second = Stream(sim.port, pki.client, out, *args)
    second.wait_for(lambda: sum(r["archiveTimestamp"] >= restarted
                                for r in event_records(out)) >= 10, 60,
                    "present-day records after the restart")
    assert second.terminate() == 0
    assert json.loads(bookmark.read_text())["timestamp"] <= time.time() + 3600


def test_the_simulators_future_fault_stamps_one_archive_entry_a_given_time_ahead():
    from fmcsim.faults import A_YEAR, parse
    from fmcsim.traffic import Archive

    archive = Archive(records=20, per_second=2, start_time=1000,
                      faults=[parse("future@7:3600")])

    assert archive.timestamp(6) == archive.live_epoch + 3600
    assert [archive.timestamp(i) for i in (5, 7)] == [1002, 1003]
    assert parse("future@7").seconds == A_YEAR


def test_the_simulators_record_faults_name_an_event_serial_from_1():
    import pytest

    from fmcsim.faults import parse

    with pytest.raises(ValueError, match="serial of an event record, from 1"):
        parse("poison@0")
