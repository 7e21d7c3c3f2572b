"""Field kinds: how one value of a record or block is laid out on the wire, and how to read,
write and compile it.

A layout is a tuple of ``(name, kind)`` rows, exactly as the protocol tables list them. Each kind
carries its own behaviour, as ``construct``'s do, for the three things that walk the rows:

* ``read(reader, name, buf, off, end, out, depth)`` — the reference reader
  (:mod:`estreamer.reader`): exact bounds, the value into ``out``, the next offset back;
* ``write(writer, name, values, out)`` — the writer (:mod:`estreamer.writer`), which also
  derives length fields (``derive``);
* ``emit(compiler, name)`` — straight-line code for the compiler (:mod:`estreamer.compiler`).
  Fixed-size kinds instead give their ``struct`` code (``fmt``), so the compiler unpacks a run
  of them at once, and the text form of an unpacked value (``expression``).

All integers are big-endian. The reader, writer and compiler pass themselves in; this module
knows only what it asks of them (:class:`Reading`, :class:`Writing`, :class:`Compiling`).
"""
from __future__ import annotations

import socket
import struct
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Tuple, Union, cast

BLOCK_HEADER = struct.Struct(">II")  # block type, block length (length includes these 8 bytes)
LIST_TYPE = 11  # written in list headers; the value is not documented and readers ignore it

Fields = Dict[str, Any]  # a layout's values by field name (nested blocks as dicts, lists as lists)


# --- what the kinds ask of the walkers -------------------------------------------------------

class Reading(Protocol):
    """The reference reader (:class:`estreamer.reader.ReferenceReader`), as the kinds use it."""

    @property
    def error(self) -> Callable[[str, int], Exception]:
        """The exception of a malformed record: ``error(message, offset)``."""

    def need(self, off: int, end: int, size: int, what: str) -> None:
        """Raises unless ``size`` bytes are left before ``end``."""

    def block_header(self, buf: bytes, off: int, end: int, what: str) -> Tuple[int, int]:
        """``(type, length)`` of the block or list header at ``off``, checked to fit."""

    def block(self, name: Optional[str], ref: BlockRef, buf: bytes, off: int, end: int,
              depth: int) -> Tuple[Fields, int]:
        """The block at a position the table names ``ref`` → ``(fields, next offset)``."""


class Writing(Protocol):
    """The writer (:class:`estreamer.writer.Writer`), as the kinds use it."""

    def block(self, ref: BlockRef, value: Mapping[str, Any], out: bytearray) -> None:
        """``value`` written as the block a position the table names ``ref`` holds."""


class Compiling(Protocol):
    """The compiler (:class:`estreamer.compiler.Compiler`), as the kinds use it."""

    def line(self, text: str) -> None:
        """One line of the generated function."""

    def const(self, value: object, prefix: str = ...) -> str:
        """A name in the generated function's globals bound to ``value``."""

    def bind(self, name: str, expr: Optional[str] = None) -> str:
        """A new local for field ``name``."""

    def bind_optional(self, name: str, flag: str) -> str:
        """A new local for field ``name``, present only when the local ``flag`` is true."""

    def var_of(self, name: str) -> str:
        """The local holding field ``name``."""

    def wants(self, name: str) -> bool:
        """Whether the field's value is needed."""

    def block(self, name: Optional[str], ref: BlockRef) -> None:
        """Lines reading a nested block."""

    def list(self, name: str, kind: ListOf) -> None:
        """Lines reading a list of blocks."""


# --- the kinds ---------------------------------------------------------------------------------

class Kind:
    """A wire type. ``fmt`` is its struct code when the kind has a fixed size.

    ``name`` is the row's field name: a str, None only for an unnamed :class:`BlockRef`."""

    fmt: Optional[str] = None
    size: Optional[int] = None
    binary = False
    has_value = True  # False for reserved bytes

    def encode(self, value: Any) -> Any:
        return value

    def present_at_end(self, name: Any, out: Fields) -> bool:
        """Whether a field whose bytes would start exactly where its block ends is present
        anyway (and then set in ``out``); otherwise the block is an older, shorter version."""
        return False

    def derive(self, name: Any, values: Mapping[str, Any], derived: Fields) -> None:
        """Length fields the writer computes from the values (``derived`` is a copy)."""

    def expression(self, compiler: Compiling, var: str) -> str:
        """The compiled expression of an unpacked fixed-size value (``var``)."""
        return var

    def read(self, reader: Reading, name: Any, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        """The value at ``off`` into ``out[name]``; the offset after it."""
        raise NotImplementedError

    def write(self, writer: Writing, name: Any, values: Mapping[str, Any],
              out: bytearray) -> None:
        """``values[name]`` appended to ``out``."""
        raise NotImplementedError

    def emit(self, compiler: Compiling, name: Any) -> None:
        """Lines reading the value (kinds without a fixed size; the others give ``fmt``)."""
        raise NotImplementedError


class Int(Kind):
    fmt: str
    size: int

    def __init__(self, fmt: str, size: int) -> None:
        self.fmt, self.size = fmt, size
        self.struct = struct.Struct(">" + fmt)

    def encode(self, value: Any) -> int:
        return int(value or 0)

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        reader.need(off, end, self.size, name)
        out[name] = self.struct.unpack_from(buf, off)[0]
        return off + self.size

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        out += self.struct.pack(self.encode(values.get(name)))

    def __repr__(self) -> str:
        return f"U{self.size * 8}"


class Raw(Kind):
    """A fixed-size byte string with a text form (hex, uuid, address)."""

    fmt: str
    size: int
    decode: Callable[[bytes], str]  # the text form; memoised ones carry their memo (``cache``)

    def __init__(self, size: int, name: str, decode: Callable[[bytes], str],
                 encode: Callable[[str], bytes]) -> None:
        self.size, self.fmt, self.name = size, f"{size}s", name
        self.decode, self._encode = decode, encode
        self.struct = struct.Struct(">" + self.fmt)

    def encode(self, value: Any) -> bytes:
        if not value:
            return bytes(self.size)
        raw = self._encode(value)
        if len(raw) != self.size:
            raise ValueError(f"{self.name} needs {self.size} bytes, got {len(raw)} from {value!r}")
        return raw

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        reader.need(off, end, self.size, name)
        out[name] = self.decode(self.struct.unpack_from(buf, off)[0])
        return off + self.size

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        out += self.struct.pack(self.encode(values.get(name)))

    def expression(self, compiler: Compiling, var: str) -> str:
        """A memoised converter is asked through its memo's ``dict.get`` first (a C call, the
        usual hit; texts are never empty), the converter itself only on a miss."""
        convert = compiler.const(self.decode, "_f")
        memo = getattr(self.decode, "cache", None)
        if memo is None:
            return f"{convert}({var})"
        return f"({compiler.const(memo.get, '_m')}({var}) or {convert}({var}))"

    def __repr__(self) -> str:
        return self.name


class Skip(Kind):
    """Reserved bytes: consumed, never output, written as zeros."""

    has_value = False
    fmt: str
    size: int

    def __init__(self, size: int) -> None:
        self.size, self.fmt = size, f"{size}x"

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        reader.need(off, end, self.size, name)
        return off + self.size

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        out += bytes(self.size)

    def __repr__(self) -> str:
        return f"SKIP{self.size}"


def _emit_text(compiler: Compiling, var: str, start: str, stop: str, binary: bool) -> None:
    """Variable text inline: UTF-8 with NULs removed, lowercase hex when not UTF-8
    (:func:`text_value`), binary always hex; empty when no bytes."""
    line = compiler.line
    if binary:
        line(f"{var} = buf[{start}:{stop}].hex()")
        return
    line("try:")
    line(f"    {var} = buf[{start}:{stop}].decode()")
    line("except UnicodeDecodeError:")
    line(f"    {var} = buf[{start}:{stop}].hex()")
    line(f"if '\\x00' in {var}: {var} = {var}.replace('\\x00', '')")


class Text(Kind):
    """A series-1 string (type 0) block, output as text, or blob (type 10), output as hex."""

    def __init__(self, wire_type: int, name: str, binary: bool = False) -> None:
        self.wire_type, self.name, self.binary = wire_type, name, binary

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        _, n = reader.block_header(buf, off, end, name)
        out[name] = (binary_value if self.binary else text_value)(buf[off + 8:off + n])
        return off + n

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        data = value_bytes(self, values.get(name))
        out += BLOCK_HEADER.pack(self.wire_type, 8 + len(data)) + data

    def emit(self, compiler: Compiling, name: str) -> None:
        line = compiler.line
        line("_n, = _N(buf, off)")
        line("if _n < 8 or off + _n > end: raise _Short")
        if compiler.wants(name):
            _emit_text(compiler, compiler.bind(name), "off + 8", "off + _n", self.binary)
        line("off += _n")

    def __repr__(self) -> str:
        return self.name


class Var(Kind):
    """Inline bytes whose length is an earlier field of the same layout (plus ``adjust``):
    text, or hex when ``binary`` (packet data: a frame must never be mistaken for text)."""

    def __init__(self, length_field: str, adjust: int = 0, binary: bool = False) -> None:
        self.length_field, self.adjust, self.binary = length_field, adjust, binary

    def length(self, out: Mapping[str, Any]) -> int:
        length: int = out.get(self.length_field, 0)
        return length + self.adjust

    def present_at_end(self, name: str, out: Fields) -> bool:
        if self.length(out) != 0:
            return False
        out[name] = ""  # an empty text that ends the record is present, not absent
        return True

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        n = self.length(out)
        if n < 0:
            raise reader.error(f"{name} has negative length {n}", off)
        reader.need(off, end, n, name)
        out[name] = (binary_value if self.binary else text_value)(buf[off:off + n])
        return off + n

    def derive(self, name: str, values: Mapping[str, Any], derived: Fields) -> None:
        derived[self.length_field] = len(value_bytes(self, values.get(name))) - self.adjust

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        out += value_bytes(self, values.get(name))

    def emit(self, compiler: Compiling, name: str) -> None:
        line = compiler.line
        line(f"_n = {compiler.var_of(self.length_field)} + {self.adjust}")
        line("if _n < 0 or off + _n > end: raise _Short")
        if compiler.wants(name):
            _emit_text(compiler, compiler.bind(name), "off", "off + _n", self.binary)
        line("off += _n")

    def __repr__(self) -> str:
        extra = (f", {self.adjust}" if self.adjust else "") + (", binary=True" if self.binary else "")
        return f"var({self.length_field!r}{extra})"


class BlockRef(Kind):
    """A nested block. The block type read from the wire picks the layout within ``series``,
    among the versions the catalog accepts at this position, so a newer block version decodes
    without code changes; ``expected`` is what the tables name and what the writer writes by
    default. Unnamed (``None``), the block's fields belong to the layout holding it."""

    def __init__(self, series: int, expected: int) -> None:
        self.series, self.expected = series, expected

    def read(self, reader: Reading, name: Optional[str], buf: bytes, off: int, end: int,
             out: Fields, depth: int) -> int:
        value, off = reader.block(name, self, buf, off, end, depth + 1)
        if name is None:
            out.update(value)
        else:
            out[name] = value
        return off

    def write(self, writer: Writing, name: Optional[str], values: Mapping[str, Any],
              out: bytearray) -> None:
        writer.block(self, (values if name is None else values.get(name)) or {}, out)

    def emit(self, compiler: Compiling, name: Optional[str]) -> None:
        compiler.block(name, self)

    def __repr__(self) -> str:
        return f"block({self.series}, {self.expected})"


class ListOf(Kind):
    """``uint32 listType | uint32 listLength (incl. these 8) | items`` of one block kind."""

    def __init__(self, item: BlockRef) -> None:
        self.item = item

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        _, n = reader.block_header(buf, off, end, f"{name} list")
        stop, off, items = off + n, off + 8, []
        while off < stop:
            item, off = reader.block(name, self.item, buf, off, stop, depth + 1)
            items.append(item)
        out[name] = items
        return off

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        start = len(out)
        out += BLOCK_HEADER.pack(LIST_TYPE, 0)
        for item in values.get(name) or ():
            writer.block(self.item, item, out)
        struct.pack_into(">I", out, start + 4, len(out) - start)

    def emit(self, compiler: Compiling, name: str) -> None:
        compiler.list(name, self)

    def __repr__(self) -> str:
        return f"list_of({self.item.series}, {self.item.expected})"


class When(Kind):
    """A fixed-size value present only when an earlier flag field is non-zero (discovery
    header IPv6)."""

    def __init__(self, flag_field: str, kind: Kind) -> None:
        if kind.fmt is None:
            raise TypeError(f"when() takes a fixed-size kind, not {kind!r}")
        self.flag_field, self.kind = flag_field, kind

    def read(self, reader: Reading, name: str, buf: bytes, off: int, end: int, out: Fields,
             depth: int) -> int:
        if not out.get(self.flag_field):
            return off
        return self.kind.read(reader, name, buf, off, end, out, depth)

    def write(self, writer: Writing, name: str, values: Mapping[str, Any],
              out: bytearray) -> None:
        if values.get(self.flag_field):
            self.kind.write(writer, name, values, out)

    def emit(self, compiler: Compiling, name: str) -> None:
        flag, inner, line = compiler.var_of(self.flag_field), self.kind, compiler.line
        var = compiler.bind_optional(name, flag)
        unpack = compiler.const(struct.Struct(">" + str(inner.fmt)).unpack_from, "_s")
        line(f"if {flag}:")
        line(f"    {var} = {unpack}(buf, off)[0]")
        value = inner.expression(compiler, var)
        if value != var:
            line(f"    {var} = {value}")
        line(f"    off += {inner.size}")
        line("else:")
        line(f"    {var} = None")

    def __repr__(self) -> str:
        return f"when({self.flag_field!r}, {self.kind!r})"


# --- text forms of fixed-size values -------------------------------------------------------
# Connection events repeat the same zones, interfaces, policies and addresses over and over;
# memoising their text forms is the cheapest speed-up the decoder has. Bounded: cleared when full.
_MEMO_LIMIT = 1 << 16
_MISSING = object()


class Memoised(Protocol):
    """A converter with its memo, ``cache`` (argument → result), which compiled code reads
    directly."""

    cache: Dict[Any, Any]

    def __call__(self, raw: Any) -> Any:
        ...


def memoised(convert: Callable[[Any], Any]) -> Memoised:
    """``convert`` with its results remembered per argument (bounded: cleared when full)."""
    cache: Dict[Any, Any] = {}

    def cached(raw: Any, _get: Callable[[Any, Any], Any] = cache.get,
               _missing: object = _MISSING) -> Any:
        text = _get(raw, _missing)
        if text is _missing:
            if len(cache) >= _MEMO_LIMIT:
                cache.clear()
            text = cache[raw] = convert(raw)
        return text

    memo = cast(Memoised, cached)
    memo.cache = cache
    return memo


def _uuid_text(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_V4_MAPPED = bytes(10) + b"\xff\xff"


def _ipv6_text(raw: bytes) -> str:
    if raw[:12] == _V4_MAPPED:
        return socket.inet_ntoa(raw[12:])
    return socket.inet_ntop(socket.AF_INET6, raw)


def _ip_bytes(text: str) -> bytes:
    if ":" in text:
        return socket.inet_pton(socket.AF_INET6, text)
    return _V4_MAPPED + socket.inet_aton(text)


uuid_text = memoised(_uuid_text)
ipv6_text = memoised(_ipv6_text)


def text_value(raw: bytes) -> str:
    """Variable text as eNcore renders it: UTF-8 with NULs removed, else lowercase hex."""
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return bytes(raw).hex()
    return text.replace("\x00", "") if "\x00" in text else text


def text_bytes(value: Any) -> Union[bytes, bytearray]:
    if value is None:
        return b""
    return value if isinstance(value, (bytes, bytearray)) else str(value).encode("utf-8")


def binary_value(raw: bytes) -> str:
    """Binary data (blobs, packets) as lowercase hex, whatever bytes it happens to hold."""
    return bytes(raw).hex()


def binary_bytes(value: Any) -> bytes:
    """The writer's side of :func:`binary_value`: hex text, or bytes as they are."""
    if value is None:
        return b""
    return bytes(value) if isinstance(value, (bytes, bytearray)) else bytes.fromhex(value)


def value_bytes(kind: Kind, value: Any) -> Union[bytes, bytearray]:
    return binary_bytes(value) if kind.binary else text_bytes(value)


U8, U16, U32, U64 = Int("B", 1), Int("H", 2), Int("I", 4), Int("Q", 8)
UUID = Raw(16, "UUID", uuid_text, lambda s: bytes.fromhex(s.replace("-", "")))
IPV4 = Raw(4, "IPV4", socket.inet_ntoa, socket.inet_aton)
IPV6 = Raw(16, "IPV6", ipv6_text, _ip_bytes)
MAC = Raw(6, "MAC", lambda raw: raw.hex(":"), lambda s: bytes.fromhex(s.replace(":", "")))
HEX16, HEX20, HEX32 = (Raw(n, f"HEX{n}", bytes.hex, bytes.fromhex) for n in (16, 20, 32))
STRING, BLOB = Text(0, "STRING"), Text(10, "BLOB", binary=True)


def skip(size: int) -> Skip:
    return Skip(size)


def var(length_field: str, adjust: int = 0, binary: bool = False) -> Var:
    return Var(length_field, adjust, binary)


def block(series: int, expected: int) -> BlockRef:
    return BlockRef(series, expected)


def list_of(series: int, expected: int) -> ListOf:
    return ListOf(BlockRef(series, expected))


def when(flag_field: str, kind: Kind) -> When:
    return When(flag_field, kind)
