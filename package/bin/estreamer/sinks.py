"""Where the command line's records go: JSON lines (decoded records or CIM events), CEF lines
to a file, or CEF over syslog.

A sink has two methods: ``write(record)`` and ``flush()``. After ``flush()`` returns, everything
written before is in the operating system's hands (a killed client loses none of it), and only
then does the client move its bookmark. A sink may also take an event record's bytes as they
are, ``write_body(body) -> bool``: it writes the record's line with the compiled function of
its shape, or returns False having written nothing, and the client hands it the decoded record
instead (:mod:`estreamer.events.programs`).

A sink that buffers says how much in ``buffered`` (characters) and never writes on its own: the
client flushes it through its own flush (the identity journal first) when that reaches its
limit. The syslog sink is the exception: it hands each message to its transport at once (a
datagram cannot wait; TCP sends past 64 KiB), so over syslog a crash may repeat the events
written since the last flush.
"""
from __future__ import annotations

import json


class JsonLinesSink:
    """One JSON object per line: the decoded record, or with ``mapper`` the event Splunk gets."""

    def __init__(self, out, mapper=None):
        self.out, self.mapper = out, mapper
        self.lines, self.buffered = [], 0
        self.written = 0
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self._records = None if mapper is not None else _record_programs()
        self._frames = {}  # (sourcetype, host) -> ',"sourcetype":…,"host":…,"event":'

    def write_body(self, body) -> bool:
        """The record's line from its bytes, by the compiled function of its shape; False
        (nothing written) where that function cannot vouch for the record."""
        if self.mapper is None:
            rendered = self._records.render(body)
            if rendered is None:
                return False
            line = rendered[3]
        else:
            rendered = self.mapper.render(body)
            if rendered is None:
                return False
            sourcetype, time, _, text = rendered
            frame = self._frames.get(sourcetype)
            if frame is None:
                frame = self._frames[sourcetype] = ',"sourcetype":{},"host":{},"event":'.format(
                    self._dumps(sourcetype), self._dumps(self.mapper.host))
            line = '{"time":' + repr(time) + frame + text + "}"
        self.lines.append(line)
        self.buffered += len(line)
        return True

    def write(self, record) -> None:
        if self.mapper is None:
            line = self._dumps(record.as_dict())
        else:
            event = self.mapper.map(record)
            if event is None:
                return
            line = self._dumps(event.as_line())
        self.lines.append(line)
        self.buffered += len(line)

    def flush(self) -> None:
        if self.lines:
            self.out.write("\n".join(self.lines) + "\n")
            self.written += len(self.lines)
            self.lines, self.buffered = [], 0
        self.out.flush()


def compiled_event(mapper, body):
    """The event of an event record's bytes, made by the function compiled for the record's
    shape, as the dict the reference path gives (its JSON text parsed: the same keys in the same
    order, the same values); None where that function cannot vouch for the record."""
    rendered = mapper.render(body)
    if rendered is None:
        return None
    from .events import Event
    sourcetype, time, _, text = rendered
    return Event(time, sourcetype, mapper.host, _loads(text))


_loads = json.JSONDecoder().decode


class CefLinesSink(JsonLinesSink):
    """One CEF line per event (:mod:`.cef`), made from the event Splunk would get."""

    def __init__(self, out, mapper, formatter):
        super().__init__(out, mapper)
        self.formatter = formatter

    def write_body(self, body) -> bool:
        event = compiled_event(self.mapper, body)
        if event is None:
            return False
        self._line(event)
        return True

    def write(self, record) -> None:
        event = self.mapper.map(record)
        if event is None:
            return
        self._line(event)

    def _line(self, event) -> None:
        line = self.formatter.line(event)
        self.lines.append(line)
        self.buffered += len(line)


class SyslogSink:
    """One syslog message per event: a header (:mod:`.syslog`) and the event's CEF line, cut to
    ``max_bytes`` by shortening values, never split. ``flush()`` returns once the transport has
    handed every message to its socket."""

    def __init__(self, transport, mapper, formatter, header, max_bytes: int = 8192):
        self.transport, self.mapper, self.formatter = transport, mapper, formatter
        self.header, self.max_bytes = header, max_bytes
        self.written = 0

    def write_body(self, body) -> bool:
        """An event record's bytes (see :func:`compiled_event`); False where the compiled
        function cannot vouch for it: the client then writes it decoded."""
        event = compiled_event(self.mapper, body)
        if event is None:
            return False
        self._send(event)
        return True

    def write(self, record) -> None:
        event = self.mapper.map(record)
        if event is None:
            return
        self._send(event)

    def _send(self, event) -> None:
        prefix = self.header.prefix()
        self.transport.add(prefix + self.formatter.encode(event, self.max_bytes - len(prefix)))
        self.written += 1

    def flush(self) -> None:
        self.transport.flush()


class NullSink:
    """Discards records (benchmarks): the cost of everything but the output."""

    def __init__(self):
        self.written = 0

    def write(self, record) -> None:
        self.written += 1

    def flush(self) -> None:
        pass


def _record_programs():
    """Records' own JSON lines, compiled per shape (the identity profile)."""
    from .catalog import CATALOG
    from .events.programs import record_programs
    return record_programs(CATALOG)
