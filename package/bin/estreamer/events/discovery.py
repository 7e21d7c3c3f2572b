"""Host discovery (RNA) records → ``…:discovery`` (no CIM data model by default), as a table.

The discovery header becomes named keys, then the OS names and the constants; the record's own
body follows last as cleaned, snake_case JSON (nested blocks stay nested), so new RNA record
types need no mapper code, and a large body (host attributes, banners) cannot push the named
keys past the 5,000 bytes Splunk extracts.
"""
from __future__ import annotations

from ..catalog.records import FAMILY_OF
from ..fields import Int, Raw, Text, Var, When
from .common import clean, is_framing, seconds, snake
from .compiler import nested_dict
from .profile import TEXT, Expansion, Profile, Row, call, const, formula, key, let
from .rows import constants, head, ip_version
from .tables import DISCOVERY_EVENTS
from .values import Text as TextValue
from .values import ip, mac

RECORD_TYPES = tuple(sorted(FAMILY_OF["discovery"]))
FREE_TEXT = ()
OS_FIELDS = ("os_name", "os_vendor", "os_version")
# Discovery header fields, emitted above under their own names (or not at all).
_HEADER = frozenset(("recordType", "archiveTimestamp", "deviceId", "legacyIpAddress",
                     "macAddress", "hasIpv6", "eventSecond", "eventMicrosecond", "eventType",
                     "eventSubtype", "fileNumber", "filePosition", "hostIpAddr"))


class OwnFields(Expansion):
    """The record's own fields but the header's, cleaned (framing, empty, zero and
    placeholder values left out), snake_case, each unless a key of that name came before."""

    doc = "the record's own fields, cleaned, snake_case"

    def bind(self, ctx):
        return _apply

    def compile(self, compiler):
        reader, seen = compiler.reader, set()
        clean_ = compiler.const(clean, "_clean")
        for name in reader.order:
            if name in _HEADER or is_framing(name):
                continue
            out = snake(name)
            if out in seen:
                continue
            seen.add(out)
            before = compiler.present.get(out)
            if before == "True":
                continue
            kind = reader.kinds.get(name)
            if isinstance(kind, When):
                kind = kind.kind
            if name in reader.nested:
                value = compiler.local(f"{clean_}({nested_dict(reader, name)})")
                rendered, test = f"_EA({value})", f"{value} is not None"
            elif isinstance(kind, Int):
                value = reader.exprs[name]
                rendered, test = value, value
            elif isinstance(kind, (Text, Var, Raw)):
                value = compiler.local(TextValue(name).emit(compiler, [reader.exprs[name]]))
                rendered, test = f"_E({value})", f"{value} is not None"
            else:  # lists and anything else: cleaned as the reference cleans them
                value = compiler.local(f"{clean_}({reader.exprs[name]})")
                rendered, test = f"_EA({value})", f"{value} is not None"
            if before is not None:
                test = f"{test} and not {before}"
            part = compiler.local(f"f',{_escape(compiler, out)}:{{{rendered}}}' if {test} "
                                  f"else ''", "p")
            compiler.parts.append(("", part, False))
            compiler.present[out] = part


def _escape(compiler, name):
    from .compiler import _encode_text
    return _encode_text(name)


def _apply(record, env, out):
    for name, value in record.items():
        if name not in _HEADER and not is_framing(name):
            value = clean(value)
            if value is not None:
                out.setdefault(snake(name), value)


def os_parts(ctx, fingerprint):
    """Name, vendor and version of an OS fingerprint (metadata 54)"""
    if not fingerprint:
        return None
    value = ctx.cache.name("osFingerprints", fingerprint)
    return None if value is None else value.split("/", 2)


def os_part(parts, position):
    """One part of the OS fingerprint's name, unless empty or unknown"""
    if parts is None or position >= len(parts):
        return None
    part = parts[position]
    return part if part and part.lower() != "unknown" else None


def event_time(second, microsecond, archive_timestamp):
    """The discovery header's event time, else the archive timestamp"""
    if second:
        return seconds(second, microsecond)
    return float(archive_timestamp or 0)


PROFILE = Profile("discovery", RECORD_TYPES, head() + (
    key("event_desc", call(lambda event_type, subtype: DISCOVERY_EVENTS.get((event_type,
                                                                              subtype)),
                           "eventType", "eventSubtype", type_=TEXT,
                           doc="the event type and subtype's name")),
    key("host_ip", formula("({0} if {1} else None) or {2}", ip("?hostIpAddr"), "hasIpv6",
                           ip("legacyIpAddress"), type_=TEXT)),
    key("host_mac", mac("macAddress")),
    key("ip_version", ip_version("$host_ip")),
    let("_os", call(os_parts, "?osfingerprint.uuid", context=True)),
) + tuple(key(name, call(os_part, "$_os", const(position), type_=TEXT))
          for position, name in enumerate(OS_FIELDS)) + constants() + (
    Row("_own_fields", OwnFields(), False),
), time=call(event_time, "eventSecond", "eventMicrosecond", "?archiveTimestamp"))

FIELDS = PROFILE.keys
