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

The client journals an *entry* per event (:mod:`.journal`): the archive second (4 bytes) and
the identity, ``b"f"`` + record type (4 bytes) + the fields (8 bytes each), or ``b"d"`` + record
type + the digest. ``entry[4:]`` is the identity. Made by one ``struct`` pack of values an
``itemgetter`` picks from the decoded record (both built once per record layout), an entry costs
about a microsecond: the event path is the hot path.
"""
from __future__ import annotations

import hashlib
import struct
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

ARCHIVE = struct.Struct(">I")
_EXTENDED_HEADER = 16  # record type, length, archive timestamp, reserved
_PLAIN_HEADER = 8


def body_digest(record_type: int, body) -> bytes:
    """The identity of a record without an id: a digest of its data, past the header (the
    archive timestamp there differs between the FMCs of a pair)."""
    start = _EXTENDED_HEADER if _has_archive_header(body) else _PLAIN_HEADER
    return b"d" + (record_type or 0).to_bytes(4, "big") + \
        hashlib.blake2b(memoryview(body)[start:], digest_size=16).digest()


def _has_archive_header(body) -> bool:
    if len(body) < _PLAIN_HEADER:
        return False
    length = int.from_bytes(body[4:8], "big")
    return len(body) == _EXTENDED_HEADER + length


def archive_of(entry: bytes) -> int:
    return ARCHIVE.unpack_from(entry)[0]


class Identities:
    """``entry(record, body, archive) -> bytes``: the journal entry of a decoded event record,
    given the body it was decoded from (read only for a digest); ``of_body(body, record_type,
    archive)``: the same entry from the record's bytes alone, for the records a sink writes
    from their bytes (compiled per record shape, as the events are)."""

    def __init__(self, catalog=None):
        self._by_shape = {}  # record layout -> function(values, body, archive)
        self._catalog = catalog
        self._bodies = None  # compiled per shape on first use

    def of_body(self, body, record_type: int, archive: int):
        """The entry of an event record (with the 16-byte header) from its bytes; None where
        the compiled reader cannot vouch for the record: decode it and ask :meth:`entry`."""
        if record_type not in FIELDS:
            return ARCHIVE.pack(archive) + body_digest(record_type, body)
        if self._bodies is None:
            from .catalog import CATALOG
            from .programs import Programs
            self._catalog = self._catalog or CATALOG
            self._bodies = Programs(self._catalog, self._compile_body, FIELDS.__contains__)
        return self._bodies.render(body)

    def _compile_body(self, layout, shape):
        """``entry(buf)`` for records of ``shape``: the identity fields read in place."""
        from .compiler import CannotCompile, FlatReader
        names = FIELDS[shape.record_type]
        reader = FlatReader(self._catalog, layout, shape, set(names))
        reader.signature = "entry(buf)"
        reader.read_header(shape)
        reader.read_record()
        if not shape.archived or any(name not in reader.exprs for name in names):
            raise CannotCompile("the identity fields are not all there: a digest names it")
        # the rest of the record is the event function's to vouch for: this one is used only
        # for a record the sink took from its bytes
        if reader.all_read is not None:
            del reader.code[reader.all_read:]
        pack = reader.const(struct.Struct(">Ic I%dQ" % len(names)).pack, "_pack")
        fields = ", ".join(reader.exprs[name] for name in names)
        reader.line(f"return {pack}(archive, b'f', rt, {fields})")
        return reader.function(f"<identity {shape.key}>")

    def entry(self, record, body, archive: int) -> bytes:
        make = self._by_shape.get(record.shape)
        if make is None:
            make = self._by_shape[record.shape] = self._compile(record)
        return make(record.values, body, archive)

    def __call__(self, record, body) -> bytes:
        """The identity alone."""
        return self.entry(record, body, 0)[4:]

    @staticmethod
    def _compile(record):
        index = record.shape.index
        names = FIELDS.get(record.values[0])
        if names is None or "unknown" in index or any(name not in index for name in names):
            return _digest_entry
        get = itemgetter(0, *[index[name] for name in names])  # the record type first
        pack = struct.Struct(">Ic I%dQ" % len(names)).pack

        def entry(values, body, archive):
            try:
                return pack(archive, b"f", *get(values))
            except struct.error:  # a value no 64-bit field holds: the body names it instead
                return _digest_entry(values, body, archive)
        return entry


def _digest_entry(values, body, archive):
    return ARCHIVE.pack(archive) + body_digest(values[0], body)


__all__ = ["FIELDS", "Identities", "archive_of", "body_digest"]
