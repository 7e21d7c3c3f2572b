"""Where the time of one connection event goes, stage by stage, on one core: the simulator's
FMC 7 connection records (block 174, every field filled, as ``stream`` and ``modinput`` send
them), without the network.

The compiled path, as the input runs it:

* ``wire``: message framing and bundle splitting of the stream's bytes (per record);
* ``event_text``: a record's bytes → its event's JSON text (the function compiled for its
  shape, :meth:`EventMapper.render`);
* ``xml``: the same, framed as the modular input's ``<event>`` and buffered
  (:meth:`SplunkEventSink.write_body`), flushed to /dev/null;
* ``client_xml``: the streaming client's handling of the records (resume check, bookmark,
  batching, flushes) with that sink — everything the input does per event but TLS;
* ``raw``: a record's bytes → its own JSON line (``stream`` without ``--events``).

The reference path, for comparison: ``decode`` (bytes → Record), ``map`` (the event tables
walked → dict), ``json`` (the standard library's C encoder over those dicts), and ``cef``
(CEF lines from the events, cut to a syslog message's size).
"""
from __future__ import annotations

import os
import struct

from .common import GENERATION, best_rate

RECORDS = 20_000


def run(report):
    from estreamer import wire
    from estreamer.bookmark import MemoryBookmarkStore, Resume
    from estreamer.catalog import CATALOG
    from estreamer.cef import CefFormatter
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.decoder import RecordDecoder
    from estreamer.events import EventMapper, event_json
    from estreamer.events.programs import record_programs
    from estreamer.metadata import MetadataCache
    from estreamer.wire import Subscription
    from estreamer_splunk.xml_stream import SplunkEventSink
    from fmcsim.traffic import record_bodies

    decoder, cache = RecordDecoder(), MetadataCache()
    subscription = Subscription(families=("connection",), generation=GENERATION)
    records, everything = [], record_bodies(subscription, RECORDS, families=("connection",),
                                            per_second=50)
    for body in everything:
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
        else:
            records.append(record)
    mapper = EventMapper(cache, "fmc")
    events = [mapper.map(record) for record in records]
    dicts = [event.event for event in events]
    formatter = CefFormatter()
    bodies = [body for body in everything if struct.unpack_from(">I", body)[0] == 71]
    raw = record_programs(CATALOG)
    stream = _bundles(wire, bodies)
    n = len(records)
    with open(os.devnull, "w") as devnull:
        sink = SplunkEventSink(mapper, devnull, index="main", source="bench")

        def xml():
            write = sink.write_body
            for body in bodies:
                write(body)
            sink.flush()

        client = StreamClient(ClientConfig(host="fmc", subscription=subscription,
                                           batch_size=2000), sink, MemoryBookmarkStore(),
                              cache)
        batches = [wire.Records(bodies[i:i + 9], i) for i in range(0, n, 9)]

        def client_xml():
            client._bookmark = None
            resume = Resume(None)
            for batch in batches:
                client._records(batch, resume)
            client._flush()

        def split():
            parser, count = wire.FrameParser(), 0
            for message in parser.feed(stream):
                count += len(wire.split_bundle(message.body).bodies)
            assert count == n

        seconds = {}
        for name, work in (("wire", split),
                           ("event_text", lambda: [mapper.render(body) for body in bodies]),
                           ("xml", xml),
                           ("client_xml", client_xml),
                           ("raw", lambda: [raw.render(body) for body in bodies]),
                           ("decode", lambda: [decoder.decode(body) for body in bodies]),
                           ("map", lambda: [mapper.map(record) for record in records]),
                           ("json", lambda: [event_json(event) for event in dicts]),
                           ("cef", lambda: [formatter.encode(event, 8192) for event in events])):
            rate = best_rate(work, n, rounds=3)
            report.add(f"stage_{name}_connection_per_s", rate, "events/s")
            seconds[name] = 1 / rate
        # one event through the input's code, TLS aside: the framing, and the client with the
        # compiled event and the XML sink
        report.add("stages_connection_events_per_s",
                   1 / (seconds["wire"] + seconds["client_xml"]), "events/s")
        report.add("stage_event_text_share_of_event",
                   seconds["event_text"] / (seconds["wire"] + seconds["client_xml"]), "ratio")
        report.add("stage_event_text_vs_reference",
                   (seconds["decode"] + seconds["map"] + seconds["json"])
                   / seconds["event_text"], "ratio")


def _bundles(wire, bodies, bundle_bytes=8192):
    """The records as the simulator sends them: message bundles of about 8 KiB."""
    out, chunk, size, sequence = bytearray(), [], 0, 0
    for body in bodies + [None]:
        if body is None or (chunk and size + 8 + len(body) > bundle_bytes):
            sequence += 1
            out += wire.bundle(1, sequence, chunk)
            chunk, size = [], 0
        if body is not None:
            chunk.append(body)
            size += 8 + len(body)
    return bytes(out)
