"""estreamer_splunk.health: health events per the props.conf field contract."""
from estreamer_splunk.health import SOURCETYPE, device_health, fmc_health, health_events

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
                            "unknown_blocks", "mapping_errors", "bookmark"]
    assert fields["scope"] == "fmc" and fields["events"] == 600 and fields["rate"] == 10.0
    assert fields["connected"] == 1 and fields["bookmark"] == 1700000090 and fields["lag"] == 2.5


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
