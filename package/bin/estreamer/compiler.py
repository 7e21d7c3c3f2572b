"""The compiled reader: a layout's walk turned once into straight-line Python.

As ``namedtuple`` and ``dataclasses`` compile their classes, a layout is compiled on first use
into ``read(buf, off, end, depth=0) -> (shape, values, next_offset)``: one
``struct.unpack_from`` per run of fixed-size fields, text decoded inline, one values tuple for
the result (a :class:`~estreamer.record.Record` is a shape and that tuple). Why not only the
reference reader: a connection record has ~100 fields and the decoder has a budget of a few
microseconds per record.

It handles the common case, a complete block. Whenever it cannot prove that (short data, a
block shorter than its table, a block type its position does not accept, nesting too deep) it
raises :class:`~estreamer.layout.Short` and the caller asks the reference reader
(:mod:`estreamer.reader`), so both always agree.

The field kinds write their own code (``emit``, ``fmt``, ``expression`` in
:mod:`estreamer.fields`); :class:`Compiler` holds what they share — the lines, the constants
and the local variable of each field — and decides how nested blocks are read.
:class:`FlatReader` reads a whole record of one :class:`Shape` (record type, header, the
version of each nested block) into one local per field, nested blocks inline: the event
compiler (:mod:`estreamer.events.compiler`) writes events from those locals, the identity
journal (:mod:`estreamer.identity`) its entries.
"""
from __future__ import annotations

import struct
from typing import AbstractSet, Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from .fields import BLOCK_HEADER, BlockRef, Int, Kind, ListOf, Var, When
from .layout import MAX_DEPTH, CompiledRead, Layout, Layouts, Row, Short, Values
from .record import EMPTY, Record, combine, shape_of
from .record import Shape as RecordShape

_U32 = struct.Struct(">I").unpack_from
_LENGTH = struct.Struct(">4xI").unpack_from  # a block's length, from its header

# The reader of a block position: ``(buf, off, end, depth) -> (shape, values, next offset)``
BlockRead = Callable[[bytes, int, int, int], Tuple[RecordShape, Values, int]]
ListRead = Callable[[bytes, int, int, int], Tuple[List[Record], int]]


class Compiler:
    """The source of one generated function, with the constants it refers to."""

    signature = "read(buf, off, end, depth=0)"

    def __init__(self, catalog: Layouts, layout: Layout) -> None:
        self.catalog, self.layout = catalog, layout
        self.code: List[str] = []
        self.env: Dict[str, Any] = {"_H": BLOCK_HEADER.unpack_from, "_N": _LENGTH,
                                    "_Short": Short, "_Record": Record,
                                    "_combine": combine, "_EMPTY": EMPTY}
        # ["const", [(name, expr)]] | ["merge", shape, values] | ["when", flag, name, var]
        self.segments: List[List[Any]] = []
        self.vars: Dict[str, str] = {}   # field name -> the local holding its value
        self.exprs: Dict[str, str] = {}  # field name -> the expression of its decoded value
        self.indent = "    "
        self._count = 0

    # --- what the field kinds use --------------------------------------------------------------

    def const(self, value: object, prefix: str = "_c") -> str:
        """A name in the generated function's globals bound to ``value``."""
        key = f"{prefix}{len(self.env)}"
        self.env[key] = value
        return key

    def line(self, text: str) -> None:
        self.code.append(self.indent + text)

    def fresh(self) -> str:
        self._count += 1
        return f"v{self._count}"

    def bind(self, name: str, expr: Optional[str] = None) -> str:
        """A new local for field ``name``, always present in the result."""
        var = self.fresh()
        self.vars[name] = var
        self.exprs[name] = expr or var
        if not self.segments or self.segments[-1][0] != "const":
            self.segments.append(["const", []])
        self.segments[-1][1].append((name, expr or var))
        return var

    def bind_optional(self, name: str, flag: str) -> str:
        """A new local for field ``name``, present only when the local ``flag`` is true."""
        var = self.fresh()
        self.vars[name] = self.exprs[name] = var
        self.segments.append(["when", flag, name, var])
        return var

    def var_of(self, name: str) -> str:
        return self.vars[name]

    def wants(self, name: str) -> bool:
        """Whether the field's value is needed (a reader that skips some checks their
        bounds all the same)."""
        return True

    def block(self, name: Optional[str], ref: BlockRef) -> None:
        """A nested block: read by the compiled reader of the wire type found there."""
        reader = self.const(self.dispatcher(ref), "_b")
        if name is None:  # the block's fields belong to this layout
            var = self.fresh()
            self.line(f"{var}_shape, {var}, off = {reader}(buf, off, end, depth)")
            self.segments.append(["merge", f"{var}_shape", var])
            return
        self.line(f"_shape, _values, off = {reader}(buf, off, end, depth)")
        var = self.bind(name)
        self.line(f"{var} = _Record(_shape, _values)")

    def list(self, name: str, kind: ListOf) -> None:
        reader = self.const(list_reader(self.dispatcher(kind.item)), "_l")
        var = self.bind(name)
        self.line(f"{var}, off = {reader}(buf, off, end, depth)")

    def dispatcher(self, ref: BlockRef) -> BlockRead:
        return dispatcher(self.catalog, ref)

    # --- the walk ------------------------------------------------------------------------------

    def build(self) -> CompiledRead:
        layout = self.layout
        if layout.has_header:
            self.line("blockType, blockLength = _H(buf, off)")
            self.line("if blockLength < 8 or off + blockLength > end: raise _Short")
            self.line("end = off + blockLength")
            self.line("off += 8")
            self.bind("blockType", "blockType")
            self.bind("blockLength", "blockLength")
        self.walk(layout.body_rows)
        if layout.has_header:
            self.line("if off > end: raise _Short")
            self.line("off = end")
        self.result()
        read: CompiledRead = self.function(f"<layout {layout.name}>")
        return read

    def walk(self, rows: Sequence[Row]) -> None:
        run: List[Tuple[str, Kind, str]] = []
        for name, kind in rows:
            if kind.fmt is not None:
                run.append((name, kind, kind.fmt))
                continue
            self.fixed_run(run)
            run = []
            kind.emit(self, name)
            self.emitted()
        self.fixed_run(run)

    def emitted(self) -> None:
        """Called once the lines reading a field (or a run of fixed-size ones) are written."""

    def fixed_run(self, run: List[Tuple[str, Kind, str]]) -> None:
        """One ``unpack_from`` for consecutive fixed-size fields: ``(name, kind, its fmt)``."""
        if not run:
            return
        fmt, targets = ">", []
        for name, kind, kind_fmt in run:
            if not kind.has_value or not self.wants(name):
                fmt += f"{kind.size}x"
                continue
            fmt += kind_fmt
            var = self.fresh()
            targets.append(var)
            self.bind_value(name, var, kind.expression(self, var))
        unpack = self.const(struct.Struct(fmt).unpack_from, "_s")
        if targets:
            self.line(f"{', '.join(targets)}, = {unpack}(buf, off)")
        else:
            self.line(f"{unpack}(buf, off)")
        self.line(f"off += {struct.calcsize(fmt)}")
        self.emitted()

    def bind_value(self, name: str, var: str, expr: str) -> None:
        """Record the already unpacked ``var`` as field ``name`` (text form ``expr``)."""
        self.vars[name] = var
        self.exprs[name] = expr
        if not self.segments or self.segments[-1][0] != "const":
            self.segments.append(["const", []])
        self.segments[-1][1].append((name, expr))

    def result(self) -> None:
        shapes, values = [], []
        for segment in self.segments:
            if segment[0] == "const":
                names, exprs = zip(*segment[1])
                shapes.append(self.const(shape_of(names), "_S"))
                values.append("(" + ", ".join(exprs) + ",)")
            elif segment[0] == "merge":
                shapes.append(segment[1])
                values.append(segment[2])
            else:
                _, flag, name, var = segment
                shapes.append(f"({self.const(shape_of((name,)), '_S')} if {flag} else _EMPTY)")
                values.append(f"(({var},) if {flag} else ())")
        if len(shapes) == 1 and self.segments[0][0] == "const":
            self.line(f"return {shapes[0]}, {values[0]}, off")
        elif not shapes:
            self.line("return _EMPTY, (), off")
        else:
            self.line(f"return _combine(({', '.join(shapes)},)), {' + '.join(values)}, off")

    def function(self, filename: str) -> Any:
        """The generated function (its source in its ``source`` attribute)."""
        source = f"def {self.signature}:\n" + "\n".join(self.code) + "\n"
        namespace = dict(self.env)
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own tables
        function = namespace[self.signature.partition("(")[0]]
        function.source = source
        return function


def dispatcher(catalog: Layouts, ref: BlockRef) -> BlockRead:
    """The reader of a block position, called with the depth of the block holding it: by wire
    type among the versions the position accepts, or fixed if headerless. Anything else (an
    unknown or misplaced block, too deep) is left to the reference reader to report."""
    expected = catalog.block(ref.series, ref.expected)
    if expected is not None and not expected.has_header:
        fixed = expected

        def read_fixed(buf: bytes, off: int, end: int,
                       depth: int) -> Tuple[RecordShape, Values, int]:
            if depth >= MAX_DEPTH:
                raise Short
            return catalog.reader(fixed)(buf, off, end, depth + 1)
        return read_fixed
    accepted = {t: layout for t in catalog.accepts(ref)
                if (layout := catalog.block(ref.series, t)) is not None}
    readers: Dict[int, CompiledRead] = {}

    def read_block(buf: bytes, off: int, end: int,
                   depth: int) -> Tuple[RecordShape, Values, int]:
        wire_type = _U32(buf, off)[0]
        read = readers.get(wire_type)
        if read is None:
            layout = accepted.get(wire_type)
            if layout is None:
                raise Short
            read = readers[wire_type] = catalog.reader(layout)
        if depth >= MAX_DEPTH:
            raise Short
        return read(buf, off, end, depth + 1)
    return read_block


def list_reader(item_reader: BlockRead) -> ListRead:
    def read_list(buf: bytes, off: int, end: int, depth: int) -> Tuple[List[Record], int]:
        _, n = BLOCK_HEADER.unpack_from(buf, off)
        stop = off + n
        if n < 8 or stop > end:
            raise Short
        off += 8
        items = []
        while off < stop:
            shape, values, off = item_reader(buf, off, stop, depth)
            items.append(Record(shape, values))
        if off != stop:
            raise Short
        return items, off
    return read_list


# --- whole records into locals (the event compiler and the identity journal build on it) ----

class CannotCompile(Exception):
    """The profile cannot be compiled for this layout (it needs a field the layout lacks):
    records of this shape take the reference path."""


class Shape:
    """What one compiled function is for: the record type, whether the header carries the
    archive timestamp, and the wire type of each single nested block, in reading order (None
    for a headerless one)."""

    __slots__ = ("record_type", "archived", "blocks")

    def __init__(self, record_type: int, archived: bool,
                 blocks: Sequence[Optional[int]] = ()) -> None:
        self.record_type, self.archived, self.blocks = record_type, archived, tuple(blocks)

    @property
    def key(self) -> Tuple[int, bool, Tuple[Optional[int], ...]]:
        return self.record_type, self.archived, self.blocks

    @classmethod
    def of(cls, catalog: Layouts, layout: Layout, record: Mapping[str, Any]) -> Shape:
        """The shape of a decoded ``record`` (header fields included) read by ``layout``."""
        return cls(record["recordType"], record.get("archiveTimestamp") is not None,
                   block_types(catalog, layout, record))

    def __repr__(self) -> str:
        return f"Shape{self.key}"


def block_types(catalog: Layouts, layout: Layout,
                record: Mapping[str, Any]) -> List[Optional[int]]:
    """The wire types of ``record``'s single blocks, in reading order (see :class:`Shape`)."""
    types: List[Optional[int]] = []
    for name, kind in layout.rows:
        if not isinstance(kind, BlockRef):
            continue
        value = record if name is None else record.get(name)
        wire_type = None if value is None else value.get("blockType")
        types.append(wire_type)
        inner = catalog.block(kind.series, kind.expected if wire_type is None else wire_type)
        if inner is not None and value is not None:
            types.extend(block_types(catalog, inner, value))
    return types


class FlatReader(Compiler):
    """Reads a record body into one local per field, its single nested blocks inline in the
    versions ``shape`` names (a named block's fields as ``block.field``); lists stay lists of
    Records. Keeps each field's kind, the fields in reading order (``order``: top-level names,
    a field named twice at its first place) and the fields of each named block (``nested``)."""

    def __init__(self, catalog: Layouts, layout: Layout, shape: Shape,
                 uses: Optional[AbstractSet[str]] = None) -> None:
        super().__init__(catalog, layout)
        self.env.update(_HDR=_HEADER.unpack_from, _U32=_U32)
        self.shape, self._blocks, self.uses = shape, list(shape.blocks), uses
        self.all_read: Optional[int] = None
        self.keep: Set[str] = {"blockType", "blockLength"}
        self.prefix, self._level = "", 0
        self.kinds: Dict[str, Kind] = {}
        self.order: List[str] = []
        self.nested: Dict[str, List[str]] = {}

    def bind(self, name: str, expr: Optional[str] = None) -> str:
        var = self.fresh()
        self._record(name, var, expr or var)
        return var

    def bind_optional(self, name: str, flag: str) -> str:
        var = self.fresh()
        self._record(name, var, var)
        return var

    def bind_value(self, name: str, var: str, expr: str) -> None:
        self._record(name, var, expr)

    def var_of(self, name: str) -> str:
        return self.vars[self.prefix + name]

    def emitted(self) -> None:
        if self.uses is not None and self.all_read is None and self.uses <= self.exprs.keys():
            self.all_read = len(self.code)  # the lines that read every field used

    def wants(self, name: str) -> bool:
        """The fields the profile uses, and the lengths and flags other fields need."""
        full = self.prefix + name
        return self.uses is None or full in self.uses or full in self.keep

    def _record(self, name: str, var: str, expr: str) -> None:
        full = self.prefix + name
        self.vars[full], self.exprs[full] = var, expr
        siblings = self.nested[self.prefix[:-1]] if self.prefix else self.order
        if full not in siblings:
            siblings.append(full)

    def walk(self, rows: Sequence[Row]) -> None:
        for name, kind in rows:
            if name is not None:
                self.kinds[self.prefix + name] = kind
            if isinstance(kind, Var):
                self.keep.add(self.prefix + kind.length_field)
            elif isinstance(kind, When):
                self.keep.add(self.prefix + kind.flag_field)
        super().walk(rows)

    def block(self, name: Optional[str], ref: BlockRef) -> None:
        if not self._blocks:
            raise CannotCompile(f"no version given for block {ref!r}")
        wire_type, catalog = self._blocks.pop(0), self.catalog
        layout = catalog.block(ref.series, ref.expected if wire_type is None else wire_type)
        if layout is None or (wire_type is None) == layout.has_header or (
                wire_type is not None and wire_type not in catalog.accepts(ref)):
            raise CannotCompile(f"block type {wire_type} cannot stand where {ref!r} does")
        outer = self.prefix
        if name is not None:
            full = outer + name
            (self.nested[outer[:-1]] if outer else self.order).append(full)
            self.nested[full] = []
            self.kinds[full] = ref
            self.prefix = full + "."
        self._level += 1
        line, level = self.line, self._level
        if layout.has_header:
            line(f"_t{level}, _n{level} = _HDR(buf, off)")
            line(f"if _t{level} != {wire_type} or _n{level} < 8 or off + _n{level} > end: "
                 f"raise _Short")
            line(f"_end{level} = end")
            line(f"end = off + _n{level}")
            line("off += 8")
            for field, var in (("blockType", f"_t{level}"), ("blockLength", f"_n{level}")):
                self._record(field, var, var)
                self.kinds[self.prefix + field] = _U32_KIND
        self.walk(layout.body_rows)
        if layout.has_header:
            line("if off > end: raise _Short")
            line("off = end")
            line(f"end = _end{level}")
        self.prefix, self._level = outer, self._level - 1

    def list(self, name: str, kind: ListOf) -> None:
        reader = self.const(list_reader(dispatcher(self.catalog, kind.item)), "_l")
        var = self.bind(name)
        self.line(f"{var}, off = {reader}(buf, off, end, {self._level})")

    def read_header(self, shape: Shape) -> None:
        """Lines reading the record header of ``shape`` from ``buf``: ``archive`` (the archive
        timestamp, when the header carries one), then ``off`` and ``end`` at the body."""
        line = self.line
        line("rt, n = _HDR(buf, 0)")
        if shape.archived:
            line("if len(buf) != 16 + n: raise _Short")
            line("archive = _U32(buf, 8)[0]")
            line("off = 16")
        else:
            line("if len(buf) != 8 + n: raise _Short")
            line("off = 8")
        line("end = len(buf)")

    def read_record(self) -> None:
        """Lines reading the body from ``off`` to ``end``, nothing left over."""
        layout, line = self.layout, self.line
        if layout.has_header:  # a record body that is a block header and fields (530, 700)
            line("_t0, _n0 = _HDR(buf, off)")
            line("if _n0 < 8 or off + _n0 != end: raise _Short")
            line("off += 8")
            for field, var in (("blockType", "_t0"), ("blockLength", "_n0")):
                self._record(field, var, var)
                self.kinds[field] = _U32_KIND
        self.walk(layout.body_rows)
        if self._blocks:
            raise CannotCompile(f"{len(self._blocks)} block versions left over")
        line("if off != end: raise _Short")


_U32_KIND = Int("I", 4)
_HEADER = struct.Struct(">II")


