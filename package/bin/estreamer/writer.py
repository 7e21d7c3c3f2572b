"""The writer: values laid out by a layout, as the simulator sends them.

Lengths are derived, never trusted: block and list lengths from what was written, the length
field of each variable text from the text (``derive`` of the kind).
"""
from __future__ import annotations

import struct
from typing import Any, Mapping

from .fields import BLOCK_HEADER, BlockRef
from .layout import Layout, Layouts


class Writer:
    """Writes layouts of ``catalog``; nested blocks by the version their ``blockType`` names."""

    def __init__(self, catalog: Layouts) -> None:
        self.catalog = catalog

    def encode(self, layout: Layout, values: Mapping[str, Any]) -> bytes:
        """Bytes of ``values`` (a mapping; nested blocks mappings, lists lists) laid out by
        ``layout``."""
        out = bytearray()
        self.write(layout, values, out)
        return bytes(out)

    def write(self, layout: Layout, values: Mapping[str, Any], out: bytearray) -> None:
        start, rows = len(out), layout.rows
        derived = dict(values)
        for name, kind in rows:
            kind.derive(name, values, derived)
        if layout.has_header:
            wire_type = layout.wire_type if layout.wire_type is not None else derived.get("blockType")
            out += BLOCK_HEADER.pack(wire_type or 0, 0)
            rows = rows[2:]
        for name, kind in rows:
            kind.write(self, name, derived, out)
        if layout.has_header:
            struct.pack_into(">I", out, start + 4, len(out) - start)

    def block(self, ref: BlockRef, value: Mapping[str, Any], out: bytearray) -> None:
        """A block at a position the table names ``ref``: the version ``value["blockType"]``
        names, else the one the table names."""
        catalog = self.catalog
        layout = catalog.block(ref.series, ref.expected)
        wire_type = value.get("blockType")
        if layout is None or (layout.has_header and wire_type not in (None, layout.wire_type)):
            layout = catalog.block(ref.series, ref.expected if wire_type is None else wire_type)
            if layout is None:
                raise KeyError(wire_type)
        self.write(layout, value, out)
