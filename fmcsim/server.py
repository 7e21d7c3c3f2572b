"""The FMC's eStreamer service: a TLS server on 127.0.0.1 speaking the session of docs/protocol.md.

One thread per connection. Sends block (no unbounded buffering: a client that stops reading
stops the simulator's sender), at most ``window`` messages go unacknowledged, and Nulls keep an
idle session alive. All protocol bytes come from :mod:`estreamer.wire`.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field

from estreamer.wire import (
    EVENT_VERSIONS,
    HEADER,
    NULL,
    EventCode,
    FrameParser,
    MessageType,
    ProtocolError,
    RequestFlags,
    Service,
    error_message,
    iter_frames,
    pack,
    parse_event_stream_request,
    parse_streaming_request,
    streaming_information,
)

from . import pki as pki_module
from .faults import FaultBook
from .traffic import FAMILIES, START_TIME, Archive, Stream

log = logging.getLogger("fmcsim")

SERVICES = (Service(5001), Service(5000), Service(6667))  # as a real FMC advertises them
BUNDLE_HEADER = struct.Struct(">HHIII")  # message header + connection id + sequence
REQUEST_TIMEOUT = 30.0


@dataclass
class Options:
    pki: str
    port: int = 0
    tls: str = "any"
    families: tuple = FAMILIES
    records: int = 1000
    per_second: int = 5
    start_time: int = START_TIME
    archive_skew: int = 0  # seconds added to every archive timestamp (an HA pair's other FMC)
    live: float = 0.0
    replay: str = None
    faults: list = field(default_factory=list)
    manifest: str = None
    ip_check: bool = True
    keepalive: float = 2.0
    bundle_bytes: int = 8192
    window: int = 8
    server_cert: str = "server"  # which of pki.SERVER_CERTIFICATES the simulator presents
    max_generation: str = None   # an older FMC: refuses event versions newer than this one's
    refusal: str = "close"       # how it refuses them: "close" the connection or an "error"


class Closed(Exception):
    """The session is over (client gone, fault, restart or shutdown)."""


def _context(options: Options) -> ssl.SSLContext:
    paths = pki_module.load(options.pki)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*paths.server_files(options.server_cert))
    context.load_verify_locations(paths.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    versions = {"1.2": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2),
                "1.3": (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3),
                "any": (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)}
    context.minimum_version, context.maximum_version = versions[options.tls]
    return context


class Simulator:
    def __init__(self, options: Options):
        self.options = options
        self.faults = FaultBook(options.faults)
        self.archive = Archive(options.records, options.families, options.per_second,
                               options.start_time, options.live, faults=self.faults.records(),
                               skew=options.archive_skew)
        if options.manifest:
            self.archive.write_manifest(options.manifest)
        self.context = _context(options)
        self.sent = 0                       # event records sent, over all connections
        self._lock = threading.Lock()
        self._sessions = set()
        self._stop = threading.Event()
        self._boot = int(time.time())       # connection ids count from here, like FMC's clock
        self._connections = 0
        self.listener = socket.create_server(("127.0.0.1", options.port))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]

    def serve_forever(self):
        try:
            while not self._stop.is_set():
                try:
                    raw, address = self.listener.accept()
                    # bundles are smaller than a loopback segment: without this Nagle holds each
                    # one until the previous is acknowledged, and the stream crawls
                    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except socket.timeout:
                    continue
                except OSError:
                    break
                session = Session(self, raw, address)
                threading.Thread(target=session.run, name=f"session-{address[1]}",
                                 daemon=True).start()
        finally:
            self.listener.close()
            for session in list(self._sessions):
                session.kill()

    def stop(self):
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def connection_id(self) -> int:
        with self._lock:
            self._connections += 1
            return self._boot + self._connections - 1

    def count(self, events: int) -> int:
        with self._lock:
            self.sent += events
            return self.sent

    def restart(self):
        """What a restarting FMC does to its clients: every connection drops; connection ids
        and bundle sequences start over."""
        with self._lock:
            self._boot, self._connections = int(time.time()), 0
        for session in list(self._sessions):
            session.kill()


class Session:
    def __init__(self, simulator: Simulator, raw: socket.socket, address):
        self.sim, self.raw, self.address = simulator, raw, address
        self.peer = f"{address[0]}:{address[1]}"
        self.tls = None
        self.parser = FrameParser()
        self.inbox = []
        self.outstanding = 0    # messages sent and not yet acknowledged
        self.last_send = time.monotonic()
        self._killed = False

    # --- plumbing ----------------------------------------------------------------------------
    def kill(self):
        self._killed = True
        try:  # after the handshake the TLS socket owns the descriptor
            (self.tls or self.raw).shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _check(self):
        if self._killed or self.sim.stopping:
            raise Closed("connection closed by the simulator")

    def send(self, data: bytes, messages: int = 1):
        self._check()
        self.tls.settimeout(None)  # blocking: a client that does not read holds us here
        try:
            self.tls.sendall(data)
        except (OSError, ValueError) as exc:
            raise Closed(f"send failed: {exc}") from None
        self.outstanding += messages
        self.last_send = time.monotonic()

    def pump(self, timeout: float):
        """Read what the client sent within ``timeout``: acks (Nulls) and requests."""
        self._check()
        self.tls.settimeout(timeout)
        try:
            data = self.tls.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return
        except (OSError, ValueError) as exc:
            raise Closed(f"client connection failed: {exc}") from None
        if not data:
            raise Closed("client closed the connection")
        try:
            messages = self.parser.feed(data)
        except ProtocolError as exc:
            raise Closed(f"client sent garbage: {exc}") from None
        for message in messages:
            if message.type == MessageType.NULL:
                self.outstanding = max(0, self.outstanding - 1)
            else:
                self.inbox.append(message)

    def expect(self, message_type: int, what: str):
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while not self.inbox:
            if time.monotonic() > deadline:
                raise Closed(f"no {what} within {REQUEST_TIMEOUT:.0f} s")
            self.pump(0.5)
        message = self.inbox.pop(0)
        if message.type != message_type:
            raise Closed(f"expected {what} (type {message_type}), got type {message.type}")
        return message

    def idle(self, seconds: float, keepalives: bool = True):
        """Wait ``seconds`` reading acks, sending a Null whenever the line was quiet for the
        keep-alive interval."""
        end = time.monotonic() + seconds
        keepalive = self.sim.options.keepalive
        while True:
            now = time.monotonic()
            if now >= end:
                return
            if keepalives and now - self.last_send >= keepalive:
                self.send(NULL)
                continue
            wait = end - now
            if keepalives:
                wait = min(wait, self.last_send + keepalive - now)
            self.pump(max(0.01, min(wait, 0.25)))

    # --- the session --------------------------------------------------------------------------
    def run(self):
        sim = self.sim
        sim._sessions.add(self)
        reason = "done"
        try:
            self._handshake()
            self._serve()
        except Closed as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001  (a simulator bug must not kill the server)
            reason = f"internal error: {exc!r}"
            log.exception("session %s failed", self.peer)
        finally:
            sim._sessions.discard(self)
            for sock in (self.tls, self.raw):
                try:
                    if sock is not None:
                        sock.close()
                except OSError:
                    pass
            log.info("disconnect %s: %s", self.peer, reason)

    def _handshake(self):
        sim = self.sim
        self.raw.settimeout(10)
        try:
            self.tls = sim.context.wrap_socket(self.raw, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            raise Closed(f"TLS handshake failed: {exc}") from None
        der = self.tls.getpeercert(binary_form=True)
        ips = pki_module.certificate_ips(der) if der else []
        log.info("connection from %s (%s, client certificate for %s)", self.peer,
                 self.tls.version(), ", ".join(ips) or "no IP")
        if sim.faults.take("refuse-cert"):
            log.info("fault refuse-cert: closing %s after the handshake", self.peer)
            raise Closed("certificate refused (fault)")
        if sim.options.ip_check and self.address[0] not in ips:
            message = (f"client certificate is for {', '.join(ips) or 'no IP address'} "
                       f"but the connection comes from {self.address[0]}")
            log.info("%s", message)
            raise Closed("IP mismatch")

    def _serve(self):
        sim = self.sim
        request = self.expect(MessageType.EVENT_STREAM_REQUEST, "Event Stream Request")
        try:
            since, flags = parse_event_stream_request(request.body)
        except ProtocolError as exc:
            raise Closed(f"bad request: {exc}") from None
        log.info("request from %s: since %d, flags 0x%08x", self.peer, since, flags)
        if sim.faults.take("close-after-request"):
            log.info("fault close-after-request: closing %s", self.peer)
            raise Closed("closed after the request (fault)")
        extended = bool(flags & RequestFlags.EXTENDED)
        if extended:
            if sim.options.replay:
                with open(os.path.join(sim.options.replay, "streaming-info.bin"), "rb") as f:
                    self.send(f.read())
            else:
                self.send(streaming_information(SERVICES))
            message = self.expect(MessageType.STREAMING_REQUEST, "Streaming Request")
            try:
                service, since, flags, events = parse_streaming_request(message.body)
            except ProtocolError as exc:
                raise Closed(f"bad streaming request: {exc}") from None
            log.info("streaming request from %s: service %d, since %d, flags 0x%08x, "
                     "events %s", self.peer, service, since, flags,
                     " ".join(f"{c}v{v}" for v, c in events))
            self._refuse_newer(events)
        else:  # legacy request: the flags alone say what to send
            events = [(4, EventCode.METADATA)] if flags & RequestFlags.METADATA else []
            if flags & RequestFlags.INTRUSION:
                events.append((9, EventCode.INTRUSION))
            if flags & RequestFlags.IMPACT:
                events.append((2, EventCode.IMPACT))
        if sim.options.replay:
            self._replay()
        elif sim.faults.take("silent"):
            log.info("fault silent: %s gets keep-alives only", self.peer)
            while True:
                self.idle(3600)
        else:
            self._stream(Stream(sim.archive, since, flags, events), bundled=extended)

    def _refuse_newer(self, events):
        """An FMC older than the request refuses it right after the Streaming Request: it
        closes the connection (or, with ``--refusal error``, answers an Error first)."""
        if self.sim.faults.take("close-after-streaming-request"):
            log.info("fault close-after-streaming-request: closing %s", self.peer)
            self.idle(0.2, keepalives=False)
            raise Closed("closed after the Streaming Request (fault)")
        newest = self.sim.options.max_generation
        if not newest:
            return
        known = EVENT_VERSIONS[newest]
        newer = [(version, code) for version, code in events
                 if code in known and version > known[code]]
        if not newer:
            return
        version, code = newer[0]
        text = (f"event version {version} of event type {code} is not supported "
                f"(newest: {known[code]})")
        log.info("%s asked for %s; an FMC of generation %s refuses it", self.peer,
                 " ".join(f"{c}v{v}" for v, c in newer), newest)
        if self.sim.options.refusal == "error":
            self.send(error_message(-1, text))
        self.idle(0.2, keepalives=False)  # read the client's acks, so the close is a clean one
        raise Closed(f"refused: {text}")

    def _replay(self):
        directory = self.sim.options.replay
        names = sorted((n for n in os.listdir(directory) if n.startswith("bundle-")
                        and n.endswith(".bin")), key=lambda n: int(n[7:-4]))
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                self._window()
                self.send(f.read())
        log.info("replayed %d bundles to %s", len(names), self.peer)
        while True:
            self.idle(3600)

    def _window(self):
        # return as soon as an ack frees a slot (idle() would sit out its whole period)
        while self.outstanding >= self.sim.options.window:
            self.pump(0.25)

    def _stream(self, stream: Stream, bundled: bool):
        sim, options = self.sim, self.sim.options
        log.info("streaming to %s: families %s from archive entry %d", self.peer,
                 ",".join(stream.families) or "none", stream.next)
        connection_id, sequence = sim.connection_id(), 0
        while True:
            self._check()
            fault = sim.faults.due(sim.sent)
            if fault is not None:
                sequence += self._fault(fault, stream, connection_id, sequence + 1)
                continue
            if not stream.pending():
                self.idle(0.25)
                continue
            self._window()
            buf = bytearray(BUNDLE_HEADER.size)
            added = stream.fill(buf, options.bundle_bytes, sim.faults.room(sim.sent))
            if len(buf) == BUNDLE_HEADER.size:
                continue
            if bundled:
                sequence += 1
                BUNDLE_HEADER.pack_into(buf, 0, 1, MessageType.MESSAGE_BUNDLE, len(buf) - 8,
                                        connection_id, sequence)
                self.send(buf)
            else:
                self.send(*_standalone(buf))
            sim.count(added)

    def _fault(self, fault, stream, connection_id, sequence) -> int:
        """Inject ``fault``; returns the number of bundles it sent when streaming goes on."""
        sim = self.sim
        log.info("fault %s on %s after %d events", fault, self.peer, sim.sent)
        if fault.kind == "drop":
            buf = bytearray(BUNDLE_HEADER.size)
            stream.fill(buf, sim.options.bundle_bytes, 1 << 62)
            BUNDLE_HEADER.pack_into(buf, 0, 1, MessageType.MESSAGE_BUNDLE, len(buf) - 8,
                                    connection_id, sequence)
            self.send(bytes(buf[:len(buf) // 2]))
            raise Closed("dropped in the middle of a bundle (fault)")
        if fault.kind == "stall":
            end = time.monotonic() + fault.seconds
            while time.monotonic() < end:
                self._check()
                time.sleep(min(0.1, max(0.0, end - time.monotonic())))
            self.last_send = time.monotonic()
            return 0
        if fault.kind == "flood":
            body = BUNDLE_HEADER.pack(1, MessageType.MESSAGE_BUNDLE, 8 + 8 * fault.count,
                                      connection_id, sequence)
            self._window()
            self.send(body + HEADER.pack(0, MessageType.EVENT_DATA, 0) * fault.count)
            return 1
        if fault.kind == "corrupt-bundle":
            buf = bytearray(BUNDLE_HEADER.size)
            added = stream.fill(buf, sim.options.bundle_bytes, 1 << 62)
            inner = [at for at, _, _, _ in iter_frames(buf, BUNDLE_HEADER.size)]
            if not inner:
                return 0
            struct.pack_into(">I", buf, inner[len(inner) // 2] + 4, 0xFFFFFFF0)
            BUNDLE_HEADER.pack_into(buf, 0, 1, MessageType.MESSAGE_BUNDLE, len(buf) - 8,
                                    connection_id, sequence)
            self._window()
            self.send(buf)
            sim.count(added)
            return 1
        if fault.kind == "garbage":
            noise = bytes(random.getrandbits(8) for _ in range(60))
            self.send(HEADER.pack(7, 0xBEEF, 0x7FFFFFF0)[:4] + noise)
            while True:  # keep the line open until the client gives up
                self.pump(0.25)
        if fault.kind == "error":
            self.send(error_message(fault.code, fault.text))
            raise Closed(f"sent error {fault.code} (fault)")
        if fault.kind == "bad-error":
            text = fault.text.encode("utf-8") + b"\x00"
            self.send(pack(MessageType.ERROR, struct.pack(">iH", fault.code, len(text) + 1) + text))
            raise Closed(f"sent a malformed error {fault.code} (fault)")
        if fault.kind == "restart":
            sim.restart()
            raise Closed("simulated FMC restart (fault)")


def _standalone(buf: bytearray):
    """A bundle's inner messages as standalone Event Data messages (legacy requests)."""
    out, count = bytearray(), 0
    for off, _, kind, length in iter_frames(buf, BUNDLE_HEADER.size):
        out += pack(kind, bytes(buf[off + 8:off + 8 + length]))
        count += 1
    return bytes(out), count
