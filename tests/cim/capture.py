"""The real FMC capture (December 2020) as events: bundles 1, 2 and 4 decoded in wire order
with one metadata cache, every record mapped."""
from __future__ import annotations

from conftest import VECTORS
from estreamer import wire
from estreamer.decoder import RecordDecoder
from estreamer.events import EventMapper
from estreamer.metadata import MetadataCache

CAPTURE = VECTORS / "fmc-capture-2020"
BUNDLES = ("bundle-1.bin", "bundle-2.bin", "bundle-4.bin")


def capture_events(host: str, options=None):
    """``[(record, event or None)]`` for every record of the capture, in wire order."""
    cache, decoder = MetadataCache(), RecordDecoder()
    mapper, out = EventMapper(cache, host, options), []
    for name in BUNDLES:
        for message in wire.FrameParser().feed((CAPTURE / name).read_bytes()):
            for body in wire.split_bundle(message.body).bodies:
                record = decoder.decode(body)
                cache.learn(record)
                out.append((record, mapper.map(record)))
    return out
