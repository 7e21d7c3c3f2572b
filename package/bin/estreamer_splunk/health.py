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

:class:`Health` is the input's reporter: every interval it asks the input for its counters
(:class:`Counters`, gathered by the runner from the client, the sink and the mapper) and hands
the events to the input to send. :class:`FinalReport` is the one event a fatal exit leaves.

A managed device is reported until it has been silent for :data:`DEVICE_SILENCE` (a device
removed from the FMC stops being reported a day later), and at most :data:`MAX_DEVICES` of them
(an FMC manages at most 1,000): records with made-up device ids cannot balloon the health events.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from estreamer.client import Stats
from estreamer.events import Event

SOURCETYPE = "cisco:firepower:estreamer:health"
FMC_COUNTERS = ("reconnects", "parse_errors", "unknown_types", "unknown_blocks", "mapping_errors",
                "future_records", "duplicates_dropped", "failovers")
DEVICE_SILENCE = 24 * 3600
MAX_DEVICES = 2000

log = logging.getLogger("estreamer_splunk.health")


def _delta(current: Optional[dict], previous: Optional[dict], key: str) -> int:
    now = int((current or {}).get(key) or 0)
    before = int((previous or {}).get(key) or 0)
    return now - before if now >= before else now


def _rate(events: int, interval: float) -> float:
    return round(events / interval, 3) if interval > 0 else 0.0


def _compact(fields: Dict[str, Any]) -> Dict[str, Any]:
    """Empty values are omitted (zeros are kept: a silent interval must show events=0)."""
    return {k: v for k, v in fields.items() if v is not None and v != ""}


def _device_info(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    return {"last_event_time": value}


def fmc_health(stats: dict, previous: Optional[dict], interval: float, now: float, fmc: str,
               input_name: str, lag: Optional[float] = None) -> Dict[str, Any]:
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


def device_health(device_id: Any, info: Any, previous_info: Any, interval: float, fmc: str,
                  input_name: str) -> Dict[str, Any]:
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


def prune_devices(devices: Dict[Any, list], now: float, silence: float = DEVICE_SILENCE,
                  limit: int = MAX_DEVICES) -> None:
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


def health_events(stats: dict, previous: Optional[dict], interval: float, now: float, fmc: str,
                  input_name: str, host: str, lag: Optional[float] = None) -> List[Event]:
    """The interval's health :class:`Event` list: the FMC first, then its devices by id."""
    events = [Event(now, SOURCETYPE, host,
                    fmc_health(stats, previous, interval, now, fmc, input_name, lag))]
    devices = stats.get("devices") or {}
    before = (previous or {}).get("devices") or {}
    for device_id in sorted(devices, key=str):
        events.append(Event(now, SOURCETYPE, host, device_health(
            device_id, devices[device_id], before.get(device_id), interval, fmc, input_name)))
    return events


@dataclass(frozen=True)
class Counters:
    """What the sink and the mapper counted, for one report: the events the sink wrote and
    the mapper's errors (cumulative),
    the managed devices the sink saw (id -> [newest event time, events, clock time of the last
    delivery]; pruned in place by the report), and the largest delivery lag since the last
    report (None: nothing was delivered)."""

    events: int
    mapping_errors: int
    devices: Dict[Any, list]
    lag: Optional[float]


class Health:
    """The input's health reporter: writes the health events every ``interval`` seconds.

    ``stats`` are the client's own (cumulative), ``counters(now)`` what the sink and the mapper
    counted; ``send(events)`` hands the events on and flushes
    them (the input's own flush, which journals and writes what is buffered first);
    ``names(device_id)`` is the device's name, if the FMC named it. Called from the client's
    thread (its ``tick``), so nothing here is shared with another thread.
    """

    def __init__(self, stats: Stats, counters: Callable[[float], Counters],
                 send: Callable[[List[Event]], None], names: Callable[[Any], Optional[str]],
                 interval: float, fmc: str, input_name: str, host: str,
                 clock: Callable[[], float] = time.time):
        self.stats, self.counters, self.send, self.names = stats, counters, send, names
        self.interval, self.fmc, self.input, self.host = interval, fmc, input_name, host
        self.clock = clock
        self.due = clock() + interval
        self.previous: Optional[dict] = None

    def __call__(self) -> None:
        now = self.clock()
        if now < self.due:
            return
        self.due = now + self.interval
        counted = self.counters(now)
        stats = dict(self.stats.as_dict(), events=counted.events,
                     mapping_errors=counted.mapping_errors)
        prune_devices(counted.devices, now)
        stats["devices"] = {
            device: {"last_event_time": newest, "events": events, "name": self.names(device)}
            for device, (newest, events, _) in counted.devices.items()}
        self.send(health_events(stats, self.previous, self.interval, now, self.fmc, self.input,
                                self.host, counted.lag))
        self.previous = stats

    def report_now(self, last_error: Optional[str] = None) -> None:
        """One health event right away (a wait, a fatal error); ``last_error`` says why."""
        if last_error is not None:
            self.stats.last_error = last_error
        self.due = self.clock()
        self()


class FinalReport:
    """The one health event a fatal exit leaves: through the input's :class:`Health` once it
    exists, else built here (the settings may not even name the FMC's address yet).
    ``mask`` keeps secrets out of the text."""

    def __init__(self, send: Callable[[List[Event]], None], input_name: str, fmc: str,
                 host: str, mask: Callable[[str], str] = str):
        self.send, self.input, self.fmc, self.host, self.mask = send, input_name, fmc, host, mask
        self.health: Optional[Health] = None

    def __call__(self, text: str) -> None:
        text = self.mask(text)
        try:
            if self.health is not None:
                self.health.report_now(text)
                return
            stats = Stats().as_dict()
            stats["last_error"] = text
            self.send(health_events(stats, None, 0, time.time(), self.fmc, self.input,
                                    self.host))
        except Exception:  # noqa: BLE001 - a broken pipe to splunkd must not hide the cause
            log.warning("input %s: the final health event could not be written", self.input,
                        exc_info=True)


__all__ = ["DEVICE_SILENCE", "Counters", "FinalReport", "Health", "MAX_DEVICES", "SOURCETYPE",
           "device_health", "fmc_health",
           "health_events", "prune_devices"]
