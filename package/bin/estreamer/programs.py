"""Compiled functions by record shape, made on first sight, and the way back to the reference.

``render(body)`` tries the function of the last shape seen for the record type (streams are
made of records of one shape); if it cannot vouch for the record — another block version, a
block cut short, anything unexpected — the record is read once to learn its shape, that
shape's function is made (or found) and tried; if that fails too, ``render`` returns None and
the caller takes the reference path with the decoded record, which gives the same result.
"""
from __future__ import annotations

import struct

from .compiler import CannotCompile, Shape, block_types
from .layout import ParseError, UnknownBlock

_HEADER = struct.Struct(">II")


class Programs:
    """``compile(layout, shape)`` makes the function of a shape (or raises
    :class:`~.compiler.CannotCompile`); ``wanted(record_type)`` says whether to try at all."""

    def __init__(self, catalog, compile, wanted):
        self.catalog, self._compile, self._wanted = catalog, compile, wanted
        self._current = {}   # (record type, archived?) -> the function of the last shape seen
        self._shapes = {}    # Shape.key -> its function, or None when it cannot be compiled

    def render(self, body):
        """The compiled function's result for ``body``, or None: take the reference path."""
        try:
            record_type, length = _HEADER.unpack_from(body)
        except struct.error:
            return None
        key = (record_type, len(body) == 16 + length)
        function = self._current.get(key)
        if function is not None:
            try:
                return function(body)
            except Exception:  # noqa: BLE001 - any surprise: the shape's function cannot vouch
                pass
        return self._retry(body, key)

    def _retry(self, body, key):
        record_type, archived = key
        kind = self.catalog.records.get(record_type)
        if kind is None or not self._wanted(record_type):
            return None
        start = 16 if archived else 8
        try:
            record, _ = self.catalog.decode(kind.layout, body, start, len(body))
        except (ParseError, UnknownBlock, struct.error, ValueError, TypeError):
            return None  # the caller's decoder reports it
        shape = Shape(record_type, archived, block_types(self.catalog, kind.layout, record))
        if shape.key not in self._shapes:
            try:
                self._shapes[shape.key] = self._compile(kind.layout, shape)
            except CannotCompile:
                self._shapes[shape.key] = None
        function = self._shapes[shape.key]
        if function is None:
            return None
        self._current[key] = function
        try:
            return function(body)
        except Exception:  # noqa: BLE001 - this record itself: the reference path decides
            return None
