"""The modular-input XML event stream, as the client's sink.

splunkd reads one ``<stream>`` document from the input's stdout; each ``<event>`` carries its own
time, index, sourcetype, source and host. Events are buffered as ready-made XML text and written
with one write + flush per batch. An event record comes as its bytes (:meth:`write_body`): the
function compiled for its shape gives the event's JSON text, and the frame around it (index,
sourcetype, source, host) is made once per (sourcetype, host), so an event costs its text, a
few ``in`` checks and a string join (no dict, no JSON encoder, no XML library per event).

Delivery contract with the client: everything passed to :meth:`write` before :meth:`flush`
returns has been handed to the OS pipe splunkd reads, so the bookmark may move past it. The
sink never flushes by itself: the client decides, through its own flush (which journals the
events' identities before they leave, :mod:`estreamer.journal`), also when :attr:`buffered`
reaches its limit, so a bundle of huge events never grows the buffer past about 1 MiB.
"""
from __future__ import annotations

import io
import re
import sys
import time as _time
from typing import Any, Callable, Dict, List, Optional, Tuple

from estreamer.events import Event, event_json

# What the compiled event function of a record gives (EventMapper.render): sourcetype, time,
# managed device id, the event's JSON text
Rendered = Tuple[str, float, Any, str]

_OPEN = "<stream>"
_CLOSE = "</stream>\n"

# What XML 1.0 §2.2 forbids in a document: C0 controls but tab, LF and CR; lone surrogates;
# U+FFFE and U+FFFF (not even as character references). FMC text (URLs, user agents, file
# names) is traffic an outsider controls, and one such character makes the whole stream
# splunkd reads not well-formed.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _json_escape(match: re.Match[str]) -> str:
    return "\\u%04x" % ord(match.group())


def _xml_safe_json(text: str) -> str:
    """Event JSON with U+FFFE and U+FFFF written as JSON escapes: like every character XML
    forbids, they only occur inside JSON strings, so the values come back unchanged. The JSON
    encoder already escapes C0 controls; lone surrogates are caught when the batch is encoded
    (:meth:`SplunkEventSink._emit`). ASCII (checked in constant time) needs no search."""
    if text.isascii() or ("\ufffe" not in text and "\uffff" not in text):
        return text
    return _XML_FORBIDDEN.sub(_json_escape, text)


def _escape_data(text: str) -> str:
    """Element content; ``>`` is escaped too, which also covers ``]]>``. The event JSON's
    quotes are everywhere and harmless in element content, so left alone."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def xml_escape(text: str) -> str:
    """Text content and attribute values (configured names: a character XML cannot hold
    becomes U+FFFD)."""
    text = _XML_FORBIDDEN.sub("\ufffd", _escape_data(text))
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


class SplunkEventSink:
    """Maps records with ``mapper`` and writes them as XML events to ``out`` (default stdout).

    ``index``/``source`` go into every event; ``host_override`` replaces the event's own host
    (the FMC); ``stanza`` (default ``source``) names the input stanza on each event.
    Counters: ``counts`` (delivered events per sourcetype), ``events``, ``bytes`` (delivered),
    ``pending`` (events buffered, not yet flushed), ``buffered`` (their characters),
    ``skipped`` (records that map to no event),
    ``devices`` (managed device id -> [newest event time, events delivered, clock time of the
    last delivery], for the events written from records; the health events prune it).
    """

    def __init__(self, mapper: Any, out: Any = None, index: str = "default", source: str = "",
                 host_override: Optional[str] = None, stanza: Optional[str] = None,
                 clock: Callable[[], float] = _time.time) -> None:
        self.mapper = mapper
        self._binary, self._out = _binary_target(out if out is not None else sys.stdout)
        self._clock = clock
        self._index = xml_escape(index or "default")
        self._source = xml_escape(source or "")
        stanza = source if stanza is None else stanza
        self._event_open = '<event stanza="{}"><time>'.format(xml_escape(stanza or ""))
        self._host_override = None if host_override is None else xml_escape(host_override)
        # (sourcetype, host) -> escaped "</time>…<data>" run
        self._middle: Dict[Tuple[str, Optional[str]], str] = {}
        self._buffer: List[str] = []
        self._pending_counts: Dict[str, int] = {}
        # device id -> [newest event time, events] in the buffer
        self._pending_devices: Dict[Any, List[float]] = {}
        self.buffered = 0  # characters in the buffer: the client flushes at its limit
        self._oldest: Optional[float] = None  # earliest event time buffered, for the lag
        self._opened = False
        self._closed = False
        self.counts: Dict[str, int] = {}
        self.events = 0
        self.bytes = 0
        self.skipped = 0
        self.devices: Dict[Any, List[float]] = {}
        self.max_lag: Optional[float] = None  # seconds; the largest since take_interval()
        self._last_interval: Dict[str, Any] = {"events": 0, "counts": {}, "bytes": 0}

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def write(self, record: Any) -> Optional[Event]:
        """Map and buffer one record; returns the event, or None when it maps to none."""
        event = self.mapper.map(record)
        if event is None:
            self.skipped += 1
            return None
        self._count_device(event.event.get("device_id"), event.time)
        self.write_event(event)
        return event

    def write_body(self, body: bytes) -> bool:
        """Buffer the event of an event record's bytes, made by the compiled function of its
        shape (:meth:`EventMapper.render`); False, with nothing buffered, where that function
        cannot vouch for the record: the client then writes it decoded (:meth:`write`)."""
        return self.write_rendered(self.mapper.render(body))

    def write_rendered(self, rendered: Optional[Rendered]) -> bool:
        """Buffer what :meth:`EventMapper.render` gave (False for None)."""
        if rendered is None:
            return False
        sourcetype, time, device, text = rendered
        self._count_device(device, time)
        self._buffer_event(sourcetype, self.mapper.host, time, text)
        return True

    def _count_device(self, device: Any, time: float) -> None:
        if device is not None:
            seen = self._pending_devices.get(device)
            if seen is None:
                self._pending_devices[device] = [time, 1]
            else:
                seen[1] += 1
                if time > seen[0]:
                    seen[0] = time

    def write_event(self, event: Event) -> None:
        """Buffer an already built event (``time``, ``sourcetype``, ``host``, ``event``)."""
        self._buffer_event(event.sourcetype, event.host, event.time, event_json(event.event))

    def _buffer_event(self, sourcetype: str, host: Optional[str], time: float,
                      text: str) -> None:
        """One ``<event>``: its frame (time, index, sourcetype, source, host) is made once
        per (sourcetype, host), the event's JSON goes into ``<data>``."""
        key = (sourcetype, host)
        middle = self._middle.get(key)
        if middle is None:
            host_text = self._host_override if self._host_override is not None \
                else xml_escape(host or "")
            middle = self._middle[key] = (
                "</time><index>{}</index><sourcetype>{}</sourcetype><source>{}</source>"
                "<host>{}</host><data>".format(self._index, xml_escape(sourcetype),
                                               self._source, host_text))
        text = "".join((self._event_open, "%.6f" % time, middle,
                        _escape_data(_xml_safe_json(text)), "</data></event>\n"))
        self._buffer.append(text)
        self.buffered += len(text)
        counts = self._pending_counts
        counts[sourcetype] = counts.get(sourcetype, 0) + 1
        if self._oldest is None or time < self._oldest:
            self._oldest = time

    def flush(self) -> None:
        """Write the buffered events and flush the stream: on return splunkd's pipe has them."""
        if self._closed:
            raise ValueError("the event stream is closed")
        if self._buffer:
            head = "" if self._opened else _OPEN
            self._opened = True
            self._emit(head + "".join(self._buffer))
            for sourcetype, n in self._pending_counts.items():
                self.counts[sourcetype] = self.counts.get(sourcetype, 0) + n
                self.events += n
            now = self._clock()
            assert self._oldest is not None  # every buffered event sets it
            lag = now - self._oldest
            if self.max_lag is None or lag > self.max_lag:
                self.max_lag = lag
            if self._pending_devices:
                self._count_devices(now)
            self._buffer = []
            self.buffered = 0
            self._pending_counts = {}
            self._oldest = None
        self._out.flush()

    def _count_devices(self, now: float) -> None:
        devices = self.devices
        for device, (newest, events) in self._pending_devices.items():
            seen = devices.get(device)
            if seen is None:
                devices[device] = [newest, events, now]
            else:
                if newest > seen[0]:
                    seen[0] = newest
                seen[1] += events
                seen[2] = now
        self._pending_devices = {}

    def close(self) -> None:
        """Flush and end the ``<stream>`` document (only if one was opened)."""
        if self._closed:
            return
        self.flush()
        if self._opened:
            self._emit(_CLOSE)
            self._out.flush()
        self._closed = True

    def take_interval(self) -> Dict[str, Any]:
        """Counters since the previous call, for health events: {"events", "counts", "bytes",
        "lag"} (``lag`` None when nothing was delivered)."""
        current: Dict[str, Any] = {"events": self.events, "counts": dict(self.counts),
                                   "bytes": self.bytes}
        previous = self._last_interval
        self._last_interval = current
        result = {
            "events": current["events"] - previous["events"],
            "bytes": current["bytes"] - previous["bytes"],
            "counts": {st: n - previous["counts"].get(st, 0) for st, n in current["counts"].items()
                       if n - previous["counts"].get(st, 0)},
            "lag": self.max_lag,
        }
        self.max_lag = None
        return result

    def _emit(self, text: str) -> None:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: only in event JSON strings, as escapes
            text = _XML_FORBIDDEN.sub(_json_escape, text)
            data = text.encode("utf-8")
        self.bytes += len(data)
        if self._binary:
            self._out.write(data)
        else:
            self._out.write(text)


def _binary_target(out: Any) -> Tuple[bool, Any]:
    """(binary?, stream): UTF-8 bytes go to the underlying buffer of a text stream, whatever
    locale encoding Python picked for stdout."""
    if isinstance(out, io.TextIOBase) or hasattr(out, "encoding"):
        buffer = getattr(out, "buffer", None)
        if buffer is not None:
            out.flush()
            return True, buffer
        return False, out
    return True, out


__all__ = ["SplunkEventSink", "xml_escape"]
