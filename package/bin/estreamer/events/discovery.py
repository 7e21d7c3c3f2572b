"""Host discovery (RNA) records → ``…:discovery`` (no CIM data model by default, design §2.8).

The discovery header becomes named keys, then the OS names and the constants; the record's own
body follows last as cleaned, snake_case JSON (nested blocks stay nested), so new RNA record
types need no mapper code, and a large body (host attributes, banners) cannot push the named
keys past the 5,000 bytes Splunk extracts.
"""
from __future__ import annotations

from .common import (CONSTANTS, HEAD_FIELDS, clean, ip, ip_version, is_framing, mac, seconds,
                     snake)
from .tables import DISCOVERY_EVENTS

HEAD = HEAD_FIELDS + ("event_desc", "host_ip", "host_mac", "ip_version")
OS_FIELDS = ("os_name", "os_vendor", "os_version")
# Discovery header fields, emitted above under their own names (or not at all).
_HEADER = frozenset(("recordType", "archiveTimestamp", "deviceId", "legacyIpAddress",
                     "macAddress", "hasIpv6", "eventSecond", "eventMicrosecond", "eventType",
                     "eventSubtype", "fileNumber", "filePosition", "hostIpAddr"))


def event_time(r):
    if r["eventSecond"]:
        return seconds(r["eventSecond"], r["eventMicrosecond"])
    return float(r.get("archiveTimestamp") or 0)


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    e["event_desc"] = DISCOVERY_EVENTS.get((r["eventType"], r["eventSubtype"]))
    host = ip(r.get("hostIpAddr")) if r["hasIpv6"] else None
    e["host_ip"] = host or ip(r["legacyIpAddress"])
    e["host_mac"] = mac(r["macAddress"])
    e["ip_version"] = ip_version(e["host_ip"])
    out = {name: e[name] for name in HEAD if e.get(name) is not None}
    fingerprint = (r.get("osfingerprint") or {}).get("uuid")
    if fingerprint:
        _os(ctx, fingerprint, out)
    for name, value in CONSTANTS:
        out[name] = value
    for key, value in r.items():
        if key not in _HEADER and not is_framing(key):
            value = clean(value)
            if value is not None:
                out.setdefault(snake(key), value)
    return event_time(r), out


def _os(ctx, fingerprint, out):
    """Name, vendor and version of an OS fingerprint (metadata 54)."""
    value = ctx.cache.name("osFingerprints", fingerprint)
    if value is None:
        return
    for name, part in zip(OS_FIELDS, value.split("/", 2)):
        if part and part.lower() != "unknown":
            out[name] = part
