"""estreamer_splunk.xml_stream: the modular-input XML event stream."""
import io
import json
import time
import xml.etree.ElementTree as ET

import pytest

from estreamer.events import Event, event_json
from estreamer_splunk.xml_stream import SplunkEventSink

ST = "cisco:firepower:estreamer:connection"


class Mapper:
    """Records here are already events (or None for records that map to none)."""

    def map(self, record):
        return record


def _sink(out, **kw):
    kw.setdefault("index", "fw")
    kw.setdefault("source", "firepower_estreamer://in1")
    return SplunkEventSink(Mapper(), out, **kw)


def _events(text):
    return ET.fromstring(text).findall("event")


def test_each_event_carries_time_index_sourcetype_source_host():
    out = io.StringIO()
    sink = _sink(out)
    sink.write(Event(1700000000.5, ST, "fmc1.example", {"src": "10.0.0.1", "dest_port": 443}))
    sink.write(Event(1700000001.000001, "cisco:firepower:estreamer:intrusion", "fmc1.example",
                     {"signature": "x"}))
    sink.close()
    first, second = _events(out.getvalue())
    assert first.get("stanza") == "firepower_estreamer://in1"
    assert first.findtext("time") == "1700000000.500000"
    assert second.findtext("time") == "1700000001.000001"
    assert [first.findtext(t) for t in ("index", "sourcetype", "source", "host")] == [
        "fw", ST, "firepower_estreamer://in1", "fmc1.example"]
    assert json.loads(first.findtext("data")) == {"src": "10.0.0.1", "dest_port": 443}
    assert second.findtext("sourcetype") == "cisco:firepower:estreamer:intrusion"


def test_host_override_replaces_the_fmc():
    out = io.StringIO()
    sink = _sink(out, host_override="fw-cluster")
    sink.write(Event(1.0, ST, "fmc1", {"a": 1}))
    sink.close()
    assert _events(out.getvalue())[0].findtext("host") == "fw-cluster"


def test_escaping_of_markup_and_non_ascii():
    out = io.StringIO()
    sink = _sink(out, source="a<b&c")
    tricky = {"uri": "/x?a=1&b=<script>]]>", "user": "Zoë 東京 \u2028", "q": "\"'"}
    sink.write(Event(1.0, ST, "h&<>", tricky))
    sink.close()
    (event,) = _events(out.getvalue())
    assert json.loads(event.findtext("data")) == tricky
    assert event.findtext("host") == "h&<>" and event.findtext("source") == "a<b&c"
    assert "]]>" not in out.getvalue()


def test_bytes_go_out_as_utf8_whatever_the_stream_encoding():
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")  # a C-locale stdout
    sink = _sink(out)
    sink.write(Event(1.0, ST, "h", {"user": "Zoë"}))
    sink.close()
    (event,) = _events(raw.getvalue().decode("utf-8"))
    assert json.loads(event.findtext("data")) == {"user": "Zoë"}
    assert sink.bytes == len(raw.getvalue())


def test_none_events_are_skipped():
    out = io.StringIO()
    sink = _sink(out)
    assert sink.write(None) is None
    sink.write(Event(1.0, ST, "h", {"a": 1}))
    sink.close()
    assert len(_events(out.getvalue())) == 1 and sink.skipped == 1


def test_nothing_reaches_the_stream_before_flush():
    out = io.StringIO()
    sink = _sink(out)
    sink.write(Event(1.0, ST, "h", {"a": 1}))
    assert out.getvalue() == "" and sink.pending == 1


def test_flush_delivers_everything_written_before_inside_one_stream():
    out = io.StringIO()
    sink = _sink(out)
    sink.write(Event(1.0, ST, "h", {"n": 1}))
    sink.flush()
    assert out.getvalue().startswith("<stream><event") and sink.pending == 0
    assert len(_events(out.getvalue() + "</stream>")) == 1
    sink.write(Event(2.0, ST, "h", {"n": 2}))
    sink.flush()
    sink.close()
    text = out.getvalue()
    assert text.count("<stream>") == 1 and text.rstrip().endswith("</stream>")
    assert [json.loads(e.findtext("data"))["n"] for e in _events(text)] == [1, 2]


def test_flush_flushes_the_os_stream():
    class Recorder(io.StringIO):
        flushed = 0

        def flush(self):
            self.flushed += 1

    out = Recorder()
    sink = _sink(out)
    sink.write(Event(1.0, ST, "h", {"n": 1}))
    sink.flush()
    assert out.flushed >= 1


def test_close_without_events_writes_nothing():
    out = io.StringIO()
    _sink(out).close()
    assert out.getvalue() == ""


def test_counts_per_sourcetype_bytes_and_interval():
    out = io.StringIO()
    sink = _sink(out, clock=lambda: 110.0)
    for t in (100.0, 105.0):
        sink.write(Event(t, ST, "h", {"a": 1}))
    sink.write(Event(107.0, "cisco:firepower:estreamer:file", "h", {"a": 1}))
    assert sink.counts == {}  # counted when delivered
    sink.flush()
    assert sink.counts == {ST: 2, "cisco:firepower:estreamer:file": 1} and sink.events == 3
    assert sink.bytes == len(out.getvalue().encode("utf-8"))
    interval = sink.take_interval()
    assert interval["events"] == 3 and interval["lag"] == 10.0
    assert sink.take_interval() == {"events": 0, "bytes": 0, "counts": {}, "lag": None}


def test_write_costs_only_a_few_microseconds_beyond_the_json():
    event = Event(1700000000.123456, ST, "fmc1", {
        "src": "10.1.2.3", "dest": "10.9.8.7", "src_port": 51514, "dest_port": 443,
        "transport": "tcp", "action": "allowed", "app": "HTTPS", "bytes_in": 5120,
        "bytes_out": 880, "dvc": "ftd-1", "vendor_product": "Cisco Firepower"})
    best_total = best_json = float("inf")
    for _ in range(3):  # best of three: the cores are shared
        sink = _sink(io.BytesIO())
        start = time.perf_counter()
        for _ in range(10):
            for _ in range(1000):
                sink.write_event(event)
            sink.flush()
        best_total = min(best_total, (time.perf_counter() - start) / 10000)
        start = time.perf_counter()
        for _ in range(10000):
            event_json(event.event)
        best_json = min(best_json, (time.perf_counter() - start) / 10000)
    assert best_total - best_json < 10e-6, (best_total, best_json)


# --- XML 1.0 §2.2: characters an XML document may not hold ------------------------------------
# Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
# (https://www.w3.org/TR/xml/#charsets). FMC text is traffic an outsider controls: URLs, user
# agents, file names, DNS queries. Valid UTF-8 carries every C0 control and U+FFFE/U+FFFF;
# lone surrogates cannot be UTF-8, so they only reach an event from Python text.

C0_FORBIDDEN = "".join(chr(c) for c in range(0x20) if c not in (0x9, 0xA, 0xD))
HOSTILE = "x" + C0_FORBIDDEN[1:] + "\ufffe\uffff\t\n\r" + "y"  # NUL aside: the decoder drops it
LONE_SURROGATES = "\udc00\udfff\ud800a\udbff"  # never high-then-low: that is a pair


def _with_hostile_text(layout, values):
    """``values`` (a decoded record or block) with every text field holding HOSTILE."""
    from estreamer.catalog import CATALOG
    from estreamer.fields import BlockRef, ListOf, Text, Var, When

    def resolve(ref, wire_type):
        return CATALOG.block(ref.series, ref.expected if wire_type is None else wire_type)

    out = dict(values)
    for name, kind in layout.rows:
        if isinstance(kind, When):
            kind = kind.kind
        if isinstance(kind, (Text, Var)) and not kind.binary:
            out[name] = HOSTILE
        elif isinstance(kind, BlockRef):
            if name is None:  # a block merged into its parent's fields
                out = _with_hostile_text(resolve(kind, out.get("blockType")), out)
            elif isinstance(out.get(name), dict):
                out[name] = _with_hostile_text(resolve(kind, out[name].get("blockType")),
                                               out[name])
        elif isinstance(kind, ListOf) and out.get(name):
            out[name] = [_with_hostile_text(resolve(kind.item, item.get("blockType")), item)
                         for item in out[name]]
    return out


@pytest.mark.parametrize("compiled", [False, True], ids=["decoded", "compiled"])
def test_every_text_field_of_every_family_with_every_forbidden_character_stays_well_formed(
        compiled):
    """Real record bytes of every family (metadata included, so resolved names carry it too)
    with every text field set to every character XML forbids: the whole stream parses with a
    real XML parser and each event's JSON is exactly the event the mapper made — written from
    the decoded record, or from the record's bytes by the function compiled for its shape."""
    from estreamer.catalog import RECORDS
    from estreamer.decoder import RecordDecoder, encode_record
    from estreamer.events import EventMapper
    from estreamer.metadata import MetadataCache
    from estreamer.wire import ALL_FAMILIES, Subscription
    from fmcsim.traffic import record_bodies

    decoder, cache = RecordDecoder(), MetadataCache()
    sink = SplunkEventSink(EventMapper(cache, "fmc1"), io.BytesIO(), index="fw", source="s")
    out = sink._out
    written, text_fields = [], 0
    for body in record_bodies(Subscription(families=ALL_FAMILIES), 400):
        record = decoder.decode(body)
        values = record.as_dict()
        record_type, archive = values.pop("recordType"), values.pop("archiveTimestamp", None)
        hostile = _with_hostile_text(RECORDS[record_type].layout, values)
        text_fields += sum(v == HOSTILE for v in hostile.values())
        hostile_body = encode_record(record_type, hostile, archive)
        record = decoder.decode(hostile_body)
        if archive is None:
            cache.learn(record)
        event = sink.mapper.map(record)  # what the stream must hold, either way
        if compiled and archive is not None:
            assert sink.write_body(hostile_body)
        else:
            sink.write(record)
        if event is not None:
            written.append(event)
    sink.close()
    assert text_fields > 1000
    events = ET.fromstring(out.getvalue()).findall("event")  # expat: raises if not well-formed
    assert len(events) == len(written)
    for element, event in zip(events, written):
        assert json.loads(element.findtext("data")) == event.event
    reached = {e.sourcetype.rsplit(":", 1)[1] for e in written if _holds_hostile(e.event)}
    assert reached == set(ALL_FAMILIES) | {"intrusion_extra"}


def _holds_hostile(value):
    if isinstance(value, str):
        return HOSTILE in value
    if isinstance(value, dict):
        value = value.values()
    return isinstance(value, (list, type({}.values()))) and any(map(_holds_hostile, value))


def test_lone_surrogates_and_controls_in_any_value_are_written_as_json_escapes():
    raw = io.BytesIO()
    sink = _sink(raw)
    values = {"url": "/a" + LONE_SURROGATES + "\ufffe\uffff", "user_agent": C0_FORBIDDEN,
              "file_name": "é\udfff\udc00\ufffe", "query": "plain"}
    sink.write(Event(1.0, ST, "h", values))
    sink.close()
    data = ET.fromstring(raw.getvalue()).find("event").findtext("data")
    assert json.loads(data) == values
    assert "\\ufffe" in data and "\\uffff" in data and "\\ud800" in data


def test_a_configured_name_with_a_character_xml_forbids_keeps_the_stream_well_formed():
    raw = io.BytesIO()
    sink = _sink(raw, source="in\x01put", host_override="fw\ufffe")
    sink.write(Event(1.0, ST, "h", {"a": 1}))
    sink.close()
    (event,) = _events(raw.getvalue())
    assert (event.findtext("source"), event.findtext("host")) == ("in\ufffdput", "fw\ufffd")


# --- what was written per managed device (the buffer's bound: test_sink_flush.py) ----------

def test_events_per_managed_device_are_counted_when_written():
    sink = _sink(io.StringIO(), clock=lambda: 500.0)
    for time_, event in ((100.0, {"device_id": 7}), (90.0, {"device_id": 7}),
                         (95.0, {"device_id": 8}), (99.0, {"src": "10.0.0.1"})):
        sink.write(Event(time_, ST, "h", event))
    assert sink.devices == {}  # nothing written yet
    sink.flush()
    assert sink.devices == {7: [100.0, 2, 500.0], 8: [95.0, 1, 500.0]}
    health = {"scope": "device", "device_id": 7, "events": 2}
    sink.write_event(Event(500.0, "cisco:firepower:estreamer:health", "h", health))
    sink.flush()
    assert sink.devices[7] == [100.0, 2, 500.0]  # a health event is about a device, not from it
