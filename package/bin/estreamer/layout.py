"""One generic codec over declarative layouts.

A :class:`Layout` is the protocol table of a record body or block: ``(name, kind)`` rows. Three
things walk those rows, and nothing else knows a record's shape:

* :func:`decode_slow` — the reference reader. Exact bounds at every field; a block or record
  that ends on a field boundary simply lacks the remaining fields (older, shorter versions);
  a field cut in half is a :class:`ParseError` naming the field, the offset and what was missing.
* the compiled reader — the same walk turned once into straight-line Python (one
  ``struct.unpack_from`` per run of fixed-size fields, one values tuple for the result), as
  ``namedtuple`` and ``dataclasses`` compile their classes. It handles the common case, a
  complete block; whenever it cannot prove that (short data, a block shorter than its table),
  it gives way to the reference reader, so both always agree. Why not only the reference
  reader: a connection record has ~100 fields and the decoder has a budget of a few
  microseconds per record.
* :func:`encode` — the writer (the simulator's), which also fills in derived fields: block and
  list lengths, the length fields of variable text.

Blocks carry their own ``blockType | blockLength`` header. The decoder bounds every block by its
own length (so a newer, longer block version is read for the fields we know and its tail is
skipped) and picks the layout by the block type read from the wire, among the versions of the
block the table names at that position (:func:`versions`; series 1 and 2 number their blocks
independently). A block type the catalog does not know there is a newer version
(:class:`UnknownBlock`: the record is surfaced raw); a block the catalog knows but that has no
place there is a :class:`ParseError`, as is nesting deeper than :data:`MAX_DEPTH` blocks — a
record can only nest as deep as its tables do, and a hostile one must not recurse without end.
"""
from __future__ import annotations

import struct

from .fields import (BLOCK_HEADER, BlockRef, Int, Kind, ListOf, Raw, Skip, Text, Var, When,
                     binary_value, text_value, value_bytes)
from .record import EMPTY, Record, combine, shape_of

SERIES = {1: {}, 2: {}}  # series -> wire block type -> Layout; filled by estreamer.catalog
VERSIONS = {1: {}, 2: {}}  # series -> wire block type -> the wire types of all its versions
MAX_DEPTH = 32  # blocks inside blocks; the catalog's deepest table nests 4
LIST_TYPE = 11  # written in list headers; the value is not documented and readers ignore it


class ParseError(ValueError):
    """A malformed record or block. ``offset`` counts from the start of the record body."""

    def __init__(self, message: str, offset: int = 0, record_type=None):
        super().__init__(message)
        self.message, self.offset, self.record_type = message, offset, record_type

    def __str__(self):
        where = f"record type {self.record_type}, " if self.record_type is not None else ""
        return f"{where}offset {self.offset}: {self.message}"


class UnknownBlock(Exception):
    """A block type the catalog has no layout for (a newer FMC); the record is surfaced raw."""

    def __init__(self, series: int, block_type: int, offset: int):
        super().__init__(f"unknown series-{series} block type {block_type} at offset {offset}")
        self.series, self.block_type, self.offset = series, block_type, offset


class _Short(Exception):
    """Raised by compiled readers when they cannot vouch for a result."""


class Layout:
    def __init__(self, name: str, rows, series=None, wire_type=None):
        self.name, self.rows = name, tuple(rows)
        self.series, self.wire_type = series, wire_type
        names = [row[0] for row in self.rows]
        self.has_header = names[:2] == ["blockType", "blockLength"]
        self._fast = None

    def __repr__(self):
        return f"<Layout {self.name}>"

    def field(self, name: str) -> Kind:
        return next(kind for row_name, kind in self.rows if row_name == name)

    def read(self, buf, off: int, end: int):
        """Decode one instance at ``off`` in ``buf[:end]`` → ``(shape, values, next_offset)``."""
        fast = self._fast or self._compile()
        try:
            shape, values, after = fast(buf, off, end)
            if after <= end:
                return shape, values, after
        except (_Short, struct.error, UnknownBlock):
            pass
        fields, after = decode_slow(self, buf, off, end)
        record = Record.from_dict(fields)
        return record.shape, record.values, after

    def decode(self, buf, off: int, end: int):
        """Decode one instance → ``(Record, next_offset)``."""
        shape, values, after = self.read(buf, off, end)
        return Record(shape, values), after

    def _compile(self):
        self._fast = _Compiler(self).build()
        return self._fast


def register(series: int, wire_type: int, name: str, rows) -> Layout:
    layout = Layout(name, rows, series, wire_type)
    SERIES[series][wire_type] = layout
    return layout


def register_versions(series: int, *wire_types: int) -> None:
    """Declare block types to be versions of one block: a position naming any of them accepts
    them all."""
    family = frozenset(wire_types)
    for wire_type in wire_types:
        VERSIONS[series][wire_type] = family


def versions(ref: BlockRef) -> frozenset:
    """The wire types a block position accepts: the block its table names and its versions."""
    return VERSIONS.get(ref.series, {}).get(ref.expected) or frozenset((ref.expected,))


def resolve(ref: BlockRef, wire_type=None) -> Layout:
    table = SERIES[ref.series]
    layout = table[ref.expected] if wire_type is None else table.get(wire_type)
    if layout is None:
        raise KeyError(wire_type)
    return layout


# --- reference reader -------------------------------------------------------------------------

def decode_slow(layout: Layout, buf, off: int, end: int, depth: int = 0):
    """``depth``: how many blocks enclose this one (0 for a record body)."""
    rows, out = layout.rows, {}
    if layout.has_header:
        t, n = _block_header(buf, off, end, layout.name)
        out["blockType"], out["blockLength"] = t, n
        block_end, off, rows = off + n, off + 8, rows[2:]
    else:
        block_end = end
    for name, kind in rows:
        if off == block_end:
            if isinstance(kind, Var) and out.get(kind.length_field, 0) + kind.adjust == 0:
                out[name] = ""  # an empty text that ends the record is present, not absent
                continue
            break  # an older, shorter version: the remaining fields are absent
        off = _decode_field(name, kind, buf, off, block_end, out, depth)
    if layout.has_header:
        off = block_end  # a newer, longer version: skip the fields we do not know
    return out, off


def _need(buf, off: int, end: int, size: int, what: str):
    if off + size > end:
        raise ParseError(f"{what} needs {size} bytes, {max(end - off, 0)} left", off)


def _block_header(buf, off: int, end: int, what: str):
    _need(buf, off, end, 8, f"{what} block header")
    t, n = BLOCK_HEADER.unpack_from(buf, off)
    if n < 8 or off + n > end:
        raise ParseError(f"{what} block length {n} does not fit the {end - off} bytes left", off + 4)
    return t, n


def _decode_field(name, kind, buf, off, end, out, depth):
    if isinstance(kind, When):
        if not out.get(kind.flag_field):
            return off
        kind = kind.kind
    if isinstance(kind, Skip):
        _need(buf, off, end, kind.size, name)
        return off + kind.size
    if isinstance(kind, (Int, Raw)):
        _need(buf, off, end, kind.size, name)
        out[name] = kind.decode(struct.unpack_from(">" + kind.fmt, buf, off)[0])
        return off + kind.size
    if isinstance(kind, Text):
        _, n = _block_header(buf, off, end, name)
        out[name] = (binary_value if kind.binary else text_value)(buf[off + 8:off + n])
        return off + n
    if isinstance(kind, Var):
        n = out.get(kind.length_field, 0) + kind.adjust
        if n < 0:
            raise ParseError(f"{name} has negative length {n}", off)
        _need(buf, off, end, n, name)
        out[name] = (binary_value if kind.binary else text_value)(buf[off:off + n])
        return off + n
    if isinstance(kind, BlockRef):
        value, off = _decode_block(name, kind, buf, off, end, depth + 1)
    elif isinstance(kind, ListOf):
        _, n = _block_header(buf, off, end, f"{name} list")
        stop, off, value = off + n, off + 8, []
        while off < stop:
            item, off = _decode_block(name, kind.item, buf, off, stop, depth + 1)
            value.append(item)
    else:
        raise TypeError(f"no reader for {kind!r}")
    if name is None:
        out.update(value)  # an unnamed block's fields belong to its parent
    else:
        out[name] = value
    return off


def _decode_block(name, ref: BlockRef, buf, off: int, end: int, depth: int):
    if depth > MAX_DEPTH:
        raise ParseError(f"{name}: blocks nest deeper than {MAX_DEPTH}", off)
    table = SERIES.get(ref.series, {})
    layout = table.get(ref.expected)
    if layout is None or layout.has_header:  # dispatch on the wire type: a newer version may come
        _need(buf, off, end, 8, f"{layout.name if layout else 'series-%d' % ref.series} block header")
        wire_type = struct.unpack_from(">I", buf, off)[0]
        layout = table.get(wire_type)
        if layout is None:
            raise UnknownBlock(ref.series, wire_type, off)
        if wire_type not in versions(ref):
            expected = table.get(ref.expected)
            raise ParseError(f"{name}: a {layout.name} block (series {ref.series}, type "
                             f"{wire_type}) where only "
                             f"{expected.name if expected else 'block type %d' % ref.expected} "
                             f"or a version of it belongs", off)
    return decode_slow(layout, buf, off, end, depth)


# --- compiled reader --------------------------------------------------------------------------

_U32 = struct.Struct(">I").unpack_from


def _dispatcher(ref: BlockRef):
    """The reader of a block position at ``depth`` (the depth of the block holding it): by wire
    type among the versions the position accepts, or fixed if headerless. Anything else (an
    unknown or misplaced block, too deep) is left to the reference reader to report."""
    table = SERIES.get(ref.series, {})
    expected = table.get(ref.expected)
    if expected is not None and not expected.has_header:
        def read_fixed(buf, off, end, depth):
            if depth >= MAX_DEPTH:
                raise _Short
            return (expected._fast or expected._compile())(buf, off, end, depth + 1)
        return read_fixed
    accepted = {t: table[t] for t in versions(ref) if t in table}

    def read_block(buf, off, end, depth):
        layout = accepted.get(_U32(buf, off)[0])
        if layout is None or depth >= MAX_DEPTH:
            raise _Short
        return (layout._fast or layout._compile())(buf, off, end, depth + 1)
    return read_block


def _list_reader(item_reader):
    def read_list(buf, off, end, depth):
        _, n = BLOCK_HEADER.unpack_from(buf, off)
        stop = off + n
        if n < 8 or stop > end:
            raise _Short
        off += 8
        items = []
        while off < stop:
            shape, values, off = item_reader(buf, off, stop, depth)
            items.append(Record(shape, values))
        if off != stop:
            raise _Short
        return items, off
    return read_list


class _Compiler:
    """Turns a layout into ``def read(buf, off, end, depth=0) -> (shape, values, off)``
    source (``depth``: how many blocks enclose this one)."""

    def __init__(self, layout: Layout):
        self.layout, self.code = layout, []
        self.env = {"_HDR": BLOCK_HEADER.unpack_from, "_Short": _Short,
                    "_Record": Record, "_combine": combine, "_EMPTY": EMPTY}
        self.segments = []  # ["const", [(name, expr)]] | ["merge", shape, values] | ["when", ...]
        self.var_of = {}

    def const(self, value, prefix="_c"):
        key = f"{prefix}{len(self.env)}"
        self.env[key] = value
        return key

    def emit(self, line: str):
        self.code.append("    " + line)

    def add(self, name, expr):
        if not self.segments or self.segments[-1][0] != "const":
            self.segments.append(["const", []])
        self.segments[-1][1].append((name, expr))

    def build(self):
        rows, layout = list(self.layout.rows), self.layout
        if layout.has_header:
            self.emit("blockType, blockLength = _HDR(buf, off)")
            self.emit("if blockLength < 8 or off + blockLength > end: raise _Short")
            self.emit("end = off + blockLength")
            self.emit("off += 8")
            self.add("blockType", "blockType")
            self.add("blockLength", "blockLength")
            rows = rows[2:]
        run = []
        for name, kind in rows:
            if isinstance(kind, (Int, Raw, Skip)):
                run.append((name, kind))
                continue
            self.fixed_run(run)
            run = []
            self.variable(name, kind)
        self.fixed_run(run)
        if layout.has_header:
            self.emit("if off > end: raise _Short")
            self.emit("off = end")
        self.result()
        source = "def read(buf, off, end, depth=0):\n" + "\n".join(self.code) + "\n"
        namespace = dict(self.env)
        exec(compile(source, f"<layout {layout.name}>", "exec"), namespace)
        read = namespace["read"]
        read.source = source
        return read

    def new_var(self, name):
        var = f"v{len(self.var_of)}"
        self.var_of[name if name is not None else var] = var
        return var

    def fixed_run(self, run):
        if not run:
            return
        fmt, targets = ">", []
        for name, kind in run:
            fmt += kind.fmt
            if isinstance(kind, Skip):
                continue
            var = self.new_var(name)
            targets.append(var)
            self.add(name, self.convert(kind, var) if isinstance(kind, Raw) else var)
        unpack = self.const(struct.Struct(fmt).unpack_from, "_s")
        if targets:
            self.emit(f"{', '.join(targets)}, = {unpack}(buf, off)")
        else:
            self.emit(f"{unpack}(buf, off)")
        self.emit(f"off += {struct.calcsize(fmt)}")

    def convert(self, kind: Raw, var: str) -> str:
        """The expression of a fixed-size value's text form. A memoised converter is asked
        through its memo's ``dict.get`` first (a C call, the usual hit; texts are never
        empty), the converter itself only on a miss."""
        memo = getattr(kind.decode, "cache", None)
        if memo is None:
            return f"{self.const(kind.decode, '_f')}({var})"
        return f"({self.const(memo.get, '_m')}({var}) or {self.const(kind.decode, '_f')}({var}))"

    def text(self, var: str, start: str, stop: str, binary: bool):
        """Variable text inline: UTF-8 with NULs removed, lowercase hex when not UTF-8
        (:func:`~estreamer.fields.text_value`), binary always hex; empty when no bytes."""
        if binary:
            self.emit(f"{var} = buf[{start}:{stop}].hex()")
            return
        self.emit("try:")
        self.emit(f"    {var} = str(buf[{start}:{stop}], 'utf-8')")
        self.emit("except UnicodeDecodeError:")
        self.emit(f"    {var} = buf[{start}:{stop}].hex()")
        self.emit(f"if '\\x00' in {var}: {var} = {var}.replace('\\x00', '')")

    def variable(self, name, kind):
        if isinstance(kind, When):
            flag, var, inner = self.var_of[kind.flag_field], self.new_var(name), kind.kind
            unpack = self.const(struct.Struct(">" + inner.fmt).unpack_from, "_s")
            self.emit(f"if {flag}:")
            self.emit(f"    {var} = {unpack}(buf, off)[0]")
            if isinstance(inner, Raw):
                self.emit(f"    {var} = {self.convert(inner, var)}")
            self.emit(f"    off += {inner.size}")
            self.segments.append(["when", flag, name, var])
            return
        var = self.new_var(name)
        if isinstance(kind, Text):
            self.emit("_n = _HDR(buf, off)[1]")
            self.emit("if _n < 8 or off + _n > end: raise _Short")
            self.text(var, "off + 8", "off + _n", kind.binary)
            self.emit("off += _n")
        elif isinstance(kind, Var):
            self.emit(f"_n = {self.var_of[kind.length_field]} + {kind.adjust}")
            self.emit("if _n < 0 or off + _n > end: raise _Short")
            self.text(var, "off", "off + _n", kind.binary)
            self.emit("off += _n")
        elif isinstance(kind, BlockRef):
            reader = self.const(_dispatcher(kind), "_b")
            if name is None:  # the block's fields belong to this layout
                self.emit(f"{var}_shape, {var}, off = {reader}(buf, off, end, depth)")
                self.segments.append(["merge", f"{var}_shape", var])
                return
            self.emit(f"_shape, _values, off = {reader}(buf, off, end, depth)")
            self.emit(f"{var} = _Record(_shape, _values)")
        elif isinstance(kind, ListOf):
            reader = self.const(_list_reader(_dispatcher(kind.item)), "_l")
            self.emit(f"{var}, off = {reader}(buf, off, end, depth)")
        else:
            raise TypeError(f"no reader for {kind!r}")
        self.add(name, var)

    def result(self):
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
            self.emit(f"return {shapes[0]}, {values[0]}, off")
        elif not shapes:
            self.emit("return _EMPTY, (), off")
        else:
            self.emit(f"return _combine(({', '.join(shapes)},)), {' + '.join(values)}, off")


# --- writer -----------------------------------------------------------------------------------

def encode(layout: Layout, values: dict) -> bytes:
    """Bytes of ``values`` laid out by ``layout``; lengths are derived, never trusted."""
    out = bytearray()
    _encode_into(layout, values, out)
    return bytes(out)


def _encode_into(layout: Layout, values: dict, out: bytearray):
    start, rows = len(out), layout.rows
    values = _with_lengths(layout, values)
    if layout.has_header:
        wire_type = layout.wire_type if layout.wire_type is not None else values.get("blockType")
        out += BLOCK_HEADER.pack(wire_type or 0, 0)
        rows = rows[2:]
    for name, kind in rows:
        _encode_field(name, kind, values, out)
    if layout.has_header:
        struct.pack_into(">I", out, start + 4, len(out) - start)


def _with_lengths(layout: Layout, values: dict) -> dict:
    derived = None
    for name, kind in layout.rows:
        if isinstance(kind, Var):
            derived = derived or dict(values)
            derived[kind.length_field] = len(value_bytes(kind, values.get(name))) - kind.adjust
    return derived or values


def _encode_field(name, kind, values, out):
    if isinstance(kind, When):
        if not values.get(kind.flag_field):
            return
        kind = kind.kind
    value = values if name is None else values.get(name)
    if isinstance(kind, Skip):
        out += bytes(kind.size)
    elif isinstance(kind, (Int, Raw)):
        out += struct.pack(">" + kind.fmt, kind.encode(value))
    elif isinstance(kind, Text):
        data = value_bytes(kind, value)
        out += BLOCK_HEADER.pack(kind.wire_type, 8 + len(data)) + data
    elif isinstance(kind, Var):
        out += value_bytes(kind, value)
    elif isinstance(kind, BlockRef):
        _encode_block(kind, value or {}, out)
    elif isinstance(kind, ListOf):
        start = len(out)
        out += BLOCK_HEADER.pack(LIST_TYPE, 0)
        for item in value or ():
            _encode_block(kind.item, item, out)
        struct.pack_into(">I", out, start + 4, len(out) - start)
    else:
        raise TypeError(f"no writer for {kind!r}")


def _encode_block(ref: BlockRef, value: dict, out: bytearray):
    layout = SERIES[ref.series].get(ref.expected)
    if layout is None or (layout.has_header and value.get("blockType") not in (None, layout.wire_type)):
        layout = resolve(ref, value.get("blockType"))
    _encode_into(layout, value, out)
