"""Declarative layouts: the protocol table of a record body or block, as ``(name, kind)`` rows.

A :class:`Layout` is data; what reads, writes and compiles it lives in the field kinds
(:mod:`estreamer.fields`) and in three walkers over the rows, each in its own module:

* :mod:`estreamer.reader` — the reference reader: exact bounds at every field; a block or
  record that ends on a field boundary simply lacks the remaining fields (older, shorter
  versions); a field cut in half is a :class:`ParseError` naming the field, the offset and
  what was missing;
* :mod:`estreamer.compiler` — the same walk turned once into straight-line Python, for the
  common case; whenever it cannot vouch for a result it gives way to the reference reader;
* :mod:`estreamer.writer` — the writer (the simulator's), which also fills in derived fields.

Blocks carry their own ``blockType | blockLength`` header. Which layouts a block position
accepts is the business of the :class:`~estreamer.catalog.Catalog` holding the layouts: a block
type it does not know there is a newer version (:class:`UnknownBlock`: the record is surfaced
raw); a block it knows but that has no place there is a :class:`ParseError`, as is nesting
deeper than :data:`MAX_DEPTH` blocks — a record can only nest as deep as its tables do, and a
hostile one must not recurse without end.
"""
from __future__ import annotations

from typing import Any, FrozenSet, Iterable, Optional, Protocol, Tuple

from .fields import BlockRef, Kind
from .record import Shape

MAX_DEPTH = 32  # blocks inside blocks; the catalog's deepest table nests 4
HEADER_NAMES = ("blockType", "blockLength")

# A layout row: (field name, kind). The name is a str, or None for a block whose fields belong
# to the layout holding it (a BlockRef); the types cannot tie the two, so the name is Any here
# and precise in each kind's methods.
Row = Tuple[Any, Kind]
Values = Tuple[Any, ...]  # a record's or block's values, in the order of its Shape


class ParseError(ValueError):
    """A malformed record or block. ``offset`` counts from the start of the record body."""

    def __init__(self, message: str, offset: int = 0, record_type: Optional[int] = None) -> None:
        super().__init__(message)
        self.message, self.offset, self.record_type = message, offset, record_type

    def __str__(self) -> str:
        where = f"record type {self.record_type}, " if self.record_type is not None else ""
        return f"{where}offset {self.offset}: {self.message}"


class UnknownBlock(Exception):
    """A block type the catalog has no layout for (a newer FMC); the record is surfaced raw."""

    def __init__(self, series: int, block_type: int, offset: int) -> None:
        super().__init__(f"unknown series-{series} block type {block_type} at offset {offset}")
        self.series, self.block_type, self.offset = series, block_type, offset


class Short(Exception):
    """Raised by compiled code when it cannot vouch for a result: the caller then asks the
    reference reader, which either reads the record (an older, shorter version) or says
    precisely what is wrong with it."""


class Layout:
    """The rows of one record body or block version. ``series``/``wire_type`` identify a block
    (None for a record body)."""

    def __init__(self, name: str, rows: Iterable[Row], series: Optional[int] = None,
                 wire_type: Optional[int] = None) -> None:
        self.name, self.rows = name, tuple(rows)
        self.series, self.wire_type = series, wire_type
        self.has_header = tuple(row[0] for row in self.rows[:2]) == HEADER_NAMES

    @property
    def body_rows(self) -> Tuple[Row, ...]:
        """The rows after the block header (all rows of a headerless layout)."""
        return self.rows[2:] if self.has_header else self.rows

    def field(self, name: str) -> Kind:
        return next(kind for row_name, kind in self.rows if row_name == name)

    def __repr__(self) -> str:
        return f"<Layout {self.name}>"


class CompiledRead(Protocol):
    """A layout's compiled reader (:mod:`estreamer.compiler`): one instance at ``off`` in
    ``buf[:end]`` → ``(shape, values, next offset)``; ``depth``: the blocks enclosing it."""

    def __call__(self, buf: bytes, off: int, end: int, depth: int = 0) -> Tuple[Shape, Values, int]:
        ...


class Layouts(Protocol):
    """What the reader, the compiler and the writer ask of the catalog holding the layouts
    (:class:`estreamer.catalog.Catalog`)."""

    def block(self, series: int, wire_type: Optional[int]) -> Optional[Layout]:
        """The layout of a block version, or None."""

    def accepts(self, ref: BlockRef) -> FrozenSet[int]:
        """The wire types a block position accepts."""

    def reader(self, layout: Layout) -> CompiledRead:
        """The compiled reader of ``layout``."""
