"""Every event byte for byte as the mappers wrote it before they became tables: the golden files
(``tools/golden.py``) hold the record bodies of the real FMC capture and of a simulator stream
of every family in each event generation, and the event line the mappers made of each record
with the default options and with a site's. Both paths must give those lines: the reference
(decoded record → profile walked → dict → JSON) and, for every event record, the compiled
function of the record's shape."""
from __future__ import annotations

import gzip
import sys

import pytest

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import golden  # noqa: E402
from estreamer.decoder import RecordDecoder  # noqa: E402
from estreamer.events import PROFILES, EventMapper, event_json  # noqa: E402
from estreamer.metadata import MetadataCache  # noqa: E402

STREAMS = sorted(path.name.split(".records")[0]
                 for path in golden.GOLDEN.glob("*.records.gz"))
OPTIONS = sorted(golden.options())
HOST = "fmc.example.com"


def expected(stream, label):
    text = gzip.decompress((golden.GOLDEN / f"{stream}.{label}.events.gz").read_bytes())
    return text.decode("utf-8").splitlines()


def test_the_golden_files_cover_the_capture_and_every_generation_of_the_simulator():
    from estreamer.wire import EVENT_VERSIONS
    assert STREAMS == ["capture"] + [f"simulator-{g}" for g in sorted(EVENT_VERSIONS)]


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("label", OPTIONS)
def test_the_reference_path_writes_the_golden_events(stream, label):
    bodies = golden.read_records(golden.GOLDEN / f"{stream}.records.gz")

    assert golden.event_lines(bodies, golden.options()[label]) == expected(stream, label)


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("label", OPTIONS)
def test_the_compiled_functions_write_the_golden_events(stream, label):
    bodies = golden.read_records(golden.GOLDEN / f"{stream}.records.gz")
    decoder, cache = RecordDecoder(), MetadataCache()
    mapper = EventMapper(cache, HOST, golden.options()[label])
    compiled, profiled = 0, 0
    for body, line in zip(bodies, expected(stream, label)):
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
            continue
        profiled += record["recordType"] in PROFILES and not record.get("unknown")
        rendered = mapper.render(body)
        if rendered is None:
            event = mapper.map(record)
            assert ("-" if event is None else event_json(event.as_line())) == line
            continue
        sourcetype, time, _, text = rendered
        assert event_json({"time": time, "sourcetype": sourcetype, "host": HOST,
                           "event": None})[:-5] + text + "}" == line
        compiled += 1
    assert compiled == profiled > 0  # every event record of a family went the compiled way
