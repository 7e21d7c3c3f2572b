"""Intrusion context records → ``…:intrusion_extra`` (no CIM data model): packets (2), impact
alerts (9) and intrusion extra data (110). Each links to its intrusion event by
(``device_id``, ``event_id``, ``event_second``)."""
from __future__ import annotations

import re

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, address_from_bytes, constants, ip, ip_version,
                     ordered, seconds, text)
from .tables import EXTRA_DATA_CLIENT_IP, EXTRA_DATA_TYPES, IMPACT_LABELS, impact_from_flags

RECORD_TYPES = (2, 9, 110)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event): extra data
# (URIs, host names, e-mail headers), then the packet's hex.
FREE_TEXT = ("extra_data", "packet")
FIELDS = HEAD_FIELDS + (
    "event_id", "event_second", "src", "dest", "ip_version", "impact", "impact_flags",
    "impact_desc", "description", "link_type", "packet_len", "extra_type_id", "extra_type",
    "original_client_ip",
) + CONSTANT_FIELDS + FREE_TEXT

_IMPACT_TEXT = re.compile(r"\[Impact: ([^\]]*)\]")


def event_time(r):
    if r["recordType"] == 2 and r["packetSecond"]:
        return seconds(r["packetSecond"], r["packetMicrosecond"])
    return float(r["eventSecond"] or r.get("archiveTimestamp") or 0)


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    e["event_id"], e["event_second"] = r["eventId"], r["eventSecond"] or None
    record_type = r["recordType"]
    if record_type == 2:
        e["link_type"], e["packet_len"] = r["linkType"], r["packetLength"]
        e["packet"] = r["packetData"] or None
    elif record_type == 9:
        src, dest = ip(r["sourceIpAddress"]), ip(r["destinationIpAddress"])
        e["src"], e["dest"], e["ip_version"] = src, dest, ip_version(src, dest)
        flags = r["impact"]  # record 9 carries the impact bits, not the impact level
        impact = impact_from_flags(flags)
        e["impact"], e["impact_flags"] = impact, flags or None
        e["impact_desc"] = IMPACT_LABELS.get(impact)
        description = text(r["description"])
        if description:
            found = _IMPACT_TEXT.search(description)
            e["description"] = found.group(1) if found else description
    else:
        data_type = r["type"]
        e["extra_type_id"] = data_type
        e["extra_type"] = EXTRA_DATA_TYPES.get(data_type, f"extra-data-{data_type}")
        if data_type == EXTRA_DATA_CLIENT_IP:
            e["original_client_ip"] = _client_ip(r["blob"])
        else:
            e["extra_data"] = text(_blob_text(r["blob"]))
    constants(e)
    return event_time(r), ordered(FIELDS, e)


def _blob_text(data):
    """Extra data other than the client address is text (URI, hostname, e-mail headers …):
    the decoder hands every blob over as hex, and here it becomes text again if it is UTF-8."""
    try:
        return bytes.fromhex(data).decode("utf-8").replace("\x00", "")
    except (TypeError, ValueError):  # not hex, or not UTF-8: keep what the decoder gave
        return data


def _client_ip(data):
    """The XFF client address: 16 bytes as hex text; 10 leading zero bytes make it IPv4."""
    try:
        raw = bytes.fromhex(data)
    except (TypeError, ValueError):
        return text(data)
    return address_from_bytes(raw, 10) or text(data)
