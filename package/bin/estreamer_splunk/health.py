"""The input's periodic health events (sourcetype ``cisco:firepower:estreamer:health``).

Field contract: the comment above ``[cisco:firepower:estreamer:health]`` in default/props.conf.
One event per FMC (``scope=fmc``) and one per managed device (``scope=device``) every interval,
host = the FMC. Counters cover the interval only, so searches can sum them over any time range:
the client's counters are cumulative, and each report subtracts the previous snapshot (a counter
that went backwards — the client restarted — counts from zero).

Stats (cumulative): ``{"connected", "reconnects", "events", "parse_errors", "unknown_types",
"unknown_blocks", "mapping_errors", "future_records", "duplicates_dropped",
"failovers", "bookmark": [timestamp, count, fmc] | None, "last_error", "client_cert_days_left",
"generation", "active_fmc" (host:port of the FMC that served last),
"devices": {device_id: last_event_time | {"last_event_time", "events", "name"}}}``. ``events``
are the events the sink wrote (not the records the client handed it: metadata and records of
filtered-out devices make none), and so are a device's.

A managed device is reported until it has been silent for :data:`DEVICE_SILENCE` (a device
removed from the FMC stops being reported a day later), and at most :data:`MAX_DEVICES` of them
(an FMC manages at most 1,000): records with made-up device ids cannot balloon the health events.
"""
import logging

from estreamer.events import Event

SOURCETYPE = "cisco:firepower:estreamer:health"
FMC_COUNTERS = ("reconnects", "parse_errors", "unknown_types", "unknown_blocks", "mapping_errors",
                "future_records", "duplicates_dropped", "failovers")
DEVICE_SILENCE = 24 * 3600
MAX_DEVICES = 2000

log = logging.getLogger("estreamer_splunk.health")


def _delta(current, previous, key):
    now = int((current or {}).get(key) or 0)
    before = int((previous or {}).get(key) or 0)
    return now - before if now >= before else now


def _rate(events, interval):
    return round(events / interval, 3) if interval > 0 else 0.0


def _compact(fields):
    """Empty values are omitted (zeros are kept: a silent interval must show events=0)."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def _device_info(value):
    if isinstance(value, dict):
        return value
    return {"last_event_time": value}


def fmc_health(stats, previous, interval, now, fmc, input_name, lag=None):
    """The ``scope=fmc`` fields. ``lag``: the largest delivery lag the sink measured in the
    interval; without it, now - the bookmark's timestamp stands in (only when events were
    written)."""
    events = _delta(stats, previous, "events")
    bookmark = stats.get("bookmark")
    if lag is None and events and bookmark:
        lag = max(now - bookmark[0], 0)
    fields = {
        "scope": "fmc", "fmc": fmc, "input": input_name, "interval": interval,
        "events": events, "rate": _rate(events, interval),
        "lag": None if lag is None or not events else round(lag, 3),
        "connected": 1 if stats.get("connected") else 0,
    }
    for key in FMC_COUNTERS:
        fields[key] = _delta(stats, previous, key)
    fields["bookmark"] = int(bookmark[0]) if bookmark else None
    fields["active_fmc"] = stats.get("active_fmc")
    fields["last_error"] = stats.get("last_error")
    fields["client_cert_days_left"] = stats.get("client_cert_days_left")
    fields["generation"] = stats.get("generation")
    return _compact(fields)


def device_health(device_id, info, previous_info, interval, fmc, input_name):
    """The ``scope=device`` fields of one managed device."""
    info = _device_info(info)
    fields = {"scope": "device", "fmc": fmc, "input": input_name, "interval": interval}
    if "events" in info:
        events = _delta(info, _device_info(previous_info) if previous_info is not None else None,
                        "events")
        fields["events"] = events
        fields["rate"] = _rate(events, interval)
        if events and info.get("lag") is not None:
            fields["lag"] = round(info["lag"], 3)
    fields["dvc"] = info.get("name")
    fields["device_id"] = device_id
    last = info.get("last_event_time")
    fields["last_event_time"] = None if last is None else int(last)
    return _compact(fields)


def prune_devices(devices, now, silence=DEVICE_SILENCE, limit=MAX_DEVICES):
    """Drop, in place, the devices of ``devices`` (id -> [newest event time, events, time of
    the last delivery], as the sink keeps them) silent for ``silence`` seconds, then the
    longest silent beyond ``limit``."""
    for device in [d for d, seen in devices.items() if now - seen[2] >= silence]:
        del devices[device]
    if len(devices) > limit:
        by_silence = sorted(devices, key=lambda d: (devices[d][2], devices[d][0]))
        dropped = by_silence[:len(devices) - limit]
        for device in dropped:
            del devices[device]
        log.warning("events came from more than %d managed device ids: the health events "
                    "leave out the %d that were silent longest", limit, len(dropped))


def health_events(stats, previous, interval, now, fmc, input_name, host, lag=None):
    """The interval's health :class:`Event` list: the FMC first, then its devices by id."""
    events = [Event(now, SOURCETYPE, host,
                    fmc_health(stats, previous, interval, now, fmc, input_name, lag))]
    devices = stats.get("devices") or {}
    before = (previous or {}).get("devices") or {}
    for device_id in sorted(devices, key=str):
        events.append(Event(now, SOURCETYPE, host, device_health(
            device_id, devices[device_id], before.get(device_id), interval, fmc, input_name)))
    return events


__all__ = ["DEVICE_SILENCE", "MAX_DEVICES", "SOURCETYPE", "device_health", "fmc_health",
           "health_events", "prune_devices"]
