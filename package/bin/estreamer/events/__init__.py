"""Records → CIM-ready events, one sourcetype per record family.

    mapper = EventMapper(cache, host="fmc.example.com")
    for record in records:            # metadata records go to cache.learn() first
        event = mapper.map(record)
        if event is not None:
            line = event_json(event.as_line())

An :class:`Event` is what the modular input hands Splunk: ``time`` (epoch seconds with
microseconds, the record's own event time), ``sourcetype`` (``cisco:firepower:estreamer:<family>``),
``host`` (the FMC) and ``event``, a compact dict: empty, zero and placeholder values omitted,
keys in a fixed order per family, raw ids beside resolved names, and every CIM field computed
here (lookup tables in :mod:`.tables`; every key of every family: ``docs/event-fields.md``).

Each family's event is a table (:mod:`.profile`; the families' modules hold them). Two paths
read the tables and give the same bytes: :meth:`EventMapper.map` walks them over a decoded
record (the reference; the event's dict is what CEF lines are made from), and
:meth:`EventMapper.render` runs the function compiled from (record layout, table) on the
record's bytes, straight to the event's JSON text (:mod:`.compiler`, :mod:`.programs`).
"""
from __future__ import annotations

import json
import logging

from ..catalog import CATALOG, RECORDS
from ..catalog.records import FAMILIES, FAMILY_OF
from ..programs import Programs
from ..ratelimit import RateLimitedLog, error_kind
from . import connection, correlation, discovery, extra, file, identity, intrusion, malware, vpn
from .common import Context
from .compiler import EventCompiler, Memos
from .metadata_records import map_metadata, map_unknown, map_unmappable
from .options import MapperOptions
from .profile import Evaluator

__all__ = ["Event", "EventMapper", "MapperOptions", "event_json", "SOURCETYPES", "FIELDS",
           "FREE_TEXT", "sourcetype_of"]

log = logging.getLogger("estreamer.events")

SOURCETYPE_PREFIX = "cisco:firepower:estreamer:"
SOURCETYPES = {family: SOURCETYPE_PREFIX + family for family in FAMILIES}

_MODULES = (connection, intrusion, extra, file, malware, correlation, identity, vpn, discovery)
# The event table of each record type of a family.
PROFILES = {number: module.PROFILE for module in _MODULES for number in module.RECORD_TYPES}
_FAMILY_BY_NUMBER = {number: family for family, numbers in FAMILY_OF.items()
                     for number in numbers}

# The keys each family's events may carry, in their order: bounded fields, the constants, then
# the family's FREE_TEXT (texts of unbounded length: Splunk extracts only an event's first
# 5,000 bytes). Discovery events also carry the record's own fields (cleaned, snake_case) after
# the constants, and metadata events after ``rec_type_desc``.
FIELDS = {module.PROFILE.family: module.PROFILE.keys for module in _MODULES}
FIELDS["metadata"] = ("rec_type", "rec_type_desc")
FREE_TEXT = {module.PROFILE.family: module.FREE_TEXT for module in _MODULES}
FREE_TEXT["metadata"] = ()


def sourcetype_of(record_type: int) -> str:
    return SOURCETYPES[_FAMILY_BY_NUMBER.get(record_type, "metadata")]


class Event:
    """One event for Splunk."""

    __slots__ = ("time", "sourcetype", "host", "event")

    def __init__(self, time: float, sourcetype: str, host: str, event: dict):
        self.time, self.sourcetype, self.host, self.event = time, sourcetype, host, event

    def as_line(self) -> dict:
        """The command line's (and a file monitor's) form: one JSON object per event."""
        return {"time": self.time, "sourcetype": self.sourcetype, "host": self.host,
                "event": self.event}

    def __eq__(self, other):
        return isinstance(other, Event) and self.as_line() == other.as_line()

    def __repr__(self):
        return f"Event({self.as_line()!r})"


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # made once, not per call


def event_json(payload: dict) -> str:
    """Compact JSON of an event dict (or of :meth:`Event.as_line`), UTF-8 text kept as is."""
    return _ENCODE(payload)


class EventMapper:
    """Maps decoded records to events with the names ``cache`` knows.

    The mapper only reads the cache: whoever reads the stream feeds metadata records to
    ``cache.learn`` (the FMC sends them before the events that use them).
    """

    def __init__(self, cache, host: str, options: MapperOptions = None, catalog=CATALOG):
        self.options = options or MapperOptions()
        self.context = Context(cache, self.options)
        self.host = host
        self.errors = 0  # records sent unmapped because their family's mapper failed
        self._log = RateLimitedLog(log)
        self.catalog = catalog
        self.programs = Programs(catalog, self._compile, PROFILES.__contains__)
        self.memos = Memos()  # what its compiled functions remember
        self._generation = cache.generation
        self._evaluators = {}  # profile -> its Evaluator with this mapper's context

    def render(self, body):
        """``(sourcetype, time, device id, event JSON text)`` of an event record's bytes, by
        the compiled function of the record's shape; None where that function cannot vouch
        for the record (or the record type has no profile): the caller decodes the record and
        calls :meth:`map`, which gives the same event."""
        generation = self.context.cache.generation
        if generation != self._generation:
            self._generation = generation
            self.context.sync()
            self.memos.sync()
        return self.programs.render(body)

    def _compile(self, layout, shape):
        profile = PROFILES[shape.record_type]
        return EventCompiler(self.catalog, layout, shape, profile, self.context,
                             self.memos, SOURCETYPES[profile.family],
                             self.options.clock).compile()

    def map(self, record):
        """The event for ``record``, or None (metadata unless ``emit_metadata``; undecodable
        records unless ``raw_unknown``)."""
        record_type = record["recordType"]
        self.context.sync()
        if record.get("unknown"):
            if not self.options.raw_unknown:
                return None
            time, event = map_unknown(record, self.context)
        elif record_type in PROFILES:
            evaluator = self._evaluator(PROFILES[record_type])
            try:
                time, event = evaluator(record)
            except Exception as error:  # noqa: BLE001 - one odd record must not stop a stream
                time, event = self._unmappable(record, error)
        elif record_type in RECORDS and self.options.emit_metadata:
            time, event = map_metadata(record, self.context)
        else:
            return None
        # A record with no time of its own at all (metadata, zeroed fields): now.
        return Event(time or self.options.clock(), sourcetype_of(record_type), self.host, event)

    def _evaluator(self, profile):
        evaluator = self._evaluators.get(profile)
        if evaluator is None:
            evaluator = self._evaluators[profile] = Evaluator(profile, self.context)
        return evaluator

    def _unmappable(self, record, error: Exception):
        """Counted, logged at most once a minute per record type and error, sent with its
        decoded fields."""
        self.errors += 1
        record_type, name = record["recordType"], type(error).__name__
        self._log.log(logging.WARNING, (record_type, name, error_kind(error)),
                      "record type %s could not be mapped (%s: %s); sent with its decoded "
                      "fields and mapping_error", record_type, name, error)
        return map_unmappable(record, self.context, error)
