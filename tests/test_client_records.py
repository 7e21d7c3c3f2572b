"""The client hands a sink that can take them the bytes of event records (``write_body``), and
everything else decoded (``write``): the bookmark, the resume's dropped duplicates, the
future-stamped records and the flushes come out the same either way."""
from __future__ import annotations

import struct

from estreamer.bookmark import Bookmark, MemoryBookmarkStore, Resume
from estreamer.catalog import RECORDS
from estreamer.client import ClientConfig, StreamClient
from estreamer.decoder import encode_record
from estreamer.metadata import MetadataCache
from estreamer.wire import Records
from test_codec_roundtrip import sample

NOW = 1_800_000_000


class Recording:
    """A sink recording what it gets; ``takes_bytes`` says whether it writes event records
    from their bytes (``None``: it has no ``write_body`` at all)."""

    def __init__(self, takes_bytes=True):
        self.got, self.flushes = [], 0
        if takes_bytes is not None:
            self.write_body = lambda body: self._body(body, takes_bytes)

    def _body(self, body, takes):
        if takes:
            self.got.append(("bytes", struct.unpack_from(">I", body, 8)[0]))
        return takes

    def write(self, record):
        self.got.append(("record", record.get("archiveTimestamp")))

    def flush(self):
        self.flushes += 1


def connection(archive):
    values = sample(RECORDS[71].layout, salt="client", version=174)
    return encode_record(71, values, archive_timestamp=archive)


def metadata():
    return encode_record(123, {"id": 1, "name": "sensor-1"})


def client(sink, saved=None, batch_size=500):
    store = MemoryBookmarkStore(saved)
    config = ClientConfig(host="fmc", batch_size=batch_size, future_tolerance=3600)
    made = StreamClient(config, sink, store, MetadataCache(), wallclock=lambda: NOW)
    made._saved = made._bookmark = saved
    return made, store


def stream(made, *bodies, since=None):
    made._records(Records(list(bodies)), Resume(since))


def test_event_records_go_as_bytes_and_metadata_decoded():
    sink = Recording()
    made, _ = client(sink)

    stream(made, metadata(), connection(NOW - 10), connection(NOW - 10), connection(NOW - 9))

    assert sink.got == [("record", None), ("bytes", NOW - 10), ("bytes", NOW - 10),
                        ("bytes", NOW - 9)]
    assert made._bookmark == Bookmark(NOW - 9, 1) and made.stats.delivered == 4


def test_the_bookmark_is_the_same_whichever_way_the_records_went():
    bodies = [connection(NOW - 10), connection(NOW - 10), connection(NOW - 9),
              connection(NOW + 7200)]  # stamped beyond the tolerance: never the bookmark
    marks = []
    for takes_bytes in (True, False, None):
        made, _ = client(Recording(takes_bytes))
        stream(made, *bodies)
        marks.append((made._bookmark, made.stats.future_records, made.stats.records))

    assert marks == [(Bookmark(NOW - 9, 1), 1, 4)] * 3


def test_a_record_the_sink_cannot_take_as_bytes_comes_decoded():
    sink = Recording(takes_bytes=False)
    made, _ = client(sink)

    stream(made, connection(NOW - 5))

    assert sink.got == [("record", NOW - 5)]


def test_a_resume_drops_what_was_delivered_before_writing_anything():
    sink = Recording()
    made, _ = client(sink, saved=Bookmark(NOW - 10, 1))

    stream(made, connection(NOW - 11), connection(NOW - 10), connection(NOW - 10),
           since=Bookmark(NOW - 10, 1))

    assert sink.got == [("bytes", NOW - 10)]
    assert made.stats.duplicates == 2 and made.stats.records == 3


def test_a_bundle_longer_than_a_batch_is_flushed_within_and_the_bookmark_saved():
    sink = Recording()
    made, store = client(sink, batch_size=2)

    stream(made, connection(NOW - 3), connection(NOW - 2), connection(NOW - 1))

    assert sink.flushes == 1 and store.load() == Bookmark(NOW - 2, 1)


def test_on_the_other_fmc_events_the_journal_holds_are_dropped_by_their_bytes_identity():
    from estreamer.identity import Identities
    from estreamer.resume import Replay
    sink = Recording()
    made, _ = client(sink)
    first, second = connection(NOW - 10), _other_connection(NOW - 10)
    # the other FMC of the pair wrote ``first`` already: its identity is in the journal
    made._replay = Replay({Identities().of_body(first, 71, NOW - 10)[4:]}, NOW)

    stream(made, first, second)

    assert sink.got == [("bytes", NOW - 10)] and made.stats.duplicates == 1
    assert made._ids == [Identities().of_body(second, 71, NOW - 10)]


def _other_connection(archive):
    values = sample(RECORDS[71].layout, salt="client-other", version=174)
    return encode_record(71, values, archive_timestamp=archive)
