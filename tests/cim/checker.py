"""CIM compliance of one event, without Splunk: what pytest-splunk-addon checks, offline.

What pytest-splunk-addon would test on an indexed event, evaluated on the event dict itself:
the event types it matches and their tags, the data models and dataset paths those tags reach
(and whose constraints the event meets), every required and applicable conditional field
(present, single-valued, not a negative value, an expected value, valid), field clusters, the
fields no add-on may set, and no FMC placeholder in any CIM field. Known pytest quirks are
handled as the constants below say; documented gaps are reported apart from problems.

    checker, reason = load_checker()          # None and why, without the wheel
    result = checker.check(event.as_line())   # result.problems == [] when compliant

The event is checked as a search head sees it: its JSON as the input writes it, through the
add-on's knowledge objects (:mod:`searchtime`: the extraction window, aliases, calculated fields,
lookups, event types, tags), so every field is text as Splunk has it.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

from estreamer.events.tables import PLACEHOLDERS, PROTOCOLS
from searchtime import (
    EvalError,
    Expression,
    Search,
    SearchError,
    SearchHead,
    indexed,
    number,
    values_of,
)
from searchtime.evaluate import truth

from .datamodels import DataModels, fetch_wheel

# pytest-splunk-addon's negative values (compared lower-cased in 7.x); our PLACEHOLDERS are a
# superset.
NEGATIVE_VALUES = frozenset(("", "-", "unknown", "null", "(null)"))
# Required fields the FMC cannot always provide: reported as gaps, not problems —
# absent, or "unknown" where props.conf gives the CIM convention for a missing value.
KNOWN_GAPS = frozenset((("Alerts", "user"), ("Network_Sessions", "dest_mac")))
# A zoned flow with one zero side keeps the zone cluster whole with "N/A" on that side.
ZONE_CLUSTER = frozenset(("src_zone", "dest_zone"))
MAC_TEXT = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
# The PCRE address regex of the conditions (recursion, so not Python's re): "is an IP address".
_IP_REGEX_SHA256 = "10480ad137310c565f756d5571b705992f59f56c53c990eb39e3c999f6dc665a"
_WHERE = re.compile(r"\|\s*where\s+(.*)", re.DOTALL)
# transport keeps IANA names beyond tcp/udp/icmp; offline accepts the IP protocol table's.
TABLE_TRANSPORTS = frozenset(transport for _, transport, _ in PROTOCOLS.values())


class NotUnderstood(ValueError):
    """A condition or validity rule this evaluator does not know (assertion A3)."""


def _number(value):
    return number(value) is not None


def _integer_in(low, high):
    return lambda value: isinstance(number(value), int) and low <= number(value) <= high


def _counter(e, name):
    return _number(e.get(name)) and number(e[name]) >= 0


def _protocol_pair(e):
    """pytest pairs protocol with transport (icmp↔icmp, ip↔tcp/udp); offline, ip pairs with
    any non-ICMP transport of the IP protocol table."""
    protocol, transport = e.get("protocol"), e.get("transport")
    if protocol == "icmp":
        return transport == "icmp"
    return protocol == "ip" and transport in TABLE_TRANSPORTS and transport != "icmp"


_port = _integer_in(0, 65535)
_byte = _integer_in(0, 255)

# Exact validity text of the JSON → its offline meaning (where pytest-splunk-addon's own check is
# off).
VALIDITY = {
    "if(isnum(bytes) and bytes>0 and bytes==(bytes_in+bytes_out),bytes,null())":
        lambda e: all(_counter(e, n) for n in ("bytes", "bytes_in", "bytes_out"))
        and number(e["bytes"]) == number(e["bytes_in"]) + number(e["bytes_out"]),
    "if(isnum(bytes_in) and bytes_in>0,bytes_in,null())": lambda e: _counter(e, "bytes_in"),
    "if(isnum(bytes_out) and bytes_out>0,bytes_out,null())": lambda e: _counter(e, "bytes_out"),
    "if((!isnull(dest_ip) AND dest == dest_ip), dest_ip, null())":
        lambda e: e.get("dest") == e.get("dest_ip"),
    "if((!isnull(src_ip) AND src == src_ip), src_ip, null())":
        lambda e: e.get("src") == e.get("src_ip"),
    "if((!isnull(dest_mac) AND dest_mac == dest), dest_mac, null())":
        lambda e: e.get("dest_mac") == e.get("dest"),
    "if((!isnull(src_mac) AND src_mac == src), src_mac, null())":
        lambda e: e.get("src_mac") == e.get("src"),
    "if(isnum(dest_port),dest_port,null())": lambda e: _port(e.get("dest_port")),
    "if(isnum(src_port),src_port,null())": lambda e: _port(e.get("src_port")),
    "if(isnum(src_translated_port),src_translated_port,null())":
        lambda e: _port(e.get("src_translated_port")),
    "if(isnum(icmp_code),icmp_code,null())": lambda e: _byte(e.get("icmp_code")),
    # pytest tests `duration` here (a bug); offline: the ICMP type is a byte.
    "if(isnum(duration) and duration>0 and duration<254,icmp_type,null())":
        lambda e: _byte(e.get("icmp_type")),
    "if(isnum(packets),packets,null())": lambda e: _number(e.get("packets")),
    'case(protocol=="icmp" AND transport=="icmp",protocol ,protocol=="ip" AND '
    '(transport=="tcp" OR transport=="udp"),protocol,true(), null())': _protocol_pair,
    'case(protocol=="icmp" AND transport=="icmp",transport ,protocol=="ip" AND '
    '(transport=="tcp" OR transport=="udp"),transport,true(), null())': _protocol_pair,
    "if(isnum(lease_duration),lease_duration,null())":
        lambda e: _number(e.get("lease_duration")),
}


def is_ip(value) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _regex_test(regex: str):
    if hashlib.sha256(regex.encode()).hexdigest() == _IP_REGEX_SHA256:
        return is_ip
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise NotUnderstood(f"regex {regex!r}: {exc}") from None
    return lambda value: bool(compiled.search(str(value)))


class Conditions:
    """``condition`` texts of the JSON as predicates over an event's fields (memoised)."""

    def __init__(self):
        self._compiled = {}

    def __call__(self, text: str):
        predicate = self._compiled.get(text)
        if predicate is None:
            predicate = self._compiled[text] = self._compile(text)
        return predicate

    @staticmethod
    def _compile(text: str):
        text = text.strip()
        if not text:
            return lambda fields: True
        where = _WHERE.fullmatch(text)
        try:
            if where is None:
                return Search(text)
            expression = Expression(where.group(1).strip(), {"match": _match})
            expression({})  # every regex and function is read now, not on the first event
        except (SearchError, EvalError) as exc:
            raise NotUnderstood(str(exc)) from None
        return lambda fields: truth(expression(fields), "where")


def _match(name, args, row, env):
    """``match(field, regex)`` of a ``| where`` condition (the address regex read as "is an IP
    address"); a multivalue field matches when a value does."""
    if len(args) != 2:
        raise EvalError("match() takes 2 arguments")
    value, regex = args[0](row, env), args[1](row, env)
    test = _regex_test(regex)
    return any(test(item) for item in values_of(value))


@dataclass
class Result:
    eventtypes: list
    tags: frozenset
    models: set
    paths: list = field(default_factory=list)  # "Model/Dataset/Child" the event belongs to
    problems: list = field(default_factory=list)
    gaps: list = field(default_factory=list)
    gap_fields: set = field(default_factory=set)


class Checker:
    """``knowledge``: the :class:`searchtime.SearchHead` whose event types and tags classify
    the events (the add-on's, by default)."""

    def __init__(self, models, knowledge):
        self.models, self.knowledge = models, knowledge
        self.conditions = Conditions()
        self._constraints = {}
        self.not_allowed = set(models.common_fields) | {"tag"}

    # --- data-model structure ----------------------------------------------------------------
    def tree_paths(self, tags):
        """Every (model, [root, …, dataset]) whose datasets' tag groups the tags reach."""
        out = []

        def walk(model, dataset, parents):
            if not any(set(group) <= tags for group in dataset["tags"]):
                return
            path = parents + [dataset]
            out.append((model, path))
            for child in dataset["child_dataset"]:
                walk(model, child, path)

        for model, definition in self.models.models.items():
            for root in definition["objects"]:
                walk(model, root, [])
        return out

    def models_of(self, tags) -> set:
        """Data models the tags map to, with the tag groups of pytest's one-model test."""
        return {model for model, groups in self.models.dm_tags.items()
                if any(set(group) <= tags for group in groups)}

    def constraint(self, text: str):
        search = self._constraints.get(text)
        if search is None:
            search = self._constraints[text] = Search(text)
        return search

    # --- one event ----------------------------------------------------------------------------
    def check(self, line: dict) -> Result:
        """The event of an ``Event.as_line()`` (or its JSON) as a search head sees it."""
        from estreamer.events import Event
        event = Event(line["time"], line["sourcetype"], line["host"], line["event"])
        fields = self.knowledge.fields(indexed(event))
        eventtypes = values_of(fields.get("eventtype"))
        tags = frozenset(values_of(fields.get("tag")))
        result = Result(eventtypes, tags, self.models_of(tags))
        problems = result.problems
        if len(result.models) > 1:
            problems.append(f"tags {sorted(tags)} map to several data models "
                            f"{sorted(result.models)}")
        written = set(line["event"]) | (set(fields) - {"tag"})  # Splunk itself sets tag
        for name in sorted(self.not_allowed & written):
            problems.append(f"{name} must never be set by an add-on")

        cim_names, tested = set(), set()
        for model, path in self.tree_paths(tags):
            for dataset in path:
                cim_names.update(f["name"] for f in dataset["fields"])
                tested.update(f["name"] for f in dataset["fields"]
                              if f["type"] in ("required", "conditional"))
            if not all(self.constraint(d["search_constraints"])(fields) for d in path):
                continue
            result.paths.append("/".join([model] + [d["name"] for d in path]))
            dataset = path[-1]
            for spec in dataset["fields"]:
                self._check_field(model, dataset["name"], spec, fields, result)
            for cluster in dataset["fields_cluster"]:
                present = [name for name in cluster if name in fields]
                if present and len(present) != len(cluster):
                    problems.append(f"{model}/{dataset['name']}: cluster {cluster} is partial "
                                    f"(has {present})")
        self._check_placeholders(fields, cim_names - result.gap_fields, problems, tested)
        self._check_consistency(fields, result)
        return result

    def _check_field(self, model, dataset, spec, fields, result):
        name, kind = spec["name"], spec["type"]
        where = f"{model}/{dataset}"
        if kind.startswith("not_allowed"):
            if kind != "not_allowed_in_props" and name in fields:
                result.problems.append(f"{where}: {name} is not allowed in events")
            return
        if kind == "optional":
            return
        if kind == "conditional" and not self.conditions(spec.get("condition", ""))(fields):
            return
        if kind not in ("required", "conditional"):
            raise NotUnderstood(f"field type {kind!r}")
        value = fields.get(name)
        if (model, name) in KNOWN_GAPS and (value is None or value == "unknown"):
            result.gaps.append(f"{where}: {name}")
            result.gap_fields.add(name)
            return
        if value is None:
            result.problems.append(f"{where}: {kind} field {name} is missing")
            return
        if isinstance(value, list) and not spec.get("multi_value"):
            result.problems.append(f"{where}: {name} is multivalued: {value!r}")
            return
        expected = spec.get("expected_values")
        if name == "transport" and expected:
            expected = TABLE_TRANSPORTS
        for item in value if isinstance(value, list) else [value]:
            text = str(item).strip().lower()
            if text in NEGATIVE_VALUES:
                result.problems.append(f"{where}: {name} holds the negative value {item!r}")
            elif expected and text not in {v.lower() for v in expected}:
                result.problems.append(f"{where}: {name}={item!r} is not one of {expected}")
        validity = spec.get("validity")
        if validity:
            test = VALIDITY.get(validity)
            if test is None:
                raise NotUnderstood(f"validity {validity!r}")
            if not test(fields):
                result.problems.append(f"{where}: {name}={value!r} is not valid ({validity})")

    @staticmethod
    def _check_placeholders(event, cim_names, problems, tested=frozenset()):
        """No FMC placeholder in a CIM field (PLACEHOLDERS); MACs in CIM form (lowercase).

        The one value allowed: the ESCU compatibility layer's search-time "unknown" in a CIM
        field the dataset has as optional (e.g. rule, src_interface), which detections group
        by. pytest-splunk-addon tests negative values only in required and conditional fields
        (cim_tests/field_test_helper.py); the ingested event never holds a placeholder."""
        for name in sorted(cim_names & set(event)):
            value = event[name]
            for item in value if isinstance(value, list) else [value]:
                text = str(item).strip().lower()
                if item == "unknown" and name not in tested:
                    continue
                if text in PLACEHOLDERS and not (name in ZONE_CLUSTER and text == "n/a"):
                    problems.append(f"CIM field {name} holds the placeholder {item!r}")
                if name.endswith("_mac") and not MAC_TEXT.match(str(item)):
                    problems.append(f"CIM field {name}={item!r} is not a lowercase MAC")

    @staticmethod
    def _check_consistency(event, result):
        """Beyond the JSON's validity rules: address family and protocol version agree."""
        version = event.get("protocol_version")
        if version is not None and "src" in event and is_ip(event["src"]):
            actual = "ipv6" if ":" in event["src"] else "ipv4"
            if version != actual:
                result.problems.append(f"protocol_version={version} but src is {actual}")


def load_checker():
    """``(Checker, None)`` over the pinned data models and the add-on's event types, or
    ``(None, reason)`` when the wheel is neither cached nor downloadable."""
    wheel, reason = fetch_wheel()
    if wheel is None:
        return None, reason
    models = DataModels(wheel)
    return Checker(models, SearchHead(datamodels=models)), None
