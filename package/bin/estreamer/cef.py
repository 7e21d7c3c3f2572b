"""ArcSight Common Event Format (CEF) lines, made from the events the Splunk path makes.

    formatter = CefFormatter()                # CefFormatter("encore"): eNcore's key names
    event = mapper.map(record)                # estreamer.events.EventMapper
    line = formatter.line(event)              # str; formatter.encode(event, budget) -> bytes

A line is ``CEF:0|Cisco|Firepower|6.0|<signature id>|<name>|<severity 0-10>|<extension>``
(eStreamer does not report the FMC's version: ``6.0`` is what eNcore wrote). One table per event
family (``TABLES``) says which field of the event becomes which extension key; nothing here reads
a record, so the CEF line says what the Splunk event says. Where eNcore's line shows a
placeholder, the table says so: ``placeholder="N/A"`` (eNcore's ``reason=N/A``) and
``always_label`` (a ``csNLabel`` written even when its ``csN`` has no value).

Signature ids (Device Event Class ID) per family, standard / ``encore`` where eNcore's differ:

==================  =====================================  ======================================
family              signature id                           with ``--cef-names encore``
==================  =====================================  ======================================
connection          ``RNA:1003:1``                         (same: eNcore's)
intrusion           ``<gid>:<sid>``                        ``INTRUSION:400:<gid>:<sid>``
intrusion_extra     ``PKT:2:1``, ``IMPACT:9:<impact>``,    ``…``, ``INTRUSION_EXTRA:110:1``
                    ``INTRUSION_EXTRA:110:<extra type>``
file                ``File:500:1``, ``FileMalware:502:1``  (same: eNcore's)
malware             ``FireAMP:125:<malware event type>``   ``FireAMP:125:1``
correlation         ``PV:112:<rule id>:<policy id>``       (same: eNcore's)
identity            ``RUA:<event type>:<event subtype>``   (same)
vpn                 ``VPN:170:1``, ``VPN:171:1``           ``USER:1004:8``, ``USER:1004:2``
discovery           ``RNA:<event type>:<event subtype>``   (same)
anything else       ``ESTREAMER:<record type>``            (same)
==================  =====================================  ======================================

Escaping is the CEF standard's: in the header ``\\`` and ``|`` are escaped and a line break
becomes a space (the header cannot hold one); in extension values ``\\`` and ``=`` are escaped
and line breaks are written ``\\n`` / ``\\r``. Characters other readers take for line ends
(vertical tab, form feed, U+001C–U+001E, U+0085, U+2028, U+2029) become spaces, so one event is
one line for any reader. Text stays Unicode (UTF-8 on the wire). Values
that are absent, empty or zero are left out, as eNcore did. ``--cef-names encore`` renames the
keys eNcore named differently (its ``bytesOut``/``bytesIn`` for the initiator's/responder's
bytes, where the standard's ``in`` counts source → destination), uses eNcore's signature ids
and writes the keys sorted, as eNcore did.
"""
from __future__ import annotations

import json
import logging
import string

from .events import SOURCETYPES

log = logging.getLogger("estreamer.cef")

VENDOR, PRODUCT, VERSION = "Cisco", "Firepower", "6.0"
NAMES = ("standard", "encore")
TRUNCATED = "[truncated]"  # ends a value cut to fit a message size

# Other characters that end a line for some readers (Python's str.splitlines, Unicode): a space.
_OTHER_BREAKS = {c: " " for c in "\v\f\x1c\x1d\x1e\x85\u2028\u2029"}
_HEADER_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "\r": " ", "\n": " ",
                                 **_OTHER_BREAKS})
_VALUE_ESCAPES = str.maketrans({"\\": "\\\\", "=": "\\=", "\r": "\\r", "\n": "\\n",
                                **_OTHER_BREAKS})
_PREFIX = f"CEF:0|{VENDOR}|{PRODUCT}|{VERSION}|"


def header_text(value) -> str:
    """A header field as the CEF standard escapes it."""
    return str(value).translate(_HEADER_ESCAPES)


def value_text(value) -> str:
    """An extension value as the CEF standard escapes it."""
    text = value if type(value) is str else str(value)
    if "\\" in text or "=" in text or not text.isprintable():  # rare; the scans are cheap
        return text.translate(_VALUE_ESCAPES)
    return text


# --- where a key's value comes from and how it reads ---------------------------------------------

TIME = "@time"   # the event's own time (Event.time), not a field of its dict
REST = "@rest"   # the event's fields no key of the table reads, as compact JSON

# Fields every table leaves out of REST: the header says them, or they are constants.
_NOT_REST = frozenset(("rec_type", "rec_type_desc", "event_type", "event_subtype", "device_id",
                       "dvc", "ip_version", "vendor", "product", "vendor_product"))
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def ms(seconds):
    """Epoch seconds (int, float or digits) → epoch milliseconds."""
    return int(round(float(seconds) * 1000))


def ipv4(address):
    return address if ":" not in address else None


def ipv6(address):
    return address if ":" in address else None


def joined(value):
    """A list of names as one value."""
    return ", ".join(str(item) for item in value) if isinstance(value, list) else value


def part(index: int, then=None):
    """Part ``index`` of a colon-joined key such as ``connection_id``
    (``<device>:<instance>:<counter>:<timestamp>``, as the connection mapper builds it),
    optionally converted."""
    def get(value):
        parts = str(value).split(":")
        if len(parts) <= index or not parts[index]:
            return None
        text = parts[index]
        value = int(text) if text.isdigit() else text  # a zero is absent, as in any field
        return then(value) if then and value else value
    return get


def renamed(names: dict):
    """A value, or its new name where ``names`` has one."""
    return lambda value: names.get(value, value)


class Nested:
    """The first value of ``name`` inside the event's nested objects (discovery events keep the
    record's blocks nested, e.g. ``host_server.hits`` or ``client.hits``)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, fields):
        for value in fields.values():
            if isinstance(value, dict) and self.name in value:
                return value[self.name]
        return None


class Key:
    """One extension key of a family's table.

    ``source``: the event field (or ``TIME``, ``REST``, a :class:`Nested`); ``convert``: applied
    to a present value; ``label``/``label_from``: the ``<key>Label`` written after the value (a
    constant, or the value of another field); ``always_label``: the label is written even when
    the value is absent (eNcore's constant labels); ``placeholder``: written when the value is
    absent (eNcore's ``reason=N/A``); ``encore``: eNcore's name for the key where it differs.
    """

    __slots__ = ("name", "source", "convert", "label", "label_from", "always_label",
                 "placeholder", "encore", "field")

    def __init__(self, name, source, convert=None, *, label=None, label_from=None,
                 always_label=False, placeholder=None, encore=None):
        self.name, self.source, self.convert = name, source, convert
        self.label, self.label_from, self.always_label = label, label_from, always_label
        self.placeholder = value_text(placeholder) if placeholder is not None else None
        self.encore = encore
        self.field = isinstance(source, str) and source not in (TIME, REST)  # a plain field

    def reads(self):
        """The event fields this key reads."""
        fields = [self.source] if self.field else []
        return fields + ([self.label_from] if self.label_from else [])


def addresses(source, destination):
    """``src``/``dst`` take IPv4 addresses; IPv6 ones go to ``c6a2``/``c6a3``, the custom IPv6
    keys the CEF standard reserves for the source and destination."""
    return (Key("src", source, ipv4), Key("c6a2", source, ipv6, label="Source IPv6 Address"),
            Key("dst", destination, ipv4),
            Key("c6a3", destination, ipv6, label="Destination IPv6 Address"))


# --- severity (0-10) rules --------------------------------------------------------------------

# CIM severity words of the events → CEF severity (ArcSight: 0-3 low, 4-6 medium, 7-8 high,
# 9-10 very high).
CIM_SEVERITY = {"critical": 10, "high": 8, "medium": 5, "low": 3, "informational": 1}
# eNcore's severity of (priority, impact) for intrusion and correlation events; 5 elsewhere.
PRIORITY_IMPACT = {1: (10, 9, 7, 8, 9), 2: (7, 6, 4, 5, 6), 3: (3, 2, 0, 1, 2)}


def constant(value: int):
    return lambda fields: value


def by_value(field: str, values: dict, default: int):
    return lambda fields: values.get(fields.get(field), default)


def priority_impact(priority_field: str, impact_field: str):
    def severity(fields):
        row = PRIORITY_IMPACT.get(fields.get(priority_field))
        impact = fields.get(impact_field)
        return row[impact - 1] if row and isinstance(impact, int) and 1 <= impact <= 5 else 5
    return severity


def threat_score(fields):
    """File and malware events: the threat score (0-100) in tenths, else the CIM severity."""
    score = fields.get("threat_score")
    if isinstance(score, int) and score > 0:
        return min(score // 10, 10)
    return CIM_SEVERITY.get(fields.get("severity"), 3)


# --- the tables ---------------------------------------------------------------------------------

class Table:
    """How one family's events read as CEF: the header (signature id template, name template,
    severity rule) and the extension keys, in the order a line writes them."""

    def __init__(self, signature, name, severity, keys, encore_signature=None):
        self.signature, self.name, self.severity = signature, name, severity
        self.encore_signature = encore_signature or {}
        self.keys = _DEVICE + tuple(keys)
        templates = [name] + (list(signature.values()) if isinstance(signature, dict)
                              else [signature])
        in_header = {field for template in templates
                     for _, field, _, _ in string.Formatter().parse(template) if field}
        self.reads = frozenset(field for key in self.keys for field in key.reads()) | \
            in_header | _NOT_REST

    def signature_template(self, record_type, encore: bool) -> str:
        templates = self.signature if isinstance(self.signature, dict) else None
        if encore:
            found = self.encore_signature.get(record_type) or self.encore_signature.get(None)
            if found:
                return found
        if templates is None:
            return self.signature
        return templates.get(record_type, "ESTREAMER:{rec_type}")


_DEVICE = (Key("rt", TIME, ms), Key("dvchost", "dvc"), Key("deviceExternalId", "device_id"))
_IN_OUT_INTERFACES = (Key("deviceInboundInterface", "src_interface"),
                      Key("deviceOutboundInterface", "dest_interface"))
_APPLICATIONS = (Key("app", "app_proto"), Key("requestClientApplication", "client_app"))
# connection_id = <device>:<instance>:<counter>:<timestamp> links an event to its connection
_CONNECTION_OF_EVENT = (Key("dvcpid", "connection_id", part(1)),
                        Key("start", "connection_id", part(3, ms)))

CONNECTION = Table("RNA:1003:1", "CONNECTION STATISTICS", by_value("action", {"blocked": 7}, 3), (
    *addresses("src", "dest"),
    Key("spt", "src_port"), Key("dpt", "dest_port"), Key("proto", "protocol_id"),
    Key("act", "rule_action"),
    Key("reason", "rule_reason", joined, placeholder="N/A"),
    *_APPLICATIONS,
    Key("suser", "user"),
    # CEF's bytesIn counts source → destination: the initiator's bytes (eNcore: bytesOut)
    Key("in", "bytes_out", encore="bytesOut"), Key("out", "bytes_in", encore="bytesIn"),
    Key("start", "first_packet_time", ms), Key("end", "last_packet_time", ms),
    Key("dvcpid", "connection_id", part(1)), Key("externalId", "connection_id", part(2)),
    *_IN_OUT_INTERFACES,
    Key("request", "url"), Key("requestContext", "http_referrer"),
    Key("destinationDnsDomain", "dns_query"), Key("cat", "url_category"),
    Key("sourceTranslatedAddress", "src_translated_ip", ipv4),
    Key("sourceTranslatedPort", "src_translated_port"),
    Key("destinationTranslatedAddress", "dest_translated_ip", ipv4),
    Key("destinationTranslatedPort", "dest_translated_port"),
    Key("cs1", "policy", label="fwPolicy", always_label=True),
    Key("cs2", "rule", label="fwRule", always_label=True),
    Key("cs3", "src_zone", label="ingressZone", always_label=True),
    Key("cs4", "dest_zone", label="egressZone", always_label=True),
    Key("cs5", "sec_intel_category", joined, label="secIntelCategory", always_label=True),
    Key("cs6", "web_app", label="webApplication"),
))

INTRUSION = Table("{gid}:{signature_id}", "{signature}", priority_impact("priority_id", "impact"), (
    *addresses("src", "dest"),
    Key("spt", "src_port"), Key("dpt", "dest_port"), Key("proto", "protocol_id"),
    Key("act", "inline_result", renamed({"No": "Alerted", "Yes": "Blocked",
                                         "Would": "Would Be Blocked"})),
    Key("reason", "inline_result_reason"),
    Key("externalId", "event_id"), Key("cat", "classification"),
    *_APPLICATIONS,
    Key("suser", "user"),
    *_CONNECTION_OF_EVENT,
    *_IN_OUT_INTERFACES,
    Key("dhost", "http_hostname"), Key("request", "http_uri"),
    Key("cs1", "policy", label="fwPolicy", always_label=True),
    Key("cs2", "rule", label="fwRule", always_label=True),
    Key("cs3", "src_zone", label="ingressZone", always_label=True),
    Key("cs4", "dest_zone", label="egressZone", always_label=True),
    Key("cs5", "intrusion_policy", label="ipsPolicy", always_label=True),
    Key("cs6", "signature_id", label="ruleId", always_label=True),
    Key("cn1", "vlan", label="vlan", always_label=True),
    Key("cn2", "impact", label="impact", always_label=True),
), encore_signature={None: "INTRUSION:400:{gid}:{signature_id}"})

INTRUSION_EXTRA = Table(
    {2: "PKT:2:1", 9: "IMPACT:9:{impact}", 110: "INTRUSION_EXTRA:110:{extra_type_id}"},
    "{rec_type_desc}", by_value("impact", {1: 8, 2: 6, 3: 3, 4: 5, 5: 5}, 7), (
        Key("externalId", "event_id"),
        *addresses("src", "dest"),
        Key("msg", "description"),
        Key("cs1", "packet", label="packet"),                      # packets (2), as hex
        Key("cs1", "extra_data", label_from="extra_type"),         # extra data (110)
        Key("cs2", "original_client_ip", label="originalClientIp"),  # XFF extra data (110)
        Key("cn2", "impact", label="impact"),                      # impact alerts (9)
    ), encore_signature={110: "INTRUSION_EXTRA:110:1"})

_FILE_KEYS = (
    *addresses("src", "dest"),  # the file's sender and receiver
    Key("spt", "src_port"), Key("dpt", "dest_port"), Key("proto", "protocol_id"),
    Key("act", "file_action"),
    Key("fname", "file_name"), Key("fileHash", "file_hash"), Key("fsize", "file_size"),
    Key("fileType", "file_type"),
)

FILE = Table({500: "File:500:1", 502: "FileMalware:502:1"}, "{rec_type_desc}", threat_score, (
    *_FILE_KEYS,
    Key("cat", "category"), Key("request", "uri"),
    *_APPLICATIONS,
    Key("suser", "user"),
    *_CONNECTION_OF_EVENT,
    Key("cs1", "file_policy", label="filePolicy", always_label=True),
    Key("cs2", "disposition", label="disposition", always_label=True),
    Key("cs3", "spero_disposition", label="speroDisposition", always_label=True),
    Key("cs4", "threat_name", label="threatName"),
    Key("cn1", "threat_score", label="threatScore"),
))

MALWARE = Table("FireAMP:125:{malware_event_type_id}", "{malware_event_type}", threat_score, (
    *_FILE_KEYS,
    Key("filePath", "file_path"), Key("fileCreateTime", "file_create_time", ms),
    Key("sproc", "parent_file_name"), Key("request", "uri"),
    *_APPLICATIONS,
    Key("suser", "user"), Key("duser", "agent_user"),
    *_CONNECTION_OF_EVENT,
    Key("cs2", "threat_name", label="virusName", always_label=True),
    Key("cs3", "disposition", label="disposition", always_label=True),
    Key("cs4", "retro_disposition", label="retroDisposition"),
    Key("cs5", "description", label="eventDescription", always_label=True),
    Key("cs6", "detector", label="detector"),
    Key("cn1", "threat_score", label="threatScore"),
), encore_signature={None: "FireAMP:125:1"})

CORRELATION = Table("PV:112:{signature_id}:{correlation_policy_id}", "{signature}",
                    priority_impact("priority", "impact"), (
    *addresses("src_ip", "dest_ip"),
    Key("spt", "src_port"), Key("dpt", "dest_port"), Key("proto", "protocol_id"),
    Key("act", "inline_result"),
    Key("externalId", "id", part(1)),  # id = <device>:<event id>:<second>
    Key("msg", "description"), Key("cat", "correlation_event_type"),
    Key("suser", "source_user"), Key("duser", "destination_user"),
    Key("request", "url"),
    *_IN_OUT_INTERFACES,
    Key("cs1", "correlation_policy", label="policy", always_label=True),
    Key("cs2", "signature", label="policyRule", always_label=True),
    Key("cs3", "src_zone", label="ingressZone", always_label=True),
    Key("cs4", "dest_zone", label="egressZone", always_label=True),
    Key("cs5", "policy", label="fwPolicy"),
    Key("cs6", "rule", label="fwRule"),
    Key("cn1", "src_vlan", label="vlan", always_label=True),
))

IDENTITY = Table("RUA:{event_type}:{event_subtype}", "{rec_type_desc}",
                 by_value("action", {"failure": 5}, 1), (
    Key("suser", "user"),
    Key("src", "src", ipv4), Key("c6a2", "src", ipv6, label="Source IPv6 Address"),
    Key("smac", "src_mac"), Key("sntdom", "domain"), Key("spt", "port"),
    Key("outcome", "action"), Key("app", "app_proto"),
    Key("cs1", "realm", label="realm"),
    Key("cs2", "auth_type", label="authType"),
    Key("cs3", "authentication_service", label="reportedBy"),
    Key("cs4", "security_group", label="securityGroup"),
    Key("cs5", "email", label="email"),
))

VPN = Table({170: "VPN:170:1", 171: "VPN:171:1"}, "{signature}", constant(3), (
    Key("suser", "user"),
    *addresses("src_ip", "dest_ip"),  # the client's public address, the address it was given
    Key("dmac", "dest_mac"), Key("act", "action"),
    Key("requestClientApplication", "client_app"),
    Key("in", "vpn_bytes_in"), Key("out", "vpn_bytes_out"),
    Key("cn1", "duration", label="duration"),
    Key("cs1", "vpn_group_policy", label="groupPolicy"),
    Key("cs2", "vpn_connection_profile", label="connectionProfile"),
    Key("cs3", "vpn_type", label="vpnType"),
    Key("cs4", "client_os", label="clientOS"),
    Key("cs5", "auth_type", label="authType"),
), encore_signature={170: "USER:1004:8", 171: "USER:1004:2"})

DISCOVERY = Table("RNA:{event_type}:{event_subtype}", "{event_desc}", constant(1), (
    Key("src", "host_ip", ipv4), Key("c6a2", "host_ip", ipv6, label="Source IPv6 Address"),
    Key("smac", "host_mac"),
    Key("cnt", Nested("hits")),  # how often the server or client was seen
    Key("cs1", "os_name", label="osName"),
    Key("cs2", "os_vendor", label="osVendor"),
    Key("cs3", "os_version", label="osVersion"),
    Key("msg", REST),  # the record's own fields, as the Splunk event carries them
))

# Metadata, undecodable records and records a family mapper could not map (mapping_error).
OTHER = Table("ESTREAMER:{rec_type}", "{rec_type_desc}", constant(5), (
    Key("reason", "mapping_error"),
    Key("msg", REST),
))

TABLES = {
    SOURCETYPES["connection"]: CONNECTION,
    SOURCETYPES["intrusion"]: INTRUSION,
    SOURCETYPES["intrusion_extra"]: INTRUSION_EXTRA,
    SOURCETYPES["file"]: FILE,
    SOURCETYPES["malware"]: MALWARE,
    SOURCETYPES["correlation"]: CORRELATION,
    SOURCETYPES["identity"]: IDENTITY,
    SOURCETYPES["vpn"]: VPN,
    SOURCETYPES["discovery"]: DISCOVERY,
}


class _Fields:
    """An event's fields for a header template: absent ones read ``missing`` (None: KeyError)."""

    __slots__ = ("fields", "missing")

    def __init__(self, fields, missing):
        self.fields, self.missing = fields, missing

    def __getitem__(self, name):
        value = self.fields.get(name)
        if value is None:
            if self.missing is None:
                raise KeyError(name)
            return self.missing
        return value


# --- the formatter ------------------------------------------------------------------------------

class CefFormatter:
    """Events → CEF lines. ``names``: ``standard`` (the CEF standard's key names) or ``encore``
    (eNcore's names, signature ids and key order, for parsers and rules built on its output)."""

    def __init__(self, names: str = "standard"):
        if names not in NAMES:
            raise ValueError(f"CEF names must be one of {', '.join(NAMES)}, not {names!r}")
        self.encore = names == "encore"
        self._plans, self._reported = {}, set()

    def table(self, event) -> Table:
        if "mapping_error" in event.event:
            return OTHER
        return TABLES.get(event.sourcetype, OTHER)

    def line(self, event) -> str:
        """The whole line, however long."""
        header, pairs = self._parts(event)
        return _join(header, pairs)

    def encode(self, event, budget=None) -> bytes:
        """The line as UTF-8, at most ``budget`` bytes: values that do not fit are cut (never
        inside an escape or a character) and end with ``[truncated]``."""
        header, pairs = self._parts(event)
        data = _join(header, pairs).encode("utf-8")
        if budget is None or len(data) <= budget:
            return data
        return _fit(header, pairs, budget)

    def _parts(self, event):
        table = self.table(event)
        try:
            return self._table_parts(event, event.event, table)
        except Exception as error:  # noqa: BLE001 - one odd value must not stop a stream
            text = f"{type(error).__name__}: {error}"
            if len(self._reported) < 100 and text not in self._reported:
                self._reported.add(text)
                log.warning("an event of %s did not fit its CEF table (%s); sent with its "
                            "fields in msg and the error in reason", event.sourcetype, text)
            return self._table_parts(event, {**event.event, "mapping_error": text}, OTHER)

    def _table_parts(self, event, fields, table):
        encore = self.encore
        signature = table.signature_template(fields.get("rec_type"), encore).format_map(
            _Fields(fields, "0"))
        try:
            name = table.name.format_map(_Fields(fields, None))
        except KeyError:
            name = fields.get("rec_type_desc") or f"record {fields.get('rec_type')}"
        header = [header_text(signature), header_text(name),
                  str(max(0, min(10, int(table.severity(fields)))))]
        pairs, time = [], event.time
        append = pairs.append
        for key, name, label_name, label in self._plan(table):
            value = fields.get(key.source) if key.field else _special(key, fields, time, table)
            if value is not None and key.convert is not None:
                value = key.convert(value)
            if not value or value is True:  # absent, empty or zero
                if key.placeholder is not None:
                    append((name, key.placeholder))
                elif key.always_label:
                    append((label_name, label))
                continue
            kind = type(value)
            if kind is int:
                append((name, str(value)))
            else:
                if kind is list or kind is dict:
                    value = _JSON(value)
                append((name, value_text(value)))
            if key.label_from:
                value = fields.get(key.label_from)
                if value:
                    append((label_name, value_text(value)))
            elif label:
                append((label_name, label))
        if encore:
            pairs.sort(key=lambda pair: pair[0])  # eNcore wrote its keys sorted
        return header, pairs

    def _plan(self, table: Table):
        """``(key, name, label name, escaped label)`` per key of ``table``, in these names."""
        plan = self._plans.get(table)
        if plan is None:
            plan = self._plans[table] = []
            for key in table.keys:
                name = key.encore if self.encore and key.encore else key.name
                plan.append((key, name, name + "Label",
                             value_text(key.label) if key.label else None))
        return plan


def _special(key: Key, fields, time, table: Table):
    """The value of a key whose source is not a field: the time, the rest, a :class:`Nested`."""
    if key.source is TIME:
        return time
    if key.source is REST:
        rest = {name: value for name, value in fields.items() if name not in table.reads}
        return _JSON(rest) if rest else None
    return key.source(fields)


def _join(header, pairs) -> str:
    return _PREFIX + "|".join(header) + "|" + " ".join(f"{k}={v}" for k, v in pairs)


# --- fitting a line into a size -----------------------------------------------------------------

_MARKER_BYTES = len(TRUNCATED)


def _fit(header, pairs, budget: int) -> bytes:
    """Cut the longest values (and if need be the name) to one common length, just short enough
    for the line to fit ``budget`` bytes; as a last resort drop keys from the end. Raises
    ValueError if even the header cannot fit."""
    header, pairs = list(header), [list(pair) for pair in pairs]
    while True:
        data = _join(header, pairs).encode("utf-8")
        over = len(data) - budget
        if over <= 0:
            return data
        # the pieces that can give bytes: the name (header[1]) and every value
        pieces = [header] + pairs
        sizes = [len(piece[1].encode("utf-8")) for piece in pieces]

        def freed(level):
            return sum(size - level for size in sizes if size > level)  # noqa: B023 - used here

        if freed(_MARKER_BYTES) < over:
            if not pairs:
                raise ValueError(f"a CEF line cannot fit in {budget} bytes")
            pairs.pop()
            continue
        low, high = _MARKER_BYTES, max(sizes)  # freed(low) >= over > freed(high) = 0
        while high - low > 1:
            middle = (low + high) // 2
            if freed(middle) >= over:
                low = middle
            else:
                high = middle
        for piece, size in zip(pieces, sizes):
            if size > low:
                piece[1] = _cut(piece[1], low - _MARKER_BYTES) + TRUNCATED


def _cut(escaped: str, limit: int) -> str:
    """The longest prefix of escaped text within ``limit`` UTF-8 bytes that ends neither inside
    an escape sequence (``\\x``) nor inside a character."""
    used, position, end = 0, 0, len(escaped)
    while position < end:
        step = 2 if escaped[position] == "\\" and position + 1 < end else 1
        size = len(escaped[position:position + step].encode("utf-8"))
        if used + size > limit:
            break
        used += size
        position += step
    return escaped[:position]
