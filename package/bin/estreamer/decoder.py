"""Record bodies (the payload of one Event Data message) → plain dicts.

A record is ``uint32 type | uint32 length | [uint32 archiveTimestamp | uint32 reserved] | data``.
Whether the 8-byte extension is there is decided by size, as the FMC only adds it to events:
body = 8 + length (none) or 16 + length (present); anything else is malformed.

Nothing here stops a stream: an unknown record type or block version comes back as
``{"recordType": N, "unknown": True, "raw": "<hex>"}`` (records are read-only mappings,
:class:`~estreamer.record.Record`) and is counted; a malformed record raises
:class:`ParseError` (record type, offset, what was expected), is counted, and the caller goes on
with the next message. Whatever else goes wrong inside one record's decoding is that record's
:class:`ParseError` too: no record's bytes may stop the stream.
"""
from __future__ import annotations

import struct

from .catalog import CATALOG
from .layout import ParseError, UnknownBlock
from .record import Record, combine, shape_of

_HEADER = struct.Struct(">II")
_EXTENDED = struct.Struct(">IIII")
_PLAIN = shape_of(("recordType",))
_ARCHIVED = shape_of(("recordType", "archiveTimestamp"))


class Stats:
    """What the decoder has seen; the monitor line and health events report these."""

    __slots__ = ("records", "unknown_types", "unknown_blocks", "malformed", "trailing_bytes")

    def __init__(self):
        self.records = self.unknown_types = self.unknown_blocks = 0
        self.malformed = self.trailing_bytes = 0

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}


def record_header(body):
    """``(record_type, archive_timestamp or None, data_offset)`` of a record body."""
    if len(body) < 8:
        raise ParseError(f"record header needs 8 bytes, the message has {len(body)}", 0)
    record_type, length = _HEADER.unpack_from(body)
    if len(body) == 8 + length:
        return record_type, None, 8
    if len(body) == 16 + length:
        return record_type, _EXTENDED.unpack_from(body)[2], 16
    raise ParseError(f"record length {length} does not match the {len(body)}-byte message "
                     f"(expected {len(body) - 8} or {len(body) - 16})", 4, record_type)


class RecordDecoder:
    """Record bodies → :class:`~estreamer.record.Record`, by the layouts of ``catalog``."""

    def __init__(self, catalog=CATALOG):
        self.catalog = catalog
        self.stats = Stats()

    def decode(self, body) -> Record:
        """Decode one record body (bytes). Raises :class:`ParseError` for a malformed record."""
        try:
            record_type, archive_timestamp, start = record_header(body)
        except ParseError:
            self.stats.malformed += 1
            raise
        if archive_timestamp is None:
            prefix, head = _PLAIN, (record_type,)
        else:
            prefix, head = _ARCHIVED, (record_type, archive_timestamp)
        kind = self.catalog.records.get(record_type)
        if kind is None:
            self.stats.unknown_types += 1
            return _unknown(dict(zip(prefix.names, head)), body, start)
        end = len(body)
        try:
            shape, values, after = self.catalog.read(kind.layout, body, start, end)
        except UnknownBlock as exc:
            self.stats.unknown_blocks += 1
            return _unknown(dict(zip(prefix.names, head), blockType=exc.block_type), body, start)
        except ParseError as exc:
            self.stats.malformed += 1
            exc.record_type = record_type
            raise
        except Exception as exc:  # noqa: BLE001 - a decoder bug must cost one record, not the stream
            self.stats.malformed += 1
            raise ParseError(f"undecodable ({type(exc).__name__}: {exc})", 0,
                             record_type) from exc
        self.stats.records += 1
        self.stats.trailing_bytes += end - after
        return Record(combine((prefix, shape)), head + values)


def _unknown(fields: dict, body, start: int) -> Record:
    fields["unknown"] = True
    fields["raw"] = bytes(body[start:]).hex()
    return Record.from_dict(fields)


def encode_record(record_type: int, values, archive_timestamp=None,
                  catalog=CATALOG) -> bytes:
    """A record body from field values (the simulator's writer): the inverse of decode.
    With ``archive_timestamp`` the 16-byte header is written, as for events."""
    data = catalog.encode(catalog.records[record_type].layout, values)
    if archive_timestamp is None:
        return _HEADER.pack(record_type, len(data)) + data
    return _EXTENDED.pack(record_type, len(data), archive_timestamp, 0) + data
