"""Write the golden files: the events the mappers make of fixed record streams.

    python tools/golden.py

For each stream — the real FMC capture in ../shared/vectors and a simulator stream of every
family (packets and extra data included) in each event generation the simulator offers — it
writes the record bodies (``tests/golden/<stream>.records.gz``: ``uint32 length | body`` each)
and, for each set of mapper options, the event line of each record in order
(``tests/golden/<stream>.<options>.events.gz``: ``event_json(event.as_line())``, or ``-``
for a record that makes no event). The records are stored, not regenerated, so the files stay
valid whatever later happens to the simulator. ``tests/test_golden.py`` holds the mappers to
them: written once, before the mappers became tables, they pin every event byte.
"""
from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "package" / "bin"), str(REPO)]

GOLDEN = REPO / "tests" / "golden"
CAPTURE = REPO.parent / "shared" / "vectors" / "fmc-capture-2020"
SIMULATOR_RECORDS = 1500
CLOCK = 1_800_000_000.0  # "now" for records without a time of their own (metadata)
_LENGTH = struct.Struct(">I")


def options():
    """The mapper options of each golden set: the defaults, and a site's choices."""
    from estreamer.events import MapperOptions
    return {
        "default": MapperOptions(clock=lambda: CLOCK),
        "site": MapperOptions(emit_metadata=True, raw_unknown=True, si_split=False,
                              rule_actions={"Default Action": "blocked", "Allow": "blocked"},
                              rule_action_names={2: "Allow", 9: "Local Rule"},
                              endpoint_address="destination", clock=lambda: CLOCK),
    }


def streams():
    """``{name: [record body, ...]}``."""
    from estreamer import wire
    from estreamer.wire import ALL_FAMILIES, EVENT_VERSIONS, Subscription
    from fmcsim.traffic import record_bodies

    bodies = []
    for path in sorted(CAPTURE.glob("bundle-*.bin")):
        (message,) = wire.FrameParser().feed(path.read_bytes())
        bodies += wire.split_bundle(message.body).bodies
    out = {"capture": bodies}
    for generation in sorted(EVENT_VERSIONS):
        out[f"simulator-{generation}"] = record_bodies(
            Subscription(families=ALL_FAMILIES, generation=generation), SIMULATOR_RECORDS)
    return out


def event_lines(bodies, mapper_options):
    """The event line of each record (``-`` for none), as the mappers make them."""
    from estreamer.decoder import RecordDecoder
    from estreamer.events import EventMapper, event_json
    from estreamer.metadata import MetadataCache

    decoder, cache = RecordDecoder(), MetadataCache()
    mapper, lines = EventMapper(cache, "fmc.example.com", mapper_options), []
    for body in bodies:
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
        event = mapper.map(record)
        lines.append("-" if event is None else event_json(event.as_line()))
    return lines


def read_records(path: Path) -> list:
    data, bodies, off = gzip.decompress(path.read_bytes()), [], 0
    while off < len(data):
        (length,) = _LENGTH.unpack_from(data, off)
        bodies.append(data[off + 4:off + 4 + length])
        off += 4 + length
    return bodies


def main() -> int:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, bodies in streams().items():
        records = b"".join(_LENGTH.pack(len(body)) + body for body in bodies)
        (GOLDEN / f"{name}.records.gz").write_bytes(gzip.compress(records, mtime=0))
        for label, mapper_options in options().items():
            lines = event_lines(bodies, mapper_options)
            text = "\n".join(lines) + "\n"
            (GOLDEN / f"{name}.{label}.events.gz").write_bytes(
                gzip.compress(text.encode("utf-8"), mtime=0))
            print(f"golden: {name}.{label}: {len(bodies)} records, "
                  f"{sum(line != '-' for line in lines)} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
