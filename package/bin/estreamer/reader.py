"""The reference reader: layouts walked row by row, every bound checked.

This is the reader every other one answers to. A block or record that ends on a field boundary
lacks the remaining fields (an older, shorter version); a field cut in half, a block length
that does not fit, a block where its table allows none and nesting deeper than
:data:`~estreamer.layout.MAX_DEPTH` are :class:`~estreamer.layout.ParseError` at their offset.
Blocks are bounded by their own length, so a newer, longer version is read for the fields we
know and its tail is skipped.
"""
from __future__ import annotations

import struct
from typing import Optional, Tuple

from .fields import BLOCK_HEADER, BlockRef, Fields
from .layout import MAX_DEPTH, Layout, Layouts, ParseError, UnknownBlock

_U32 = struct.Struct(">I").unpack_from


class ReferenceReader:
    """Reads layouts of ``catalog`` into plain dicts (nested blocks as dicts, lists as lists)."""

    error = ParseError

    def __init__(self, catalog: Layouts) -> None:
        self.catalog = catalog

    def read(self, layout: Layout, buf: bytes, off: int, end: int,
             depth: int = 0) -> Tuple[Fields, int]:
        """One instance of ``layout`` at ``off`` in ``buf[:end]`` → ``(fields, next_offset)``.
        ``depth``: how many blocks enclose this one (0 for a record body)."""
        rows, out = layout.rows, {}
        if layout.has_header:
            t, n = self.block_header(buf, off, end, layout.name)
            out["blockType"], out["blockLength"] = t, n
            block_end, off, rows = off + n, off + 8, rows[2:]
        else:
            block_end = end
        for name, kind in rows:
            if off == block_end:
                if kind.present_at_end(name, out):
                    continue
                break  # an older, shorter version: the remaining fields are absent
            off = kind.read(self, name, buf, off, block_end, out, depth)
        if layout.has_header:
            off = block_end  # a newer, longer version: skip the fields we do not know
        return out, off

    # --- what the field kinds ask for ----------------------------------------------------------

    @staticmethod
    def need(off: int, end: int, size: int, what: str) -> None:
        if off + size > end:
            raise ParseError(f"{what} needs {size} bytes, {max(end - off, 0)} left", off)

    def block_header(self, buf: bytes, off: int, end: int, what: str) -> Tuple[int, int]:
        self.need(off, end, 8, f"{what} block header")
        t, n = BLOCK_HEADER.unpack_from(buf, off)
        if n < 8 or off + n > end:
            raise ParseError(f"{what} block length {n} does not fit the {end - off} bytes left",
                             off + 4)
        return t, n

    def block(self, name: Optional[str], ref: BlockRef, buf: bytes, off: int, end: int,
              depth: int) -> Tuple[Fields, int]:
        """The block at a position the table names ``ref``, read by the layout of the wire type
        found there (``depth``: the block's own nesting level)."""
        if depth > MAX_DEPTH:
            raise ParseError(f"{name}: blocks nest deeper than {MAX_DEPTH}", off)
        catalog = self.catalog
        layout = catalog.block(ref.series, ref.expected)
        if layout is None or layout.has_header:  # dispatch on the wire type: a newer version may come
            what = layout.name if layout else f"series-{ref.series}"
            self.need(off, end, 8, f"{what} block header")
            wire_type = _U32(buf, off)[0]
            layout = catalog.block(ref.series, wire_type)
            if layout is None:
                raise UnknownBlock(ref.series, wire_type, off)
            if wire_type not in catalog.accepts(ref):
                expected = catalog.block(ref.series, ref.expected)
                raise ParseError(f"{name}: a {layout.name} block (series {ref.series}, type "
                                 f"{wire_type}) where only "
                                 f"{expected.name if expected else 'block type %d' % ref.expected} "
                                 f"or a version of it belongs", off)
        return self.read(layout, buf, off, end, depth)
