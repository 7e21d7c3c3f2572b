"""The eStreamer wire protocol, sans I/O: bytes in, messages and bytes out.

Every message is ``uint16 version (1) | uint16 type | uint32 length | body``. A client sends an
Event Stream Request (type 2); with the extended flag the FMC answers Streaming Information
(2051); the client asks for service 6667 with a Streaming Request (2049) naming the
(event version, event code) pairs it wants; the FMC then sends Message Bundles (4002) of Event
Data records and Nulls when idle. The client acknowledges *every* server message — bundles,
Nulls, errors alike — with one Null (and never answers its own timeouts).

No sockets here: :class:`FrameParser` turns arbitrary chunks into messages, :class:`ClientSession`
is the client's side of a session as a state machine (the h11 school), and the builders/parsers
below are shared with the FMC simulator.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

HEADER = struct.Struct(">HHI")
_U32 = struct.Struct(">I")
_U32x2 = struct.Struct(">II")
_U32x4 = struct.Struct(">IIII")
_U16x2 = struct.Struct(">HH")

GENESIS = 0                # since: every event the FMC still has
NOW = 0xFFFFFFFF           # since: only events after the request
EVENT_SERVICE = 6667       # the streaming service that carries events
MAX_MESSAGE = 16 << 20     # larger is garbage or a desynchronised stream, not a message


class MessageType(IntEnum):
    NULL = 0
    ERROR = 1
    EVENT_STREAM_REQUEST = 2
    EVENT_DATA = 4
    STREAMING_REQUEST = 2049
    STREAMING_INFORMATION = 2051
    MESSAGE_BUNDLE = 4002


class RequestFlags(IntFlag):
    PACKET_DATA = 1 << 0
    IMPACT = 1 << 5
    INTRUSION = 1 << 6
    METADATA = 1 << 20
    ARCHIVE_TIMESTAMPS = 1 << 23   # 16-byte record headers carrying the archive timestamp
    EVENT_EXTRA_DATA = 1 << 27
    POLICY = 1 << 29               # legacy; never needed with the extended request
    EXTENDED = 1 << 30             # answer with Streaming Information


class EventCode(IntEnum):
    INTRUSION = 12
    METADATA = 21
    CORRELATION = 31
    DISCOVERY = 61
    CONNECTION = 71
    USER = 91
    MALWARE = 101
    FILE = 111
    IMPACT = 131


# The event version requested per code decides which block versions the FMC sends (connection
# v14 → block 160, v17 → 171/173/174). Each generation reproduces a request real FMCs accepted:
# "6.0" as eNcore 3.5.8 sent it, "6.2" as eNcore 3.8.4/5.1 (user v7: VPN-era user blocks),
# "7.0" as eNcore 5.2.11 (FMC 7 connection, intrusion, file and malware blocks).
EVENT_VERSIONS = {
    "6.0": {12: 9, 21: 4, 31: 9, 61: 11, 71: 14, 91: 4, 101: 7, 111: 6, 131: 2},
    "6.2": {12: 9, 21: 4, 31: 9, 61: 11, 71: 14, 91: 7, 101: 7, 111: 6, 131: 2},
    "7.0": {12: 11, 21: 4, 31: 9, 61: 11, 71: 17, 91: 7, 101: 8, 111: 7, 131: 2},
}
DEFAULT_GENERATION = "6.2"
GENERATIONS = ("7.0", "6.2", "6.0")  # newest first: the order an automatic choice tries them

# Which event codes carry each record family. VPN login/logoff arrive as user (RUA) events.
FAMILY_CODES = {
    "connection": (EventCode.CONNECTION,),
    "intrusion": (EventCode.INTRUSION, EventCode.IMPACT),
    "file": (EventCode.FILE,),
    "malware": (EventCode.MALWARE,),
    "correlation": (EventCode.CORRELATION,),
    "identity": (EventCode.USER,),
    "vpn": (EventCode.USER,),
    "discovery": (EventCode.DISCOVERY,),
}
ALL_FAMILIES = tuple(FAMILY_CODES)


class ProtocolError(Exception):
    """The peer broke the framing or the session rules; the connection cannot continue."""


@dataclass(frozen=True)
class Subscription:
    """What to ask the FMC for. The defaults make eNcore's classic extended request
    (flags 0x48900061) for every record family."""

    families: tuple = ALL_FAMILIES
    packets: bool = True
    extra_data: bool = True
    impact: bool = True
    generation: str = DEFAULT_GENERATION

    def __post_init__(self):
        unknown = set(self.families) - set(FAMILY_CODES)
        if unknown:
            raise ValueError(f"unknown record families {sorted(unknown)}; "
                             f"choose from {', '.join(ALL_FAMILIES)}")
        if self.generation not in EVENT_VERSIONS:
            raise ValueError(f"unknown FMC generation {self.generation!r}; "
                             f"choose from {', '.join(EVENT_VERSIONS)}")

    @property
    def flags(self) -> RequestFlags:
        flags = RequestFlags.EXTENDED | RequestFlags.METADATA | RequestFlags.ARCHIVE_TIMESTAMPS
        if "intrusion" in self.families:
            flags |= RequestFlags.INTRUSION
            if self.packets:
                flags |= RequestFlags.PACKET_DATA
            if self.extra_data:
                flags |= RequestFlags.EVENT_EXTRA_DATA
            if self.impact:
                flags |= RequestFlags.IMPACT
        return flags

    @property
    def events(self) -> list:
        """``(version, code)`` pairs in code order, metadata always included."""
        codes = {EventCode.METADATA}
        for family in self.families:
            codes.update(FAMILY_CODES[family])
        if not self.impact:
            codes.discard(EventCode.IMPACT)
        versions = EVENT_VERSIONS[self.generation]
        return [(versions[code], int(code)) for code in sorted(codes)]


@dataclass(frozen=True)
class Message:
    type: int
    body: bytes = b""


@dataclass(frozen=True)
class Service:
    id: int
    flags: int = 0
    since: int = 0
    events: tuple = ()


@dataclass(frozen=True)
class ErrorMessage:
    code: int
    text: str
    malformed: str = None  # what was wrong with a message whose text length did not match


@dataclass
class Bundle:
    """A Message Bundle's records; ``error`` says why splitting stopped early, if it did."""

    connection_id: int
    sequence: int
    records: list = field(default_factory=list)
    error: str = None
    error_offset: int = None  # where in the bundle body splitting stopped


# --- builders ---------------------------------------------------------------------------------

def pack(message_type: int, body: bytes = b"", version: int = 1) -> bytes:
    return HEADER.pack(version, message_type, len(body)) + body


NULL = pack(MessageType.NULL)


def event_stream_request(since: int, flags: int) -> bytes:
    return pack(MessageType.EVENT_STREAM_REQUEST, _U32x2.pack(since, int(flags)))


def streaming_request(since: int, flags: int, events, service_length=None) -> bytes:
    """Service 6667 request. The service-length field is ambiguous in the protocol; by default
    it is the whole body length, as every eNcore sent it and real FMCs accepted."""
    pairs = b"".join(_U16x2.pack(version, code) for version, code in events) + _U16x2.pack(0, 0)
    length = 16 + len(pairs) if service_length is None else service_length
    body = _U32x4.pack(EVENT_SERVICE, length, int(flags), since) + pairs
    return pack(MessageType.STREAMING_REQUEST, body)


def streaming_information(services) -> bytes:
    body = b"".join(_U32x4.pack(s.id, 8 + 4 * len(s.events), s.flags, s.since)
                    + b"".join(_U16x2.pack(v, c) for v, c in s.events) for s in services)
    return pack(MessageType.STREAMING_INFORMATION, body)


def error_message(code: int, text: str) -> bytes:
    data = text.encode("utf-8") + b"\x00"
    return pack(MessageType.ERROR, struct.pack(">iH", code, len(data)) + data)


def bundle(connection_id: int, sequence: int, records) -> bytes:
    """A Message Bundle; inner Event Data headers carry version 0, as real FMCs write them."""
    parts = [_U32x2.pack(connection_id, sequence)]
    for record in records:
        parts.append(HEADER.pack(0, MessageType.EVENT_DATA, len(record)))
        parts.append(record)
    return pack(MessageType.MESSAGE_BUNDLE, b"".join(parts))


# --- parsers ----------------------------------------------------------------------------------

def parse_event_stream_request(body: bytes):
    """``(since, flags)`` of an Event Stream Request body."""
    if len(body) != 8:
        raise ProtocolError(f"Event Stream Request body must be 8 bytes, got {len(body)}")
    since, flags = _U32x2.unpack(body)
    return since, RequestFlags(flags)


def parse_streaming_information(body: bytes) -> list:
    """The advertised services. Each entry's length counts the bytes after its length field."""
    services, off = [], 0
    while off < len(body):
        if len(body) - off < 8:
            raise ProtocolError(f"Streaming Information entry cut short at offset {off}")
        service_id, length = _U32x2.unpack_from(body, off)
        end = off + 8 + length
        if length < 8 or end > len(body):
            raise ProtocolError(f"Streaming Information entry for service {service_id} "
                                f"has length {length}, {len(body) - off - 8} bytes left")
        flags, since = _U32x2.unpack_from(body, off + 8)
        events = tuple(_U16x2.unpack_from(body, at) for at in range(off + 16, end - 3, 4))
        services.append(Service(service_id, flags, since, events))
        off = end
    return services


def parse_streaming_request(body: bytes):
    """``(service, since, flags, [(version, code), ...])``. Lenient about the service-length
    field (both conventions are in use): the event list runs to the (0, 0) terminator."""
    if len(body) < 20:
        raise ProtocolError(f"Streaming Request body too short ({len(body)} bytes)")
    service, _length, flags, since = _U32x4.unpack_from(body)
    events, off = [], 16
    while True:
        if off + 4 > len(body):
            raise ProtocolError("Streaming Request event list has no (0, 0) terminator")
        version, code = _U16x2.unpack_from(body, off)
        off += 4
        if (version, code) == (0, 0):
            return service, since, RequestFlags(flags), events
        events.append((version, code))


def parse_error(body: bytes) -> ErrorMessage:
    """``int32 code | uint16 length | text``. The FMC says why it refuses us here, so a text
    length that does not match the body (eNcore rejects the message) still gives the code and
    the text the body has, with ``malformed`` saying what was wrong."""
    if len(body) < 4:
        raise ProtocolError(f"Error message body too short for its code ({len(body)} bytes)")
    (code,) = struct.unpack_from(">i", body)
    if len(body) < 6:
        return ErrorMessage(code, "", f"Error message of {len(body)} bytes has no text length")
    (length,) = struct.unpack_from(">H", body, 4)
    text = body[6:].decode("utf-8", errors="replace").replace("\x00", "")
    malformed = None
    if 6 + length != len(body):
        malformed = (f"Error message text length {length} does not match its "
                     f"{len(body) - 6}-byte body")
    return ErrorMessage(code, text, malformed)


def split_bundle(body: bytes) -> Bundle:
    """The record bodies of a Message Bundle. Inner headers are version 0 (real FMCs) or 1,
    type 4. A broken inner frame ends the split; the records before it are kept."""
    if len(body) < 8:
        return Bundle(0, 0, [], f"bundle body too short ({len(body)} bytes)")
    connection_id, sequence = _U32x2.unpack_from(body)
    result, off, end = Bundle(connection_id, sequence), 8, len(body)
    records = result.records
    while off < end:
        if end - off < 8:
            result.error = f"bundle {sequence}: {end - off} stray bytes at offset {off}"
            result.error_offset = off
            break
        version, message_type, length = HEADER.unpack_from(body, off)
        if message_type != MessageType.EVENT_DATA or version > 1:
            result.error = (f"bundle {sequence}: inner message at offset {off} has version "
                            f"{version}, type {message_type} (expected version 0 or 1, type 4)")
            result.error_offset = off
            break
        if off + 8 + length > end:
            result.error = (f"bundle {sequence}: inner message at offset {off} declares "
                            f"{length} bytes, {end - off - 8} left")
            result.error_offset = off
            break
        records.append(body[off + 8:off + 8 + length])
        off += 8 + length
    return result


class FrameParser:
    """Whole messages out of a byte stream fed in arbitrary chunks."""

    def __init__(self, max_length: int = MAX_MESSAGE):
        self.max_length = max_length
        self._buffer = bytearray()
        self.offset = 0  # stream offset of the buffer start, for error messages
        self.error = None  # the ProtocolError the stream broke with, once it has

    def feed(self, data: bytes) -> list:
        """The messages completed by ``data``. A broken header ends the stream: the messages
        before it are still returned (they were whole), :attr:`error` says why it broke, and
        every later call raises it."""
        if self.error is not None:
            raise self.error
        buffer = self._buffer
        buffer += data
        messages, off, size = [], 0, len(buffer)
        while size - off >= 8:
            version, message_type, length = HEADER.unpack_from(buffer, off)
            error = None
            if version != 1:
                error = ProtocolError(f"message header version {version} at stream offset "
                                      f"{self.offset + off} (expected 1): the stream is out of step")
            elif length > self.max_length:
                error = ProtocolError(f"message type {message_type} at stream offset "
                                      f"{self.offset + off} declares {length} bytes "
                                      f"(limit {self.max_length})")
            if error is not None:
                self.error = error
                if not messages:
                    raise error
                break
            if size - off - 8 < length:
                break
            messages.append(Message(message_type, bytes(buffer[off + 8:off + 8 + length])))
            off += 8 + length
        if off:
            del buffer[:off]
            self.offset += off
        return messages

    @property
    def pending(self) -> int:
        """Bytes of a message not yet complete."""
        return len(self._buffer)


# --- the client's side of a session -----------------------------------------------------------

@dataclass(frozen=True)
class StreamStarted:
    services: list


@dataclass(frozen=True)
class Records:
    """Record bodies from one bundle (or one Event Data message: ``sequence`` None). When the
    bundle is damaged, ``error`` says how and ``rest`` holds its bytes from the damage on."""

    bodies: list
    sequence: int = None
    error: str = None
    rest: bytes = b""


@dataclass(frozen=True)
class KeepAlive:
    pass


@dataclass(frozen=True)
class ServerError:
    code: int
    text: str
    malformed: str = None


@dataclass(frozen=True)
class StreamBroken:
    """The byte stream broke after the messages before this event (their events are good)."""
    reason: str


@dataclass(frozen=True)
class Unexpected:
    type: int
    size: int


class ClientSession:
    """Client side of one eStreamer session: feed it received bytes, send what it queues."""

    def __init__(self, subscription: Subscription = Subscription(), since: int = GENESIS):
        self.subscription, self.since = subscription, since
        self.state = "idle"          # idle → requested → streaming
        self._parser = FrameParser()
        self._outgoing = bytearray()

    def start(self):
        if self.state != "idle":
            raise ProtocolError("session already started")
        self._outgoing += event_stream_request(self.since, self.subscription.flags)
        self.state = "requested"

    def data_to_send(self) -> bytes:
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def receive_data(self, data: bytes) -> list:
        """Events of the messages ``data`` completes. When the stream breaks after whole
        messages, their events come first and :class:`StreamBroken` last; a stream that breaks
        before any raises :class:`ProtocolError`."""
        events = []
        for message in self._parser.feed(data):
            events.append(self._handle(message))
            self._outgoing += NULL  # one acknowledgement per server message, Nulls included
        if self._parser.error is not None:
            events.append(StreamBroken(str(self._parser.error)))
        return events

    def _handle(self, message: Message):
        kind = message.type
        if kind == MessageType.MESSAGE_BUNDLE:
            split = split_bundle(message.body)
            if split.error is None:
                return Records(split.records, split.sequence)
            rest = message.body[split.error_offset or 0:]
            return Records(split.records, split.sequence, split.error, rest)
        if kind == MessageType.NULL:
            return KeepAlive()
        if kind == MessageType.EVENT_DATA:
            return Records([message.body])
        if kind == MessageType.STREAMING_INFORMATION:
            services = parse_streaming_information(message.body)
            if not any(s.id == EVENT_SERVICE for s in services):
                raise ProtocolError("the FMC offered services "
                                    f"{[s.id for s in services]} but not the event service "
                                    f"{EVENT_SERVICE}")
            self._outgoing += streaming_request(self.since, self.subscription.flags,
                                                self.subscription.events)
            self.state = "streaming"
            return StreamStarted(services)
        if kind == MessageType.ERROR:
            error = parse_error(message.body)
            return ServerError(error.code, error.text, error.malformed)
        return Unexpected(kind, len(message.body))
