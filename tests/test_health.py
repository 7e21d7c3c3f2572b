"""estreamer_splunk.health: health events per the props.conf field contract."""
import io
import logging

from estreamer.events import Event
from estreamer_splunk.health import (
    DEVICE_SILENCE,
    MAX_DEVICES,
    SOURCETYPE,
    device_health,
    fmc_health,
    health_events,
    prune_devices,
)

NOW = 1700000100.0


def _stats(**kw):
    stats = {"connected": True, "reconnects": 2, "records": 900, "events": 600,
             "parse_errors": 1, "unknown_types": 3, "unknown_blocks": 0, "mapping_errors": 0,
             "bookmark": [1700000090, 4], "last_error": None, "devices": {}}
    stats.update(kw)
    return stats


def test_fmc_event_fields_and_order():
    fields = fmc_health(_stats(), None, 60, NOW, "fmc1", "in1", lag=2.5)
    assert list(fields) == ["scope", "fmc", "input", "interval", "events", "rate", "lag",
                            "connected", "reconnects", "parse_errors", "unknown_types",
                            "unknown_blocks", "mapping_errors", "future_records",
                            "duplicates_dropped", "failovers", "bookmark"]
    assert fields["scope"] == "fmc" and fields["events"] == 600 and fields["rate"] == 10.0
    assert fields["connected"] == 1 and fields["bookmark"] == 1700000090 and fields["lag"] == 2.5


def test_future_records_and_dropped_duplicates_are_counted_per_interval():
    previous = _stats(future_records=1, duplicates_dropped=40)
    current = _stats(future_records=3, duplicates_dropped=40)
    fields = fmc_health(current, previous, 60, NOW, "fmc1", "in1")
    assert (fields["future_records"], fields["duplicates_dropped"]) == (2, 0)


def test_the_serving_fmc_is_named_and_failovers_counted_per_interval():
    previous = _stats(active_fmc="10.0.0.1:8302", failovers=0)
    current = _stats(active_fmc="10.0.0.2:8302", failovers=1)
    fields = fmc_health(current, previous, 60, NOW, "fmc1", "in1")
    assert (fields["active_fmc"], fields["failovers"]) == ("10.0.0.2:8302", 1)
    assert fmc_health(current, current, 60, NOW, "fmc1", "in1")["failovers"] == 0


def test_counters_cover_the_interval_only():
    previous = _stats()
    current = _stats(events=720, reconnects=3, parse_errors=1, mapping_errors=2)
    fields = fmc_health(current, previous, 60, NOW, "fmc1", "in1")
    assert (fields["events"], fields["rate"], fields["reconnects"], fields["parse_errors"],
            fields["mapping_errors"]) == (120, 2.0, 1, 0, 2)


def test_a_counter_going_backwards_counts_from_zero():
    fields = fmc_health(_stats(events=5), _stats(events=600), 10, NOW, "fmc1", "in1")
    assert fields["events"] == 5


def test_lag_falls_back_to_the_bookmark_and_is_absent_without_events():
    assert fmc_health(_stats(), None, 60, NOW, "f", "i")["lag"] == 10.0
    quiet = fmc_health(_stats(), _stats(), 60, NOW, "f", "i")
    assert quiet["events"] == 0 and quiet["rate"] == 0.0 and "lag" not in quiet


def test_empty_values_are_omitted_and_errors_reported():
    fields = fmc_health(_stats(connected=False, bookmark=None, last_error=""), None, 60, NOW,
                        "f", "i")
    assert "bookmark" not in fields and "last_error" not in fields and fields["connected"] == 0
    failing = fmc_health(_stats(last_error="TLS alert: unknown CA"), None, 60, NOW, "f", "i")
    assert failing["last_error"] == "TLS alert: unknown CA"


def test_device_event_with_a_plain_last_event_time():
    fields = device_health(7, 1700000050.7, None, 60, "fmc1", "in1")
    assert fields == {"scope": "device", "fmc": "fmc1", "input": "in1", "interval": 60,
                      "device_id": 7, "last_event_time": 1700000050}


def test_device_event_with_counts_and_name_reports_even_zero_events():
    info = {"last_event_time": 1700000050, "events": 40, "name": "ftd-1"}
    fields = device_health(7, info, dict(info), 60, "fmc1", "in1")
    assert fields["events"] == 0 and fields["rate"] == 0.0 and fields["dvc"] == "ftd-1"
    assert device_health(7, info, None, 20, "fmc1", "in1")["rate"] == 2.0


def test_health_events_fmc_first_then_devices_with_health_sourcetype():
    stats = _stats(devices={9: 1700000001, 2: 1700000002})
    events = health_events(stats, None, 60, NOW, "fmc1", "in1", host="fmc1.example")
    assert [e.event["scope"] for e in events] == ["fmc", "device", "device"]
    assert [e.event.get("device_id") for e in events[1:]] == [2, 9]
    assert all(e.sourcetype == SOURCETYPE and e.host == "fmc1.example" and e.time == NOW
               for e in events)


def test_the_fmc_event_names_the_event_generation_in_use():
    fields = fmc_health(_stats(generation="6.2"), None, 60, NOW, "fmc1", "in1")
    assert fields["generation"] == "6.2" and list(fields)[-1] == "generation"
    assert "generation" not in fmc_health(_stats(), None, 60, NOW, "fmc1", "in1")


# --- the input's Health: what the sink wrote, devices bounded ---------------------------------

CONNECTION = "cisco:firepower:estreamer:connection"


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Events:
    """A mapper for records that already are events (None: a record that makes no event)."""

    errors = 0

    def map(self, record):
        return record


def _input_health(clock):
    """The input's Health over a real client, sink and stream; returns (client, sink, health,
    reports) where ``reports()`` gives the health events of the stream so far."""
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.metadata import MetadataCache
    from estreamer_splunk.health import Counters, Health
    from estreamer_splunk.xml_stream import SplunkEventSink
    from modinput import parse_events

    out = io.BytesIO()
    sink = SplunkEventSink(Events(), out, clock=clock)
    client = StreamClient(ClientConfig(host="fmc1.example"), sink, bookmarks=None)
    cache = MetadataCache()

    def counters(now):  # as the input counts: what the sink wrote, not the health events
        return Counters(events=sum(n for st, n in sink.counts.items() if st != SOURCETYPE),
                        mapping_errors=0, devices=sink.devices,
                        lag=sink.take_interval()["lag"])

    def send(events):
        for event in events:
            sink.write_event(event)
        client.flush()
        sink.flush()
    health = Health(client.stats, counters, send, lambda d: cache.name("devices", d), 60,
                    "fmc1", "in1", "fmc1.example", clock=clock)

    def reports():
        return [e["event"] for e in parse_events(out.getvalue()) if e["sourcetype"] == SOURCETYPE]
    return client, sink, health, reports


def test_the_fmc_health_counts_events_written_not_records_handed_to_the_sink():
    clock = Clock(NOW)
    client, sink, health, reports = _input_health(clock)
    for record in (None, None, Event(NOW, CONNECTION, "h", {"device_id": 1}), None):
        sink.write(record)  # metadata and records of filtered-out devices make no event
        client.stats.delivered += 1
    sink.flush()
    clock.now += 60
    health()
    assert [(r["scope"], r["events"], r["rate"]) for r in reports()] == [
        ("fmc", 1, round(1 / 60, 3)), ("device", 1, round(1 / 60, 3))]
    clock.now += 60
    health()  # the health events themselves are not the FMC's events
    assert [(r["scope"], r["events"]) for r in reports()[2:]] == [("fmc", 0), ("device", 0)]


def test_a_device_is_reported_until_it_has_been_silent_for_24_hours():
    clock = Clock(NOW)
    client, sink, health, reports = _input_health(clock)
    sink.write(Event(NOW - 5, CONNECTION, "h", {"device_id": 7}))
    sink.flush()
    devices = []
    for elapsed in (60, DEVICE_SILENCE - 60, DEVICE_SILENCE + 60):
        clock.now = NOW + elapsed
        before = len(reports())
        health()
        devices.append([(r["device_id"], r["events"], r["last_event_time"])
                        for r in reports()[before:] if r["scope"] == "device"])
    assert devices == [[(7, 1, int(NOW - 5))], [(7, 0, int(NOW - 5))], []]


def test_a_silent_device_is_dropped_after_24_hours():
    devices = {1: [100.0, 5, NOW - DEVICE_SILENCE], 2: [100.0, 5, NOW - DEVICE_SILENCE + 1]}
    prune_devices(devices, NOW)
    assert list(devices) == [2]


def test_beyond_the_device_limit_the_longest_silent_are_dropped_and_said_so(caplog):
    devices = {d: [NOW, 1, NOW - d] for d in range(1, MAX_DEVICES + 501)}  # d: seconds silent
    with caplog.at_level(logging.WARNING, logger="estreamer_splunk.health"):
        prune_devices(devices, NOW)
    assert sorted(devices) == list(range(1, MAX_DEVICES + 1))
    assert [r.getMessage() for r in caplog.records] == [
        f"events came from more than {MAX_DEVICES} managed device ids: the health events leave "
        f"out the 500 that were silent longest"]
