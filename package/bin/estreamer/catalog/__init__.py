"""The declarative tables — block layouts (series 1 and 2) and the record catalog — and the
:class:`Catalog` object that holds them for the codec.

A catalog is passed to whatever reads or writes records (the decoder, the simulator's writer,
the event compiler); :data:`CATALOG` is the one built from this package's tables. Nothing is
registered globally: a test can build a catalog of its own.
"""
from __future__ import annotations

import struct

from ..compiler import Compiler
from ..layout import Short, UnknownBlock
from ..reader import ReferenceReader
from ..record import Record
from ..writer import Writer
from . import blocks
from .records import FAMILIES, FAMILY_OF, RECORDS, RecordType  # noqa: F401


class Catalog:
    """Block layouts by (series, wire type), the versions a block position accepts, and the
    record types; with the readers (compiled ones made on first use) and the writer."""

    def __init__(self, layouts=(), versions=(), record_types=()):
        self.series = {}      # series -> wire type -> Layout
        for layout in layouts:
            self.series.setdefault(layout.series, {})[layout.wire_type] = layout
        self._versions = {}   # (series, wire type) -> the wire types of all its versions
        for series, wire_types in versions:
            family = frozenset(wire_types)
            for wire_type in wire_types:
                self._versions[(series, wire_type)] = family
        self.records = {kind.number: kind for kind in record_types}
        self.reference = ReferenceReader(self)
        self.writer = Writer(self)
        self._readers = {}

    def block(self, series: int, wire_type):
        """The layout of a block version, or None."""
        return self.series.get(series, {}).get(wire_type)

    def accepts(self, ref) -> frozenset:
        """The wire types a block position accepts: the block its table names and its
        versions."""
        return self._versions.get((ref.series, ref.expected)) or frozenset((ref.expected,))

    def blocks(self):
        """Every block layout, as ``(series, wire type, layout)``."""
        return [(series, wire_type, layout) for series, table in sorted(self.series.items())
                for wire_type, layout in sorted(table.items())]

    # --- reading ---------------------------------------------------------------------------

    def reader(self, layout):
        """The compiled reader of ``layout`` (made once):
        ``read(buf, off, end, depth=0) -> (shape, values, next_offset)``, raising
        :class:`~estreamer.layout.Short` where it cannot vouch for the result."""
        read = self._readers.get(layout)
        if read is None:
            read = self._readers[layout] = Compiler(self, layout).build()
        return read

    def read(self, layout, buf, off: int, end: int):
        """One instance of ``layout`` → ``(shape, values, next_offset)``: compiled, or the
        reference reader's answer where the compiled reader cannot vouch for its own."""
        try:
            shape, values, after = self.reader(layout)(buf, off, end)
            if after <= end:
                return shape, values, after
        except (Short, struct.error, UnknownBlock):
            pass
        fields, after = self.reference.read(layout, buf, off, end)
        record = Record.from_dict(fields)
        return record.shape, record.values, after

    def decode(self, layout, buf, off: int, end: int):
        """One instance → ``(Record, next_offset)``."""
        shape, values, after = self.read(layout, buf, off, end)
        return Record(shape, values), after

    def read_reference(self, layout, buf, off: int, end: int):
        """The reference reader alone → ``(dict, next_offset)``."""
        return self.reference.read(layout, buf, off, end)

    # --- writing ---------------------------------------------------------------------------

    def encode(self, layout, values) -> bytes:
        """Bytes of ``values`` laid out by ``layout``; lengths are derived, never trusted."""
        return self.writer.encode(layout, values)


CATALOG = Catalog(blocks.LAYOUTS, blocks.VERSIONS, RECORDS.values())
