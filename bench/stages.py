"""Where the time of one connection event goes, stage by stage, on one core: the simulator's
FMC 7 connection records (block 174, every field filled, as ``stream`` and ``modinput`` send them) decoded,
mapped to CIM events, encoded as JSON and wrapped as the modular input's XML — or, for the
command line's CEF output, written as CEF lines cut to a syslog message's size.

The JSON stage is the C encoder of the standard library over the finished event dicts: the
least the event text can cost in Python, and so a ceiling for any pure-Python input."""
from __future__ import annotations

import os
import struct

from .common import GENERATION, best_rate

RECORDS = 20_000


def run(report):
    from estreamer.cef import CefFormatter
    from estreamer.decoder import RecordDecoder
    from estreamer.events import EventMapper, event_json
    from estreamer.metadata import MetadataCache
    from estreamer.wire import Subscription
    from estreamer_splunk.xml_stream import SplunkEventSink
    from fmcsim.traffic import record_bodies

    decoder, cache = RecordDecoder(), MetadataCache()
    records, everything = [], record_bodies(Subscription(families=("connection",),
                                                         generation=GENERATION), RECORDS,
                                            families=("connection",), per_second=50)
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
    with open(os.devnull, "w") as devnull:
        sink = SplunkEventSink(mapper, devnull, index="main", source="bench")

        def xml():
            for event in events:
                sink.write_event(event)
            sink.flush()

        n = len(records)
        seconds = {}
        for name, work in (("decode", lambda: [decoder.decode(body) for body in bodies]),
                           ("map", lambda: [mapper.map(record) for record in records]),
                           ("json", lambda: [event_json(event) for event in dicts]),
                           ("xml_with_json", xml),
                           ("cef", lambda: [formatter.encode(event, 8192) for event in events])):
            rate = best_rate(work, n, rounds=3)
            report.add(f"stage_{name}_connection_per_s", rate, "events/s")
            seconds[name] = 1 / rate
        total = seconds["decode"] + seconds["map"] + seconds["xml_with_json"]
        report.add("stages_connection_events_per_s", 1 / total, "events/s")
        report.add("stage_json_share_of_event", seconds["json"] / total, "ratio")
