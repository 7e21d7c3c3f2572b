"""Syslog transport for the command line's CEF lines.

    target = parse_target("tcp://siem.example.com:514")
    transport = open_transport(target, stop)          # TcpTransport or UdpTransport
    header = HEADERS["rfc5424"]()                     # or "rfc3164", the header eNcore wrote
    transport.add(header.prefix() + cef_bytes)        # then transport.flush()

UDP (RFC 5426): one message per datagram. TCP (RFC 6587 §3.4.1): octet-counted framing,
``<length> <message>``, so a message may hold any byte. Over TCP the transport reconnects with
backoff and blocks while the receiver does not read: the command line's sink blocks, the client
stops reading the FMC, and TCP slows the FMC down — memory stays bounded. ``flush()`` returns once
every message was handed to the socket; the client moves its bookmark only after that. Plain TCP
syslog has no acknowledgements: what the kernel had accepted on a connection that then broke
cannot be told apart from what arrived. A message cut by a broken connection is sent again
whole on the next one.

Messages are ``<13>`` (facility user, severity notice, as eNcore sent them). RFC 5424 headers
carry UTC time with milliseconds, this host's name, ``estreamer`` and the process id; the
message is MSG-ANY (no byte-order mark: CEF receivers look for ``CEF:`` at its start).
"""
from __future__ import annotations

import errno
import logging
import os
import random
import select
import socket
import threading
import time
from typing import NamedTuple, Optional
from urllib.parse import urlsplit

log = logging.getLogger("estreamer.syslog")

PRI = "<13>"  # facility user (1) * 8 + severity notice (5)
APP_NAME = "estreamer"
MIN_MESSAGE_BYTES = 480      # RFC 5424 §6.1: every receiver must accept this much
MAX_UDP_MESSAGE_BYTES = 65507  # the largest UDP payload over IPv4
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DeliveryError(Exception):
    """The stream stopped while messages could not be handed to the syslog receiver."""


class SyslogTarget(NamedTuple):
    protocol: str  # "tcp" or "udp"
    host: str
    port: int

    def __str__(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol}://{host}:{self.port}"


def parse_target(text: str) -> SyslogTarget:
    """``udp://HOST:PORT`` or ``tcp://HOST:PORT`` (IPv6 literals in brackets)."""
    parts = urlsplit(text)
    if parts.scheme not in ("udp", "tcp") or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"{text!r}: expected udp://HOST:PORT or tcp://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535") from None
    if not parts.hostname or not port:
        raise ValueError(f"{text!r}: name the receiver's host and port, e.g. "
                         f"{parts.scheme}://siem.example.com:514")
    return SyslogTarget(parts.scheme, parts.hostname, port)


def _hostname() -> str:
    """This host's name as a syslog HOSTNAME: printable ASCII without spaces."""
    name = "".join(c for c in socket.gethostname() if 33 <= ord(c) <= 126)
    return name[:255] or "-"


class Rfc5424Header:
    """``<13>1 2024-05-01T12:00:00.123Z host estreamer 4242 - - `` (RFC 5424 §6)."""

    def __init__(self, hostname: Optional[str] = None, clock=time.time):
        self.clock = clock
        self.rest = f" {hostname or _hostname()} {APP_NAME} {os.getpid()} - - ".encode("ascii")

    def prefix(self) -> bytes:
        now = self.clock()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        return f"{PRI}1 {stamp}.{int(now * 1000) % 1000:03d}Z".encode("ascii") + self.rest


class Rfc3164Header:
    """``<13>May  1 12:00:00 host `` (RFC 3164 §4.1.2: local time, English month, the day
    padded with a space), then the CEF line as eNcore sent it."""

    def __init__(self, hostname: Optional[str] = None, clock=time.time):
        self.clock = clock
        self.rest = f" {hostname or _hostname()} ".encode("ascii")

    def prefix(self) -> bytes:
        now = time.localtime(self.clock())
        return (f"{PRI}{_MONTHS[now.tm_mon - 1]} {now.tm_mday:2d} "
                f"{now.tm_hour:02d}:{now.tm_min:02d}:{now.tm_sec:02d}").encode("ascii") + self.rest


HEADERS = {"rfc5424": Rfc5424Header, "rfc3164": Rfc3164Header}


class UdpTransport:
    """One datagram per message. UDP cannot push back: a receiver that is down or too slow loses
    messages (counted in ``errors``, logged at most once a minute)."""

    def __init__(self, target: SyslogTarget, stop: Optional[threading.Event] = None):
        self.target = target
        self.sent = self.errors = 0
        self._last_warning = -60.0
        family, kind, proto, _, address = socket.getaddrinfo(
            target.host, target.port, 0, socket.SOCK_DGRAM)[0]
        self._sock = socket.socket(family, kind, proto)
        self._sock.connect(address)

    def add(self, message: bytes) -> None:
        try:
            self._sock.send(message)
            self.sent += 1
        except OSError as e:  # e.g. ECONNREFUSED: the last datagram found no listener
            self.errors += 1
            if time.monotonic() - self._last_warning >= 60:
                self._last_warning = time.monotonic()
                log.warning("syslog receiver %s: %s (%d messages not sent so far)", self.target,
                            e.strerror or e, self.errors)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._sock.close()


class TcpTransport:
    """Octet-counted messages over one TCP connection, reconnecting until ``stop``.

    ``add`` frames and buffers; past ``buffer_limit`` bytes it sends (blocking while the receiver
    does not read). When ``stop`` is set, sending gives up after ``linger`` seconds without
    the receiver taking what is left, and raises :class:`DeliveryError` (``linger`` is shorter
    than the command line's stop grace, so the stream ends with this precise error).
    """

    def __init__(self, target: SyslogTarget, stop: Optional[threading.Event] = None,
                 buffer_limit: int = 1 << 16, connect_timeout: float = 5.0,
                 backoff_min: float = 0.5, backoff_max: float = 30.0, linger: float = 2.0,
                 poll: float = 0.5):
        self.target, self.stop = target, stop or threading.Event()
        self.buffer_limit, self.connect_timeout = buffer_limit, connect_timeout
        self.backoff_min, self.backoff_max = backoff_min, backoff_max
        self.linger, self.poll = linger, poll
        self.sent = self.connects = 0
        self.buffered = 0                 # bytes waiting in _pending
        self._pending = []                # framed messages not yet handed to the socket
        self._sock = None
        self._give_up_at = None
        self._down_since = None

    # --- the sink's side ------------------------------------------------------------------

    def add(self, message: bytes) -> None:
        framed = b"%d %b" % (len(message), message)
        self._pending.append(framed)
        self.buffered += len(framed)
        if self.buffered >= self.buffer_limit:
            self.flush()

    def flush(self) -> None:
        """Returns once every message added so far is in the socket's hands."""
        while self._pending:
            sock = self._connected()
            data = b"".join(self._pending)
            sent = self._send(sock, data)
            self._settle(sent)
            if sent < len(data):  # the connection broke: again, from the cut message
                self._disconnect()

    def close(self) -> None:
        self._disconnect()

    # --- sending --------------------------------------------------------------------------

    def _send(self, sock, data: bytes) -> int:
        """Bytes of ``data`` the socket took: all of them, or fewer when the connection broke."""
        view, sent = memoryview(data), 0
        while sent < len(data):
            try:
                sent += sock.send(view[sent:])
                continue
            except socket.timeout:  # the receiver is not reading: wait, that is backpressure
                self._check_stop(len(self._pending))
                continue
            except OSError as e:
                self._lost(e)
                return sent
        return sent

    def _settle(self, sent: int) -> None:
        """Drop the messages that went out whole."""
        done = 0
        for framed in self._pending:
            if sent < len(framed):
                break
            sent -= len(framed)
            done += 1
        if done:
            self.buffered -= sum(len(framed) for framed in self._pending[:done])
            del self._pending[:done]
            self.sent += done

    def _check_stop(self, waiting: int) -> None:
        if not self.stop.is_set():
            return
        now = time.monotonic()
        if self._give_up_at is None:
            self._give_up_at = now + self.linger
        if now >= self._give_up_at:
            raise DeliveryError(
                f"syslog receiver {self.target} took no more messages within {self.linger:g} s "
                f"of the stop: {waiting} messages not sent; the bookmark stays before them, so "
                f"the next run sends them again")

    # --- the connection -------------------------------------------------------------------

    def _connected(self):
        if self._sock is not None and _peer_closed(self._sock):
            self._lost(ConnectionResetError(errno.ECONNRESET, "the receiver closed the connection"))
            self._disconnect()
        delay = self.backoff_min
        while self._sock is None:
            try:
                sock = socket.create_connection((self.target.host, self.target.port),
                                                self.connect_timeout)
            except OSError as e:
                self._lost(e)
                wait = delay * random.uniform(0.5, 1.0)
                until = time.monotonic() + wait
                while time.monotonic() < until:
                    self._check_stop(len(self._pending))
                    self.stop.wait(min(self.poll, max(until - time.monotonic(), 0)))
                delay = min(delay * 2, self.backoff_max)
                continue
            sock.settimeout(self.poll)
            self._sock = sock
            self.connects += 1
            if self._down_since is not None:
                log.info("syslog receiver %s: connected again after %.0f s", self.target,
                         time.monotonic() - self._down_since)
                self._down_since = None
            else:
                log.info("syslog receiver %s: connected", self.target)
        return self._sock

    def _lost(self, error: OSError) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("syslog receiver %s: %s; retrying (the FMC is not read meanwhile)",
                        self.target, error.strerror or error)

    def _disconnect(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None


def _peer_closed(sock) -> bool:
    """A syslog receiver never sends: a readable socket means it closed (or reset) the
    connection. Checked before each batch, so a restarted receiver costs no batch."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def open_transport(target: SyslogTarget, stop: Optional[threading.Event] = None, **options):
    if target.protocol == "udp":
        return UdpTransport(target, stop)
    return TcpTransport(target, stop, **options)
