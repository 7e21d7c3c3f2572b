"""The add-on's knowledge objects applied to one event at search time.

The order is Splunk's ("Knowledge Manager Manual: The sequence of search-time operations";
props.conf.spec): inline extractions (``EXTRACT-*``), transform extractions (``REPORT-*``, not
used here and refused), automatic key/value extraction (``KV_MODE``), field aliases
(``FIELDALIAS-*``), calculated fields (``EVAL-*``), lookups (``LOOKUP-*``), event types, tags.
Each step sees only what the steps before it produced:

* ``FIELDALIAS-<class> = (<field> AS|ASNEW <alias>)+`` (props.conf.spec): every alias of the
  stanza reads the extracted fields, never another alias (so a chain is refused here); ``AS``
  overwrites an existing field, and a missing source clears the alias ("Create field aliases in
  Splunk Web": with "Overwrite field values", an alias whose source field does not exist or has
  no value is removed); ``ASNEW`` only creates a field that does not exist.
* ``EVAL-<field> = <expression>`` (props.conf.spec): "all EVALs see the fields as they were
  before any EVAL in the same props stanza" — calculated fields are evaluated independently on
  the fields after aliasing, then assigned; a null result leaves the field absent.
* ``LOOKUP-<class>`` (props.conf.spec, transforms.conf.spec): applied after the EVALs, one class
  after another in ASCII order of ``<class>``; ``OUTPUT`` overwrites, ``OUTPUTNEW`` writes only
  fields that do not exist; matching follows the transform's ``case_sensitive_match``
  (default true) and ``max_matches``; a multivalue input looks up each value.
* Event types (eventtypes.conf) match the fields after lookups; tags (tags.conf) apply to
  ``field=value`` pairs, ``eventtype=<name>`` included, when ``enabled``.
"""
from __future__ import annotations

import csv
import pathlib
import re

from .conf import read_conf
from .evaluate import PROPS_FUNCTIONS, EvalError, Expression, assigned
from .extraction import LIMITS, auto_kv_fields, json_fields, regex_fields
from .search import Search
from .values import render, values_of

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT = REPO / "package" / "default"
LOOKUPS = REPO / "package" / "lookups"
# Splunk's default fields of an indexed event (not extracted from _raw).
DEFAULT_FIELDS = ("_raw", "_time", "host", "source", "sourcetype", "index", "splunk_server",
                  "linecount")
# tstats reads only these (indexed) fields.
INDEXED_FIELDS = frozenset(("_time", "_indextime", "host", "source", "sourcetype", "index",
                            "splunk_server"))


class ModelError(ValueError):
    """A knowledge object whose effect this model does not know; never guessed."""


def indexed(event, index="firepower", source="firepower_estreamer://fmc", raw=None) -> dict:
    """An ``estreamer.events.Event`` as Splunk indexes it: ``_raw`` is the event's compact JSON
    exactly as the modular input writes it."""
    from estreamer.events import event_json
    return {"_raw": event_json(event.event) if raw is None else raw, "_time": event.time,
            "host": event.host, "source": source, "sourcetype": event.sourcetype,
            "index": index, "splunk_server": "sh1", "linecount": "1"}


_ALIAS = re.compile(r'\s*("(?:[^"\\]|\\.)+"|[^\s"]+)\s+(AS|ASNEW)\s+("(?:[^"\\]|\\.)+"|[^\s"]+)',
                    re.IGNORECASE)
_NAME = r'("(?:[^"\\]|\\.)+"|[^\s",]+)'


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def parse_aliases(value: str):
    """``a AS b c ASNEW d`` → ``[(a, b, "AS"), (c, d, "ASNEW")]``."""
    out, position = [], 0
    while value[position:].strip():
        found = _ALIAS.match(value, position)
        if found is None:
            raise ModelError(f"cannot read field alias {value[position:]!r}")
        out.append((_unquote(found.group(1)), _unquote(found.group(3)), found.group(2).upper()))
        position = found.end()
    return out


class LookupTable:
    """A file-based lookup of transforms.conf (its CSV under lookups/)."""

    def __init__(self, name: str, stanza: dict, directory: pathlib.Path):
        unknown = set(stanza) - {"filename", "case_sensitive_match", "max_matches",
                                 "min_matches", "default_match"}
        if unknown:
            raise ModelError(f"transforms [{name}]: {sorted(unknown)} not modelled")
        self.name = name
        self.path = directory / stanza["filename"]
        with self.path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            self.columns = next(reader)
            self.rows = [dict(zip(self.columns, row)) for row in reader]
        self.case_sensitive = stanza.get("case_sensitive_match", "true").lower() in (
            "true", "1", "t")
        # transforms.conf.spec: "max_matches … Default: 1000" (100 for non-temporal lookups
        # in the docs' examples); this add-on always sets it.
        self.max_matches = int(stanza.get("max_matches", "1000"))
        if stanza.get("min_matches") or stanza.get("default_match"):
            raise ModelError(f"transforms [{name}]: min_matches/default_match not modelled")

    def matches(self, keys: dict):
        """Rows whose key columns equal ``keys`` (``{column: text}``), up to max_matches."""
        def same(a, b):
            return a == b if self.case_sensitive else a.lower() == b.lower()
        found = [row for row in self.rows
                 if all(same(row[column], value) for column, value in keys.items())]
        return found[:self.max_matches]

    def apply(self, fields: dict, inputs, outputs, mode: str):
        """``lookup``: ``inputs`` [(column, event field)], ``outputs`` [(column, event field)]
        (all non-key columns when empty), ``mode`` OUTPUT or OUTPUTNEW; ``fields`` changed in
        place."""
        for column, _ in inputs + outputs:
            if column not in self.columns:
                raise ModelError(f"lookup {self.name}: no column {column!r}")
        if not outputs:
            keys = {column for column, _ in inputs}
            outputs = [(column, column) for column in self.columns if column not in keys]
        if mode == "OUTPUTNEW" and all(fields.get(target) is not None for _, target in outputs):
            return  # "the lookup is not performed for events in which the output fields exist"
        key_values = [[render(v) for v in values_of(fields.get(field))] for _, field in inputs]
        if any(not values for values in key_values):
            return  # an input field is absent: nothing to look up
        rows = []
        for combination in _product(key_values):
            rows += self.matches(dict(zip((column for column, _ in inputs), combination)))
        for column, target in outputs:
            if mode == "OUTPUTNEW" and fields.get(target) is not None:
                continue
            values = [row[column] for row in rows if row[column] != ""]
            if not values:
                if fields.get(target) is not None:
                    raise ModelError(f"lookup {self.name}: no match for an event whose "
                                     f"{target} already exists (not modelled)")
                continue
            fields[target] = values[0] if len(values) == 1 else values


def _product(lists):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head,) + rest


_LOOKUP = re.compile(r"\s*(\w+)\s+(.*?)(?:\s+(OUTPUTNEW|OUTPUT)\s+(.*))?\s*$", re.DOTALL)


def parse_lookup(value: str):
    """``<table> <in> [AS <field>] … [OUTPUT|OUTPUTNEW <out> [AS <field>] …]``."""
    found = _LOOKUP.match(value)
    if found is None:
        raise ModelError(f"cannot read lookup {value!r}")
    table, inputs, mode, outputs = found.groups()
    return table, _field_pairs(inputs), _field_pairs(outputs or ""), mode or "OUTPUT"


def _field_pairs(text: str):
    names = [_unquote(name) for name in re.findall(_NAME, text.replace(",", " "))]
    pairs, index = [], 0
    while index < len(names):
        if index + 2 < len(names) and names[index + 1].upper() == "AS":
            pairs.append((names[index], names[index + 2]))
            index += 3
        else:
            pairs.append((names[index], names[index]))
            index += 1
    return pairs


class Stanza:
    """The search-time settings of one props.conf sourcetype stanza, compiled."""

    SEARCH_TIME = ("EXTRACT-", "REPORT-", "FIELDALIAS-", "EVAL-", "LOOKUP-")

    def __init__(self, name: str, settings: dict, lookups: dict):
        self.name = name
        self.kv_mode = settings.get("KV_MODE", "auto").lower()
        if self.kv_mode not in ("json", "auto", "none"):
            raise ModelError(f"[{name}] KV_MODE = {self.kv_mode} not modelled")
        if any(key.startswith("REPORT-") for key in settings):
            raise ModelError(f"[{name}] REPORT- extractions are not modelled")
        self.extracts = [settings[key] for key in sorted(settings) if key.startswith("EXTRACT-")]
        self.aliases = [alias for key in sorted(settings) if key.startswith("FIELDALIAS-")
                        for alias in parse_aliases(settings[key])]
        targets = [target for _, target, _ in self.aliases]
        for source, target, _ in self.aliases:
            if targets.count(target) > 1:
                raise ModelError(f"[{name}] several aliases write {target!r}")
            if source in targets:
                raise ModelError(f"[{name}] alias of alias {source!r} -> {target!r}: field "
                                 "aliases do not chain")
        try:
            self.evals = [(key[len("EVAL-"):], Expression(settings[key], PROPS_FUNCTIONS))
                          for key in sorted(settings) if key.startswith("EVAL-")]
        except EvalError as error:
            raise ModelError(f"[{name}] {error}") from None
        self.lookups = []
        for key in sorted(settings):  # ASCII order of the LOOKUP-<class> names
            if key.startswith("LOOKUP-"):
                table, inputs, outputs, mode = parse_lookup(settings[key])
                if table not in lookups:
                    raise ModelError(f"[{name}] {key}: no lookup {table!r} in transforms.conf")
                self.lookups.append((lookups[table], inputs, outputs, mode))

    def extract(self, raw: str, limits) -> dict:
        fields = {}
        for regex in self.extracts:
            for key, value in regex_fields(regex, raw).items():
                fields.setdefault(key, value)
        automatic = {"json": json_fields, "auto": auto_kv_fields}.get(self.kv_mode)
        if automatic is not None:
            for key, value in automatic(raw, limits).items():
                fields.setdefault(key, value)
        return fields

    def alias(self, fields: dict):
        extracted = dict(fields)
        for source, target, mode in self.aliases:
            value = extracted.get(source)
            if mode == "ASNEW":
                if value is not None and extracted.get(target) is None:
                    fields[target] = value
            elif value is None:
                fields.pop(target, None)
            else:
                fields[target] = value

    def calculate(self, fields: dict):
        before = dict(fields)  # every EVAL sees the fields as they were before any EVAL
        results = []
        for target, expression in self.evals:
            try:
                results.append((target, assigned(expression(before), target)))
            except EvalError as error:
                raise ModelError(f"[{self.name}] EVAL-{target}: {error}") from None
        for target, value in results:
            if value is None:
                fields.pop(target, None)
            else:
                fields[target] = value

    def look_up(self, fields: dict):
        for table, inputs, outputs, mode in self.lookups:
            table.apply(fields, inputs, outputs, mode)


class SearchHead:
    """The add-on's knowledge objects as a search head applies them.

        head = SearchHead()
        fields = head.fields(indexed(event))   # what a search sees of one event
    """

    def __init__(self, default=DEFAULT, lookups=LOOKUPS, limits=None, datamodels=None):
        self.default, self.limits = pathlib.Path(default), {**LIMITS, **(limits or {})}
        self.datamodels = datamodels
        transforms = read_conf(self.default / "transforms.conf")
        self.lookups = {name: LookupTable(name, stanza, pathlib.Path(lookups))
                        for name, stanza in transforms.items() if "filename" in stanza}
        props = read_conf(self.default / "props.conf")
        for name, settings in props.items():
            if name.startswith(("source::", "host::")) and any(
                    key.startswith(Stanza.SEARCH_TIME) for key in settings):
                raise ModelError(f"[{name}]: search-time settings on a source/host stanza "
                                 "are not modelled")
        self.props = {name: Stanza(name, settings, self.lookups)
                      for name, settings in props.items()
                      if not name.startswith(("source::", "host::"))}
        self.eventtype_searches = {name: stanza["search"] for name, stanza in
                                   read_conf(self.default / "eventtypes.conf").items()}
        self.eventtypes = {name: Search(text) for name, text in self.eventtype_searches.items()}
        for name, search in self.eventtypes.items():
            if search.fields & {"eventtype", "tag"}:
                raise ModelError(f"eventtype {name} reads eventtype/tag: not modelled")
        self.tags = {}  # (field, value) -> tags
        for stanza, keys in read_conf(self.default / "tags.conf").items():
            field, _, value = stanza.partition("=")
            self.tags[(field, value)] = frozenset(
                tag for tag, state in keys.items() if state == "enabled")
        self.macros = read_conf(self.default / "macros.conf")
        self._memo = {}

    def tags_of_eventtype(self, name: str) -> frozenset:
        return self.tags.get(("eventtype", name), frozenset())

    def fields(self, event: dict) -> dict:
        """Every field a search sees of one indexed event (a new dict each call)."""
        key = tuple(event.get(name) for name in DEFAULT_FIELDS)
        cached = self._memo.get(key)
        if cached is None:
            cached = self._memo[key] = self._fields(event)
        return {name: list(value) if isinstance(value, list) else value
                for name, value in cached.items()}

    def _fields(self, event: dict) -> dict:
        stanza = self.props.get(event["sourcetype"])
        fields = {}
        if stanza is not None:
            fields.update(stanza.extract(event["_raw"], self.limits))
            stanza.alias(fields)
            stanza.calculate(fields)
            stanza.look_up(fields)
        for name in DEFAULT_FIELDS:
            if event.get(name) is not None:
                fields[name] = event[name]
        self.classify(fields)
        return fields

    def classify(self, fields: dict):
        """``eventtype`` and ``tag`` of an event's fields (in place)."""
        eventtypes = sorted(name for name, search in self.eventtypes.items() if search(fields))
        if eventtypes:  # one value is a single value, as everywhere in Splunk
            fields["eventtype"] = eventtypes[0] if len(eventtypes) == 1 else eventtypes
        tags = set()
        for (field, value), names in self.tags.items():
            if value in (render(item) for item in values_of(fields.get(field))):
                tags |= names
        if tags:
            tags = sorted(tags)
            fields["tag"] = tags[0] if len(tags) == 1 else tags
        return fields
