"""An event's identity: what names one event on every FMC of an HA pair.

The two FMCs of a pair hold the same events but stamp their own archive timestamps, so after a
failover the archive time cannot tell which events were already written; the identity can. It
is made of what the managed device wrote into the event, never of what the FMC added:

=================  ==========================================================================
record type        identity (after the record type)
=================  ==========================================================================
71 connection      managed device, first and last packet second, instance id, connection
                   counter, packets both ways (a connection's beginning and end events share
                   the connection id; their last packet and counts differ)
400 intrusion      managed device, event second and microsecond, event id
2 packet           managed device, event id, event second, packet second and microsecond
9 impact           managed device, event id, event second
112 correlation    managed device, event second, event id
anything else      a digest (BLAKE2b, 128 bits) of the record's body after its header: the
                   discovery, user, VPN, file, malware and extra-data records have no id that
                   is unique per event, and unknown or malformed records none we can read
=================  ==========================================================================

An identity is a short string (``"400:3:1700000000:12:81"``; ``"502#<32 hex digits>"``), ready
for the journal (:mod:`.journal`). The table's fields are read with one ``itemgetter`` call per
record (built once per record layout): the decoded record already has them, so a connection
record's identity costs about a microsecond.
"""
from __future__ import annotations

import hashlib
from operator import itemgetter

# record type -> the fields naming one event of that type (see the module docstring)
FIELDS = {
    71: ("deviceId", "firstPacketTimestamp", "lastPacketTimestamp", "instanceId",
         "connectionCounter", "initiatorTransmittedPackets", "responderTransmittedPackets"),
    400: ("deviceId", "eventSecond", "eventMicrosecond", "eventId"),
    2: ("deviceId", "eventId", "eventSecond", "packetSecond", "packetMicrosecond"),
    9: ("deviceId", "eventId", "eventSecond"),
    112: ("deviceId", "correlationEventSecond", "eventId"),
}

_EXTENDED_HEADER = 16  # record type, length, archive timestamp, reserved
_PLAIN_HEADER = 8


def body_digest(record_type: int, body) -> str:
    """The identity of a record without an id: a digest of its data, past the header (the
    archive timestamp there differs between the FMCs of a pair)."""
    start = _EXTENDED_HEADER if _has_archive_header(body) else _PLAIN_HEADER
    digest = hashlib.blake2b(memoryview(body)[start:], digest_size=16).hexdigest()
    return f"{record_type}#{digest}"


def _has_archive_header(body) -> bool:
    if len(body) < _PLAIN_HEADER:
        return False
    length = int.from_bytes(body[4:8], "big")
    return len(body) == _EXTENDED_HEADER + length


class Identities:
    """``identities(record, body) -> str``: the identity of a decoded event record, given the
    body it was decoded from (read only for the digest)."""

    def __init__(self):
        self._by_shape = {}  # (record type, shape) -> function(values, body)

    def __call__(self, record, body) -> str:
        values = record.values
        key = (values[0], record.shape)
        make = self._by_shape.get(key)
        if make is None:
            make = self._by_shape[key] = self._compile(values[0], record)
        return make(values, body)

    @staticmethod
    def _compile(record_type, record):
        names = FIELDS.get(record_type)
        index = record.shape.index
        if names is None or record.get("unknown") or any(name not in index for name in names):
            return lambda values, body: body_digest(record_type, body)
        get = itemgetter(*[index[name] for name in names])
        prefix = f"{record_type}:"
        join = ":".join

        def identity(values, body):
            return prefix + join(map(str, get(values)))
        return identity


__all__ = ["FIELDS", "Identities", "body_digest"]
