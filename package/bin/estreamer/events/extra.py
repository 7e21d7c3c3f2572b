"""Intrusion context records → ``…:intrusion_extra`` (no CIM data model): packets (2), impact
alerts (9) and intrusion extra data (110), as one table. Each links to its intrusion event by
(``device_id``, ``event_id``, ``event_second``)."""
from __future__ import annotations

import re

from .common import address_from_bytes, seconds
from .common import text as text_value
from .profile import FALSY, FLOAT, INT, TEXT, Profile, call, formula, key, let, lookup
from .rows import constants, head, ip_version
from .tables import EXTRA_DATA_CLIENT_IP, EXTRA_DATA_TYPES, IMPACT_LABELS, impact_from_flags
from .values import ip, text

RECORD_TYPES = (2, 9, 110)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event): extra data
# (URIs, host names, e-mail headers), then the packet's hex.
FREE_TEXT = ("extra_data", "packet")

_IMPACT_TEXT = re.compile(r"\[Impact: ([^\]]*)\]")


def impact_description(description):
    """The impact text of the description (``[Impact: …]``), else the description"""
    if not description:
        return None
    found = _IMPACT_TEXT.search(description)
    return found.group(1) if found else description


def blob_text(data):
    """Extra data other than the client address is text (URI, hostname, e-mail headers …):
    the decoder hands every blob over as hex, and here it becomes text again if it is UTF-8"""
    try:
        return bytes.fromhex(data).decode("utf-8").replace("\x00", "")
    except (TypeError, ValueError):  # not hex, or not UTF-8: keep what the decoder gave
        return data


def client_ip(data):
    """The XFF client address: 16 bytes as hex text; 10 leading zero bytes make it IPv4"""
    try:
        raw = bytes.fromhex(data)
    except (TypeError, ValueError):
        return text_value(data)
    return address_from_bytes(raw, 10) or text_value(data)


def alert_impact(flags):
    """The impact level of an impact alert's impact bits"""
    return None if flags is None else impact_from_flags(flags)


def extra_type(data_type):
    """The extra data type's name (eNcore's, metadata 111 names the rest)"""
    return EXTRA_DATA_TYPES.get(data_type, f"extra-data-{data_type}")


def event_time(record_type, packet_second, packet_microsecond, second, archive_timestamp):
    """A packet's own time, else the event second, else the archive timestamp"""
    if record_type == 2 and packet_second:
        return seconds(packet_second, packet_microsecond)
    return float(second or archive_timestamp or 0)


PROFILE = Profile("intrusion_extra", RECORD_TYPES, head() + (
    let("_packet", formula("{0} == 2", "recordType")),
    let("_impact_alert", formula("{0} == 9", "recordType")),
    let("_extra_data", formula("{0} == 110", "recordType")),
    key("event_id", "eventId"),
    key("event_second", "eventSecond", omit=FALSY),
    let("_src", ip("?sourceIpAddress")),
    let("_dest", ip("?destinationIpAddress")),
    key("src", "$_src", when="$_impact_alert"),
    key("dest", "$_dest", when="$_impact_alert"),
    key("ip_version", ip_version("$_src", "$_dest"), when="$_impact_alert"),
    # record 9 carries the impact bits, not the impact level
    let("_impact", call(alert_impact, "?impact", type_=INT)),
    key("impact", "$_impact", when="$_impact_alert"),
    key("impact_flags", "?impact", when="$_impact_alert", omit=FALSY),
    key("impact_desc", lookup(IMPACT_LABELS, "$_impact", type_=TEXT, doc="the impact level's name"),
        when="$_impact_alert"),
    key("description", call(impact_description, text("?description"), type_=TEXT),
        when="$_impact_alert"),
    key("link_type", "?linkType", when="$_packet"),
    key("packet_len", "?packetLength", when="$_packet"),
    key("extra_type_id", "?type", when="$_extra_data"),
    key("extra_type", call(extra_type, "?type", type_=TEXT), when="$_extra_data"),
    let("_client_ip", formula("{0} == %d" % EXTRA_DATA_CLIENT_IP, "?type")),
    key("original_client_ip", call(client_ip, "?blob", type_=TEXT), when="$_client_ip"),
) + constants() + (
    key("extra_data", call(text_value, call(blob_text, "?blob"), type_=TEXT),
        when="$_extra_data", unless="$_client_ip"),
    key("packet", "?packetData", when="$_packet", omit=FALSY),
), time=call(event_time, "recordType", "?packetSecond", "?packetMicrosecond", "eventSecond",
             "?archiveTimestamp", type_=FLOAT))

FIELDS = PROFILE.keys
