"""Field kinds: how one value of a record or block is laid out on the wire.

A layout is a tuple of ``(name, kind)`` rows, exactly as the protocol tables list them. Every
kind knows its wire size (fixed kinds) and how to turn bytes into a plain value and back; the
generic codec in :mod:`estreamer.layout` walks the rows. All integers are big-endian.
"""
from __future__ import annotations

import socket
import struct


class Kind:
    """A wire type. ``fmt`` is its struct code when the kind has a fixed size."""

    fmt = None
    size = None

    def decode(self, raw):
        return raw

    def encode(self, value):
        return value


class Int(Kind):
    def __init__(self, fmt: str, size: int):
        self.fmt, self.size = fmt, size

    def encode(self, value):
        return int(value or 0)

    def __repr__(self):
        return f"U{self.size * 8}"


class Raw(Kind):
    """A fixed-size byte string with a text form (hex, uuid, address)."""

    def __init__(self, size: int, name: str, decode, encode):
        self.size, self.fmt, self.name = size, f"{size}s", name
        self.decode, self._encode = decode, encode

    def encode(self, value):
        if not value:
            return bytes(self.size)
        raw = self._encode(value)
        if len(raw) != self.size:
            raise ValueError(f"{self.name} needs {self.size} bytes, got {len(raw)} from {value!r}")
        return raw

    def __repr__(self):
        return self.name


class Skip(Kind):
    """Reserved bytes: consumed, never output, written as zeros."""

    def __init__(self, size: int):
        self.size, self.fmt = size, f"{size}x"

    def __repr__(self):
        return f"SKIP{self.size}"


class Text(Kind):
    """A series-1 string (type 0) block, output as text, or blob (type 10), output as hex."""

    def __init__(self, wire_type: int, name: str, binary: bool = False):
        self.wire_type, self.name, self.binary = wire_type, name, binary

    def __repr__(self):
        return self.name


class Var(Kind):
    """Inline bytes whose length is an earlier field of the same layout (plus ``adjust``):
    text, or hex when ``binary`` (packet data: a frame must never be mistaken for text)."""

    def __init__(self, length_field: str, adjust: int = 0, binary: bool = False):
        self.length_field, self.adjust, self.binary = length_field, adjust, binary

    def __repr__(self):
        extra = (f", {self.adjust}" if self.adjust else "") + (", binary=True" if self.binary else "")
        return f"var({self.length_field!r}{extra})"


class BlockRef(Kind):
    """A nested block. The block type read from the wire picks the layout within ``series``,
    so a newer block version decodes without code changes; ``expected`` is what the tables
    name and what the encoder writes by default."""

    def __init__(self, series: int, expected: int):
        self.series, self.expected = series, expected

    def __repr__(self):
        return f"block({self.series}, {self.expected})"


class ListOf(Kind):
    """``uint32 listType | uint32 listLength (incl. these 8) | items`` of one block kind."""

    def __init__(self, item: BlockRef):
        self.item = item

    def __repr__(self):
        return f"list_of({self.item.series}, {self.item.expected})"


class When(Kind):
    """A value present only when an earlier flag field is non-zero (discovery header IPv6)."""

    def __init__(self, flag_field: str, kind: Kind):
        self.flag_field, self.kind = flag_field, kind

    def __repr__(self):
        return f"when({self.flag_field!r}, {self.kind!r})"


# --- text forms of fixed-size values -------------------------------------------------------
# Connection events repeat the same zones, interfaces, policies and addresses over and over;
# memoising their text forms is the cheapest speed-up the decoder has. Bounded: cleared when full.
_MEMO_LIMIT = 1 << 16
_MISSING = object()


def memoised(convert):
    """``convert`` with its results remembered per argument (bounded: cleared when full)."""
    cache = {}

    def cached(raw, _get=cache.get, _missing=_MISSING):
        text = _get(raw, _missing)
        if text is _missing:
            if len(cache) >= _MEMO_LIMIT:
                cache.clear()
            text = cache[raw] = convert(raw)
        return text

    cached.cache = cache
    return cached


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


def text_value(raw) -> str:
    """Variable text as eNcore renders it: UTF-8 with NULs removed, else lowercase hex."""
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return bytes(raw).hex()
    return text.replace("\x00", "") if "\x00" in text else text


def text_bytes(value) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, (bytes, bytearray)) else str(value).encode("utf-8")


def binary_value(raw) -> str:
    """Binary data (blobs, packets) as lowercase hex, whatever bytes it happens to hold."""
    return bytes(raw).hex()


def binary_bytes(value) -> bytes:
    """The encoder's side of :func:`binary_value`: hex text, or bytes as they are."""
    if value is None:
        return b""
    return bytes(value) if isinstance(value, (bytes, bytearray)) else bytes.fromhex(value)


def value_bytes(kind, value) -> bytes:
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


BLOCK_HEADER = struct.Struct(">II")  # block type, block length (length includes these 8 bytes)
