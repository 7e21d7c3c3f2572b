"""Metadata cache: the ids in event records → the names the FMC sent in metadata records.

The FMC sends each piece of metadata once per session, in-band, right before the first event
that needs it, so the cache must outlive a session (it is persisted per FMC) and be keyed
exactly as the FMC keys it: access-control rules by (policy revision, rule id), policies by
(device, policy uuid), intrusion rules by (generator, rule id), and so on. Bounded: when a table
is full its oldest entries go first.

One cache belongs to one FMC identity; nothing here is process-global.
"""
from __future__ import annotations

import json
from collections import OrderedDict

from .atomic import write_atomic

ZERO_UUID = "00000000-0000-0000-0000-000000000000"

# record type → (table, key fields, value field). A tuple of key fields makes a composite key.
_SIMPLE = "id", "name"
SOURCES = {
    4: ("priorities", _SIMPLE), 55: ("clientApps", _SIMPLE), 59: ("networkProtocols", _SIMPLE),
    60: ("attributes", _SIMPLE), 63: ("appProtocols", _SIMPLE), 90: ("sourceTypes", _SIMPLE),
    91: ("sourceApps", _SIMPLE), 96: ("sourceDetectors", _SIMPLE), 98: ("users", _SIMPLE),
    109: ("payloads", _SIMPLE), 115: ("securityZones", ("uuid", "name")),
    116: ("interfaces", ("uuid", "name")), 117: ("policies", ("uuid", "name")),
    118: ("policies", ("uuid", "name")), 119: ("firewallRules", (("uuid", "id"), "name")),
    120: ("firewallRuleActions", _SIMPLE), 121: ("urlCategories", _SIMPLE),
    122: ("urlReputations", _SIMPLE), 123: ("devices", _SIMPLE),
    124: ("firewallRuleReasons", ("id", "description")), 127: ("clouds", ("uuid", "name")),
    128: ("malwareEventTypes", _SIMPLE), 129: ("malwareEventSubtypes", _SIMPLE),
    130: ("malwareDetectors", _SIMPLE), 131: ("ampFileTypes", _SIMPLE),
    145: ("accessControlPolicies", (("sensorId", "uuid"), "name")),
    146: ("prefilterPolicies", (("sensorId", "uuid"), "name")),
    161: ("iocs", ("id", ("category", "eventType"))),
    260: ("icmpTypes", (("protocol", "type"), "description")),
    270: ("icmpCodes", (("protocol", "type", "code"), "description")),
    280: ("securityIntelligenceCategories", (("id", "accessControlPolicyUuid"), "name")),
    281: ("securityIntelligenceSourceDestination", _SIMPLE), 300: ("realms", _SIMPLE),
    302: ("securityGroups", _SIMPLE), 320: ("dnsRecordTypes", ("id", "name")),
    321: ("dnsResponseTypes", ("id", "name")), 322: ("sinkholes", ("uuid", "name")),
    350: ("netmapDomains", _SIMPLE), 510: ("fileTypes", _SIMPLE),
    511: ("fileShas", ("shaHash", "fileName")), 515: ("fileStorages", _SIMPLE),
    516: ("fileSandboxes", _SIMPLE), 517: ("fileSperoDispositions", _SIMPLE),
    518: ("archiveFileStatuses", _SIMPLE), 519: ("fileStaticAnalyses", _SIMPLE),
    520: ("geolocations", ("countryCode", "country")), 530: ("policies", ("uuid", "name")),
    600: ("sslPolicies", ("uuid", "name")), 601: ("sslRules", (("revision", "id"), "name")),
    602: ("sslCipherSuites", _SIMPLE), 604: ("sslVersions", _SIMPLE),
    605: ("sslCertificateStatuses", _SIMPLE), 606: ("sslActions", _SIMPLE),
    607: ("sslExpectedActions", _SIMPLE), 608: ("sslFlowStatuses", _SIMPLE),
    613: ("sslUrlCategories", _SIMPLE), 700: ("policies", ("uuid", "name")),
    66: ("ruleMessages", (("generatorId", "ruleId"), "message")),
    67: ("classifications", ("id", "name")), 69: ("correlationPolicies", ("id", "name")),
    70: ("correlationRules", ("id", "name")),
    54: ("osFingerprints", ("uuid", ("name", "vendor", "version"))),
}

# Records that name more than one thing: each further (table, (key fields, value field)).
# Classification metadata carries the short name and the description text ESCU content compares
# (the FQE field Classification: "A Network Trojan was Detected").
ALSO = {
    67: (("classificationDescriptions", ("id", "description")),),
}

# Names the FMC never sends but eStreamer semantics define (and eNcore shows). The FMC's own
# metadata overrides them.
BUILT_IN = {
    "devices": {"0": "Defense Center"},
    "geolocations": {"0": "unknown"},
    "securityZones": {ZERO_UUID: "N/A"},
    "interfaces": {ZERO_UUID: "N/A"},
}


def _key(parts) -> str:
    return "/".join(str(part) for part in parts) if isinstance(parts, tuple) else str(parts)


class MetadataCache:
    """``learn(record)`` from metadata records, ``name(table, *key)`` for event records."""

    def __init__(self, max_entries: int = 100_000):
        self.max_entries = max_entries
        self.tables = {}
        self.size = 0
        self.changed = False
        self.generation = 0  # bumped whenever a name changes: readers may memoise until then

    def learn(self, record: dict) -> bool:
        """Cache what a metadata record names; returns False for records that name nothing."""
        record_type = record.get("recordType")
        source = SOURCES.get(record_type)
        if source is None:
            return False
        for also in ALSO.get(record_type, ()):
            self._learn(record, also)
        return self._learn(record, source)

    def _learn(self, record: dict, source) -> bool:
        table, (key_fields, value_fields) = source
        key = tuple(record.get(f) for f in key_fields) if isinstance(key_fields, tuple) \
            else record.get(key_fields)
        if isinstance(value_fields, tuple):
            value = "/".join(str(record.get(f, "")) for f in value_fields)
        else:
            value = record.get(value_fields)
        if key is None or value in (None, ""):
            return False
        self.put(table, _key(key), value)
        return True

    def put(self, table: str, key: str, value):
        entries = self.tables.setdefault(table, OrderedDict())
        if key in entries:
            if entries[key] == value:
                return
            del entries[key]
        else:
            self.size += 1
        entries[key] = value
        self.changed = True
        self.generation += 1
        while self.size > self.max_entries:
            largest = max(self.tables.values(), key=len)
            largest.popitem(last=False)
            self.size -= 1

    def name(self, table: str, *key):
        """The name for ``key`` in ``table``, or None when the FMC has not named it (yet)."""
        # the hottest call of event mapping (a connection event names ~20 ids): no generators
        k = str(key[0]) if len(key) == 1 else "/".join(map(str, key))
        entries = self.tables.get(table)
        value = entries.get(k) if entries is not None else None
        if value is None:
            built_in = BUILT_IN.get(table)
            if built_in is not None:
                value = built_in.get(k)
        return value

    # --- persistence (one file per FMC identity; written atomically) -------------------------

    def save(self, path: str):
        write_atomic(path, json.dumps({"version": 1, "tables": self.tables},
                                      separators=(",", ":")), prefix=".metadata-")
        self.changed = False

    @classmethod
    def load(cls, path: str, max_entries: int = 100_000, strict: bool = False) -> "MetadataCache":
        """The cache saved in ``path`` (empty if there is none). A damaged file is only a cold
        cache — the FMC resends metadata — so it loads empty; with ``strict`` it raises
        ValueError saying what is wrong instead, for the caller to report it."""
        cache = cls(max_entries)
        try:
            with open(path) as handle:
                data = json.load(handle)
            tables = _tables(data)
        except FileNotFoundError:
            return cache
        except (OSError, ValueError) as e:
            if strict:
                raise ValueError(str(e)) from None
            return cache
        for table, entries in tables.items():
            for key, value in entries.items():
                cache.put(table, key, value)
        cache.changed = False
        return cache


def _tables(data) -> dict:
    """The ``tables`` of a saved cache, checked: {table: {key: name}}, all text."""
    if not isinstance(data, dict) or not isinstance(data.get("tables", {}), dict):
        raise ValueError(f"not a metadata cache: {type(data).__name__} at the top, expected "
                         f"{{\"version\": 1, \"tables\": {{...}}}}")
    tables = data.get("tables", {})
    for table, entries in tables.items():
        if not isinstance(entries, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
            raise ValueError(f"table {table!r} is not a mapping of ids to names")
    return tables
