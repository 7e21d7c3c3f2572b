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
import io
import re
import sys
import time as _time

from estreamer.events import event_json

_OPEN = "<stream>"
_CLOSE = "</stream>\n"

# What XML 1.0 §2.2 forbids in a document: C0 controls but tab, LF and CR; lone surrogates;
# U+FFFE and U+FFFF (not even as character references). FMC text (URLs, user agents, file
# names) is traffic an outsider controls, and one such character makes the whole stream
# splunkd reads not well-formed.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _json_escape(match):
    return "\\u%04x" % ord(match.group())


def _xml_safe_json(text):
    """Event JSON with U+FFFE and U+FFFF written as JSON escapes: like every character XML
    forbids, they only occur inside JSON strings, so the values come back unchanged. The JSON
    encoder already escapes C0 controls; lone surrogates are caught when the batch is encoded
    (:meth:`SplunkEventSink._emit`). ASCII (checked in constant time) needs no search."""
    if text.isascii() or ("\ufffe" not in text and "\uffff" not in text):
        return text
    return _XML_FORBIDDEN.sub(_json_escape, text)


def _escape_data(text):
    """Element content; ``>`` is escaped too, which also covers ``]]>``. The event JSON's
    quotes are everywhere and harmless in element content, so left alone."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def xml_escape(text):
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

    def __init__(self, mapper, out=None, index="default", source="", host_override=None,
                 stanza=None, clock=_time.time):
        self.mapper = mapper
        self._binary, self._out = _binary_target(out if out is not None else sys.stdout)
        self._clock = clock
        self._index = xml_escape(index or "default")
        self._source = xml_escape(source or "")
        stanza = source if stanza is None else stanza
        self._event_open = '<event stanza="{}"><time>'.format(xml_escape(stanza or ""))
        self._host_override = None if host_override is None else xml_escape(host_override)
        self._middle = {}  # (sourcetype, host) -> escaped "</time>…<data>" run
        self._buffer = []
        self._pending_counts = {}
        self._pending_devices = {}  # device id -> [newest event time, events] in the buffer
        self.buffered = 0  # characters in the buffer: the client flushes at its limit
        self._oldest = None  # earliest event time in the buffer, for the delivery lag
        self._opened = False
        self._closed = False
        self.counts = {}
        self.events = 0
        self.bytes = 0
        self.skipped = 0
        self.devices = {}
        self.max_lag = None  # seconds; the largest delivery lag since take_interval()
        self._last_interval = {"events": 0, "counts": {}, "bytes": 0}

    @property
    def pending(self):
        return len(self._buffer)

    def write(self, record):
        """Map and buffer one record; returns the event, or None when it maps to none."""
        event = self.mapper.map(record)
        if event is None:
            self.skipped += 1
            return None
        self._count_device(event.event.get("device_id"), event.time)
        self.write_event(event)
        return event

    def write_body(self, body):
        """Buffer the event of an event record's bytes, made by the compiled function of its
        shape (:meth:`EventMapper.render`); False, with nothing buffered, where that function
        cannot vouch for the record: the client then writes it decoded (:meth:`write`)."""
        return self.write_rendered(self.mapper.render(body))

    def write_rendered(self, rendered):
        """Buffer what :meth:`EventMapper.render` gave (False for None)."""
        if rendered is None:
            return False
        sourcetype, time, device, text = rendered
        self._count_device(device, time)
        self._buffer_event(sourcetype, self.mapper.host, time, text)
        return True

    def _count_device(self, device, time):
        if device is not None:
            seen = self._pending_devices.get(device)
            if seen is None:
                self._pending_devices[device] = [time, 1]
            else:
                seen[1] += 1
                if time > seen[0]:
                    seen[0] = time

    def write_event(self, event):
        """Buffer an already built event (``time``, ``sourcetype``, ``host``, ``event``)."""
        self._buffer_event(event.sourcetype, event.host, event.time, event_json(event.event))

    def _buffer_event(self, sourcetype, host, time, text):
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

    def flush(self):
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

    def _count_devices(self, now):
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

    def close(self):
        """Flush and end the ``<stream>`` document (only if one was opened)."""
        if self._closed:
            return
        self.flush()
        if self._opened:
            self._emit(_CLOSE)
            self._out.flush()
        self._closed = True

    def take_interval(self):
        """Counters since the previous call, for health events: {"events", "counts", "bytes",
        "lag"} (``lag`` None when nothing was delivered)."""
        current = {"events": self.events, "counts": dict(self.counts), "bytes": self.bytes}
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

    def _emit(self, text):
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


def _binary_target(out):
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
