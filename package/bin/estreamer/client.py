"""The streaming client: one FMC, one long-lived session at a time, reconnecting until stopped.

Records flow to a *sink* (``write(record)``, ``flush()``): JSON lines for the command line, the
modular-input XML stream in Splunk. Nothing is queued here: a sink that blocks stops the socket
reads, the kernel buffers fill, and TCP slows the FMC down — memory stays flat however slow the
sink. The bookmark moves only after ``sink.flush()`` has returned, and a resumed stream drops
what was already delivered (:mod:`.bookmark`). The client flushes every ``batch_size`` records,
inside a bundle too (one bundle can hold two million), and after ``flush_interval`` seconds.
Each flush's event identities go to the journal first (:mod:`.journal`), and a resume also drops
what the journal says was written (:mod:`.resume`).

An FMC high-availability pair (``ClientConfig.standby``) is one input: the client streams from
the primary and, when it stays unreachable for the grace period, from the standby
(:mod:`.failover` decides which); on the other FMC it resumes by event identity, so nothing is
lost or written twice across the switch.

Only trustworthy times move the bookmark. A record stamped later than this host's clock plus
``future_tolerance`` (an FMC clock set ahead, a flipped bit) is delivered and counted but leaves
the bookmark where it is: a bookmark in the future would make every present-day record look
"already delivered" after the next resume. A malformed record supplies no time either. A stored
bookmark found in the future at start is reported and replaced by now minus the tolerance.
"""
from __future__ import annotations

import logging
import math
import random
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Optional, Union

from .bookmark import Bookmark, Resume
from .connection import (
    ConnectError,
    IdentityError,
    closed_after_request_hint,
    connect,
    load_identity,
    local_address,
    tls_failure,
)
from .decoder import RecordDecoder, record_header
from .failover import PRIMARY, STANDBY, FailoverPolicy
from .generations import AUTO, MemoryGenerationStore, candidates
from .identity import Identities
from .journal import MemoryJournal
from .layout import ParseError
from .metadata import MetadataCache
from .pinning import CertificateChanged, check_pinned
from .ratelimit import RateLimitedLog, error_kind, report_suppressed
from .record import Record
from .resume import plan as resume_plan
from .wire import (
    GENESIS,
    NOW,
    ClientSession,
    KeepAlive,
    ProtocolError,
    Records,
    ServerError,
    SessionState,
    StreamBroken,
    StreamStarted,
    Subscription,
    Unexpected,
)

log = logging.getLogger("estreamer.client")

RECV_BYTES = 1 << 18
# Characters a buffering sink may hold (its ``buffered``) before the client flushes it, through
# its own flush: about 1 MiB of event text, whatever the batch size
SINK_BUFFER = 1 << 20


@dataclass(repr=False)
class Standby:
    """The standby FMC of an HA pair; its PKCS12 only where the site issued one for it."""
    host: str
    port: int = 8302
    pkcs12: bytes = b""              # b"": the primary's (the pair replicates the client)
    password: str = ""
    server_cert_sha256: str = ""     # the certificate pinned for the standby

    def __repr__(self):
        return f"Standby(host={self.host!r}, port={self.port})"


@dataclass(repr=False)
class ClientConfig:
    host: str
    port: int = 8302
    pkcs12: bytes = b""
    password: str = ""
    verify: bool = True
    server_cert_sha256: str = ""     # the certificate pinned for ``host`` ("" = none; see .pinning)
    connect_timeout: float = 10.0
    response_timeout: float = 30.0   # FMCs send keep-alives when idle; silence this long = dead link
    subscription: Subscription = field(default_factory=Subscription)
    start: Union[str, int] = "genesis"  # without a bookmark: "genesis", "now" or an epoch second
    flush_interval: float = 1.0      # the longest a record waits in the sink before a flush
    batch_size: int = 500            # or flush as soon as this many records are waiting
    backoff_min: float = 1.0
    backoff_max: float = 60.0
    future_tolerance: float = 86400.0  # records stamped later than now + this never move the bookmark
    # "auto": the newest event generation the FMC accepts, remembered per FMC server (see
    # .generations); "7.0", "6.2", "6.0": that one only; None: the subscription's, as given
    generation: Optional[str] = None
    standby: Optional[Standby] = None  # the other FMC of an HA pair
    failover_after: float = 60.0     # the primary's grace period before the standby is tried
    failover_margin: float = 300.0   # on the other FMC, resume this long before the bookmark

    def __repr__(self):  # never the PKCS12 or its password
        return (f"ClientConfig(host={self.host!r}, port={self.port}, verify={self.verify}, "
                f"families={self.subscription.families!r}, start={self.start!r}, "
                f"standby={self.standby!r})")

    @property
    def journal_window(self) -> float:
        """Seconds of archive time the identity journal keeps: twice the margin (see
        :mod:`.journal`)."""
        return 2 * self.failover_margin

    @property
    def start_timestamp(self) -> int:
        if self.start == "now":
            return NOW
        if self.start == "genesis":
            return GENESIS
        return int(self.start)


class Stats:
    """What the monitor line and the health events report."""

    def __init__(self):
        self.started = time.monotonic()
        self.connected = False
        self.records = 0          # records received and decoded (metadata included)
        self.delivered = 0        # records handed to the sink (duplicates of a resume excluded;
                                  # what the sink wrote of them is the sink's to count)
        self.duplicates = 0       # records a resume re-sent and we dropped
        self.reconnects = 0
        self.parse_errors = 0
        self.unknown_types = 0
        self.unknown_blocks = 0
        self.bookmark: Optional[Bookmark] = None
        self.last_error: Optional[str] = None
        self.client_cert_not_after: Optional[float] = None  # epoch seconds, once loaded
        self.future_records = 0   # records stamped beyond now + future_tolerance
        self.generation: Optional[str] = None  # the event generation asked for last
        self.active_fmc: Optional[str] = None  # host:port of the FMC that served last
        self.failovers = 0        # switches between the FMCs of an HA pair

    def as_dict(self) -> dict:
        return {"connected": self.connected, "records": self.records,
                "delivered": self.delivered, "duplicates": self.duplicates,
                "reconnects": self.reconnects, "parse_errors": self.parse_errors,
                "unknown_types": self.unknown_types, "unknown_blocks": self.unknown_blocks,
                "bookmark": list(self.bookmark) if self.bookmark else None,
                "last_error": self.last_error,
                "client_cert_days_left": None if self.client_cert_not_after is None else
                math.floor((self.client_cert_not_after - time.time()) / 86400),
                "future_records": self.future_records, "duplicates_dropped": self.duplicates,
                "generation": self.generation,
                "active_fmc": self.active_fmc, "failovers": self.failovers}


def fmc_label(host: str, port: int) -> str:
    """``host:port`` as an admin writes it (IPv6 in brackets): names an FMC in logs, health
    events and the bookmark."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _Fmc:
    """One FMC of the input: where it is, how to reach it, its TLS context once made."""

    def __init__(self, role, host, port, pkcs12, password, pin):
        self.role, self.host, self.port = role, host, port
        self.pkcs12, self.password, self.pin = pkcs12, password, pin
        self.label = fmc_label(host, port)
        self.context = self.identity = None

    def __str__(self):
        return f"{self.role} FMC {self.label}"


class FatalError(Exception):
    """Retrying cannot help (the PKCS12 is unusable): the admin must change the configuration."""


class StreamClient:
    def __init__(self, config: ClientConfig, sink, bookmarks, cache: Optional[MetadataCache] = None,
                 clock=time.monotonic, tick=None, wallclock=time.time, generations=None,
                 journal=None):
        """``tick()`` is called from the streaming thread after each flush and every half second
        while idle or reconnecting (the add-on writes its health events from it). ``clock``
        times intervals; ``wallclock`` (epoch seconds) judges records stamped in the future;
        ``generations`` remembers which event generation each FMC server accepted;
        ``journal``: where the identities of written events go (:mod:`.journal`; default in
        memory, for this run)."""
        self.config, self.sink, self.bookmarks = config, sink, bookmarks
        self.journal = journal if journal is not None else MemoryJournal(config.journal_window)
        standby = config.standby
        self._fmcs = {PRIMARY: _Fmc("primary", config.host, config.port, config.pkcs12,
                                    config.password, config.server_cert_sha256)}
        if standby is not None:
            self._fmcs[STANDBY] = _Fmc("standby", standby.host, standby.port,
                                       standby.pkcs12 or config.pkcs12,
                                       standby.password if standby.pkcs12 else config.password,
                                       standby.server_cert_sha256)
        self.policy = FailoverPolicy(standby is not None, config.failover_after, clock)
        self._identify = Identities()
        self._ids = []          # journal entries of the events handed over, not yet journaled
        self._replay = None     # the identities this session drops (.resume.Replay)
        self._tag = ""          # the FMC the session's bookmark belongs to ("" without a standby)
        self._fmc = self._fmcs[PRIMARY]
        self._hold = False      # on the other FMC: no bookmark saved before its first new event
        self.generations = generations if generations is not None else MemoryGenerationStore()
        self._to_try = []        # generations still to try after a refusal, oldest last
        self._probing = False    # this round tries more than one generation
        self._wire: Optional[ClientSession] = None  # the current session's protocol state
        self._source = ""        # this host's address in the current session
        self.tick = tick or (lambda: None)
        self.cache = cache if cache is not None else MetadataCache()
        self.decoder = RecordDecoder()
        self.stats = Stats()
        self.clock, self.wallclock = clock, wallclock
        self._future_reported = False
        self._bookmark: Optional[Bookmark] = None   # covers everything handed to the sink
        self._saved: Optional[Bookmark] = None      # covers everything the sink confirmed
        self._pending = 0
        self._first_pending = 0.0
        self._log = RateLimitedLog(log)  # per-record troubles: a flood must not fill the disk

    # --- lifecycle ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Stream until ``stop`` is set; then flush, save the bookmark and return.
        Raises :class:`FatalError` when the configuration cannot work."""
        self._saved = self._bookmark = self._trusted(self.bookmarks.load())
        self.stats.bookmark = self._saved
        self._log_start()
        delay = self.config.backoff_min
        policy = self.policy
        try:
            while not stop.is_set():
                fmc = self._fmcs[policy.target]
                started = self.clock()
                fallback = False
                try:
                    self._session(stop, fmc)
                except GenerationRefused as e:
                    fallback = self._fall_back(e)
                    if not fallback:
                        self._failed(fmc, e)
                except (ConnectError, ProtocolError, ServerGone, OSError) as e:
                    if stop.is_set():  # stopped while connecting: nothing went wrong
                        break
                    self._failed(fmc, e)
                finally:
                    self.stats.connected = False
                    self._flush()
                if stop.is_set():
                    break
                self.stats.reconnects += 1
                if fallback:  # at once, asking for the older generation
                    continue
                if self.clock() - started > 60:
                    delay = self.config.backoff_min  # it streamed for a while: start over
                if policy.failed():  # to the other FMC, at once: it is not the one that failed
                    self._switching(fmc, self._fmcs[policy.target])
                    delay = self.config.backoff_min
                    continue
                wait = delay * random.uniform(0.5, 1.0)  # jitter: a fleet must not reconnect in step
                wait = policy.wait(wait)  # an HA pair fails over when the grace period ends
                log.info("reconnecting to %s in %.1f s", fmc.label, wait)
                until = self.clock() + wait
                while not stop.is_set() and self.clock() < until:
                    stop.wait(min(0.5, max(until - self.clock(), 0)))
                    self.tick()
                delay = min(delay * 2, self.config.backoff_max)
        finally:
            self._flush()
            self.journal.close()
            report_suppressed(final=True)

    def flush(self) -> None:
        """Flush what the sink holds now (journal first, then the sink, then the bookmark):
        for a caller writing to the same sink from the streaming thread (health events)."""
        self._flush()

    def _switching(self, failed: _Fmc, target: _Fmc) -> None:
        self._to_try, self._probing = [], False  # the other FMC's generation is its own
        if target.role == "standby":
            log.warning("failing over to the %s: the %s has not answered for %.0f s (failover "
                        "after %g s)", target, failed, self.policy.down_for,
                        self.config.failover_after)
        else:
            log.warning("the %s failed: back to the %s, preferred whenever the standby fails",
                        failed, target)

    def _log_start(self):
        start = self.config.start
        if self._saved is not None:
            # the configured start (a date, say) only places a stream that has no bookmark yet
            log.info("resuming from the bookmark (archive time %d, %d records of that second "
                     "delivered%s): it wins over the start position (%s), which only places an "
                     "input that has no bookmark yet", self._saved[0], self._saved[1],
                     f", on {self._saved.fmc}" if self._saved.fmc else "", _start_text(start))
        else:
            log.info("no bookmark yet: starting from %s", _start_text(start))

    def _trusted(self, bookmark: Optional[Bookmark]) -> Optional[Bookmark]:
        """The stored bookmark, unless it lies in the future: then now minus the tolerance,
        saved at once, and said in the log and the health events (``last_error``)."""
        now, tolerance = self.wallclock(), self.config.future_tolerance
        if bookmark is None or bookmark.timestamp <= now + tolerance:
            return bookmark
        replacement = Bookmark(max(int(now - tolerance), 0), 0, bookmark.fmc)
        text = (f"the stored bookmark {_utc(bookmark.timestamp)} is "
                f"{bookmark.timestamp - now:.0f} s ahead of this host's clock (more than the "
                f"future tolerance of {tolerance:g} s): it was set by a record stamped in the "
                f"future and would skip every present-day record; resuming from "
                f"{_utc(replacement.timestamp)} (now minus the tolerance) instead")
        log.warning("%s", text)
        self.stats.last_error = text
        self.bookmarks.save(replacement)
        return replacement

    def _future(self, record_type, archive: int, now: float) -> None:
        """A record stamped beyond now + tolerance: counted; the first one is logged."""
        self.stats.future_records += 1
        if not self._future_reported:
            self._future_reported = True
            log.warning("record type %s is stamped %s, %.0f s ahead of this host's clock (more "
                        "than the future tolerance of %g s): delivered, but the bookmark does "
                        "not move to it; check the FMC's clock. Further such records are only "
                        "counted (future_records in the health events)", record_type,
                        _utc(archive), archive - now, self.config.future_tolerance)

    # --- event generations (see .generations) ------------------------------------------------

    @property
    def _server(self) -> str:
        return f"{self._fmc.host}:{self._fmc.port}"  # each FMC of a pair is remembered apart

    def _subscription(self) -> Subscription:
        """The subscription of the next session, with the generation to ask for."""
        setting = self.config.generation or self.config.subscription.generation
        if not self._to_try:
            remembered = self.generations.load(self._server) if setting == AUTO else None
            self._to_try = candidates(setting, remembered)
            self._probing = len(self._to_try) > 1
        self.stats.generation = self._to_try[0]
        return replace(self.config.subscription, generation=self._to_try[0])

    def _streams(self, generation: str) -> None:
        """The FMC accepted ``generation``: remember it when it was found by trying."""
        if self.config.generation == AUTO:
            remembered = self.generations.load(self._server)
            if self._probing or remembered is None or remembered.generation != generation:
                self.generations.save(self._server, generation)
                log.info("%s accepts event generation %s", self._server, generation)
        self._to_try, self._probing = [], False  # the next session reads the store again

    def _fall_back(self, refused: "GenerationRefused") -> bool:
        """After a refusal: True when an older generation is left to try (logged)."""
        self._to_try = self._to_try[1:]
        if not self._to_try:
            return False
        log.warning("%s refused event generation %s (%s); asking for generation %s",
                    self._server, refused.generation, refused.how, self._to_try[0])
        return True

    def _subscribed(self) -> bool:
        """The Streaming Request is sent and the FMC has streamed nothing since: what it does
        now says whether it accepts the generation asked for."""
        return self._wire is not None and self._wire.state is SessionState.SUBSCRIBED

    def _refused(self, how: str, final: str) -> "ServerGone":
        """What ends a session: a refusal of the generation when the FMC had streamed nothing
        since the Streaming Request, else the plain reason."""
        if self._subscribed():
            return GenerationRefused(final, self.stats.generation, how)
        return ServerGone(final)

    def _closed(self, source: str) -> "ServerGone":
        """The FMC hung up. Right after the Streaming Request that refuses the generation asked
        for; the message is then the diagnostics' hint (a certificate for another address …),
        the reason to report if every generation is refused."""
        if self._subscribed():
            return self._refused("it closed the connection right after the Streaming Request",
                                 closed_after_request_hint(self._fmc.identity, source))
        return ServerGone("the FMC closed the connection")

    def _failed(self, fmc: _Fmc, error):
        text = str(error) or type(error).__name__
        self.stats.last_error = text
        log.error("%s: %s", fmc.label, text)

    def _tls_context(self, fmc: _Fmc):
        if fmc.context is None:
            try:
                fmc.identity = load_identity(fmc.pkcs12, fmc.password)
                fmc.context = fmc.identity.client_context(self.config.verify)
            except IdentityError as e:
                raise FatalError(str(e) if fmc.role == "primary" else
                                 f"the standby's PKCS12: {e}") from None
            not_after = fmc.identity.not_after.timestamp()
            known = self.stats.client_cert_not_after
            self.stats.client_cert_not_after = not_after if known is None else min(known,
                                                                                   not_after)
        expired = fmc.identity.expired()  # checked per session: it may expire while running
        if expired:
            raise FatalError(expired)
        return fmc.context

    def _check_pinned(self, sock, fmc: _Fmc) -> None:
        """A certificate other than the pinned one ends the run (FatalError) rather than being
        retried: the FMC may have replaced its certificate legitimately, or another server
        answers at its address, and only the admin can tell and act. In Splunk the input then
        exits, logging the message with both fingerprints, and splunkd starts it again after
        its restart interval; each start re-reads the FMC server, so a re-saved pin takes
        effect then — a mismatch is logged once per start, never retried silently."""
        try:
            check_pinned(sock, fmc.host, fmc.port, fmc.pin)
        except CertificateChanged as e:
            _close(sock)
            raise FatalError(str(e)) from None

    # --- one session -------------------------------------------------------------------------

    def _session(self, stop: threading.Event, fmc: _Fmc) -> None:
        config = self.config
        context = self._tls_context(fmc)
        sock = connect(fmc.host, fmc.port, context, config.connect_timeout, stop)
        self._check_pinned(sock, fmc)
        source = self._source = local_address(sock)
        plan = self._begin(fmc)
        resume, since = plan.resume, plan.since
        subscription = self._subscription()
        session = self._wire = ClientSession(subscription, since)
        session.start()
        # short socket timeouts: flushes must happen on time and stop must be seen while idle
        sock.settimeout(min(config.flush_interval, 0.5))
        log.info("connected to %s from %s; requesting %s since %s (event generation %s)%s",
                 fmc.label, source, ",".join(subscription.families), since,
                 subscription.generation, "" if plan.same_fmc else
                 f"; the bookmark belongs to {self._saved.fmc or self._fmcs[PRIMARY].label}: "
                 f"resuming {config.failover_margin:g} s before it, dropping by event identity "
                 f"what was written")
        self.stats.connected = True
        last_heard = self.clock()
        received_anything = False
        try:
            self._send(sock, session, session.data_to_send(), resume)
            while not stop.is_set():
                try:
                    data = sock.recv(RECV_BYTES)
                except socket.timeout:
                    self.tick()
                    report_suppressed()
                    now = self.clock()
                    if self._pending and now - self._first_pending >= config.flush_interval:
                        self._flush()
                    if now - last_heard > config.response_timeout:
                        raise ServerGone(f"the FMC sent nothing for {config.response_timeout:g} s "
                                         f"(not even a keep-alive): reconnecting") from None
                    continue
                except ssl.SSLEOFError:  # closed without a TLS goodbye: an FMC's usual way
                    data = b""
                except ConnectionResetError:  # closed with our acknowledgements still unread
                    if not self._subscribed():
                        raise
                    data = b""
                except ssl.SSLError as e:
                    raise ServerGone(tls_failure(e)) from None
                if not data:
                    if not received_anything:
                        raise ServerGone(closed_after_request_hint(fmc.identity, source))
                    raise self._closed(source)
                if not received_anything:
                    self._serving(fmc)
                received_anything = True
                last_heard = self.clock()
                self._receive(session, data, resume)
                self._send(sock, session, session.data_to_send(), resume)
                if self._pending and (self._pending >= config.batch_size or
                                      self.clock() - self._first_pending >= config.flush_interval):
                    self._flush()
                    self.tick()
        finally:
            _close(sock)

    def _begin(self, fmc: _Fmc):
        """The session's resume plan (:mod:`.resume`), and the state it starts from."""
        paired = self.config.standby is not None
        plan = resume_plan(self._saved, fmc.label, self._fmcs[PRIMARY].label, self.journal,
                           self.config.failover_margin, self.config.start_timestamp, paired)
        self._fmc, self._tag = fmc, fmc.label if paired else ""
        self._replay = plan.replay
        self._bookmark = plan.bookmark
        self._hold = not plan.same_fmc  # its first new event gives the other FMC a bookmark
        return plan

    def _serving(self, fmc: _Fmc) -> None:
        """The FMC answered: its outage is over; a switch from the other one is a failover."""
        self.policy.streaming()
        stats = self.stats
        if stats.active_fmc is not None and stats.active_fmc != fmc.label:
            stats.failovers += 1
        stats.active_fmc = fmc.label

    def _receive(self, session: ClientSession, data: bytes, resume: Resume) -> None:
        streaming = session.state is SessionState.STREAMING
        events = session.receive_data(data)
        if not streaming and session.state is SessionState.STREAMING:
            self._streams(self.stats.generation)  # the FMC accepted the generation
        self._handle(events, resume)

    def _handle(self, events, resume: Resume) -> None:
        for event in events:
            if type(event) is Records:
                self._records(event, resume)
            elif isinstance(event, StreamBroken):
                raise ProtocolError(event.reason)
            elif isinstance(event, ServerError):
                malformed = f" ({event.malformed})" if event.malformed else ""
                raise self._refused(f"it answered error {event.code}: {event.text}",
                                    f"the FMC refused the request: error {event.code}: "
                                    f"{event.text}{malformed}")
            elif isinstance(event, StreamStarted):
                log.info("stream started (services %s)",
                         ",".join(str(s.id) for s in event.services))
            elif isinstance(event, Unexpected):
                self._log.log(logging.WARNING, ("message", event.type),
                              "ignored a message of type %s (%d bytes) from the FMC",
                              event.type, event.size)
            elif isinstance(event, KeepAlive):
                pass
            else:
                raise ProtocolError(f"unexpected {event!r}")

    def _send(self, sock, session, data: bytes, resume: Resume) -> None:
        if not data:
            return
        try:
            sock.sendall(data)
        except OSError:
            # The FMC hung up. What it sent last (records, an Error message saying why) may
            # still be unread: take it before reporting the hang-up.
            self._drain(sock, session, resume)
            raise self._closed(self._source) from None

    def _drain(self, sock, session, resume: Resume) -> None:
        sock.settimeout(0.2)
        while True:
            try:
                data = sock.recv(RECV_BYTES)
            except OSError:
                return
            if not data:
                return
            self._receive(session, data, resume)
            session.data_to_send()  # nobody to acknowledge to any more

    def _records(self, event: Records, resume: Resume) -> None:
        if event.error:
            self._log.log(logging.ERROR, ("bundle", error_kind(event.error)),
                          "damaged bundle: %s; its records before the damage are kept, the %d "
                          "bytes from there on are kept as one malformed record",
                          event.error, len(event.rest))
            self.stats.parse_errors += 1
        sink = self.sink
        decode, learn, write = self.decoder.decode, self.cache.learn, sink.write
        sized = hasattr(sink, "buffered")  # a sink that buffers: flushed at SINK_BUFFER too
        identify, ids, replay = self._identify.entry, self._ids, self._replay
        # A sink that writes event records from their bytes (compiled per record shape) gets
        # them so, their identities read in place too; the records it cannot vouch for, and
        # all the others, come decoded.
        write_body, identify_body = getattr(sink, "write_body", None), self._identify.of_body
        start = self._bookmark or Bookmark(0, 0, self._tag)
        stats, bookmark = self.stats, start
        now = self.wallclock()
        latest = now + self.config.future_tolerance
        batch = self.config.batch_size
        fresh = False  # an event never written before moved the bookmark
        for body in event.bodies:
            if write_body is not None:
                record_type, archive = _event_header(body)
                entry = None
                if archive is not None:
                    if resume.already_delivered(archive):
                        stats.records += 1
                        stats.duplicates += 1
                        continue
                    entry = identify_body(body, record_type, archive)
                if entry is not None:
                    written = False
                    if replay is not None:
                        if archive > replay.horizon:  # past what the journal can hold
                            replay = self._replay = None
                        else:
                            written = entry[4:] in replay.seen
                    if written:  # the journal says so (an unsaved flush, the other FMC's)
                        stats.records += 1
                        stats.duplicates += 1
                        if archive <= latest:
                            bookmark = bookmark.advance(archive)  # written before: covered
                        continue
                    if not self._pending:
                        self._first_pending = self.clock()
                    if write_body(body):
                        stats.records += 1
                        if archive > latest:
                            self._future(record_type, archive, now)
                        else:
                            bookmark = bookmark.advance(archive)
                            fresh = True
                        ids.append(entry)
                        self._pending += 1
                        stats.delivered += 1
                        if self._pending >= batch or (sized and sink.buffered >= SINK_BUFFER):
                            self._advance(bookmark, start, fresh)
                            self._flush()
                        continue
            malformed = False
            try:
                record = decode(body)
            except Exception as e:  # noqa: BLE001 - one record's bytes never stop the stream
                record, malformed = self._malformed(body, e), True
            stats.records += 1
            archive = record.get("archiveTimestamp")
            if archive is None:
                learn(record)  # metadata: ids -> names, before the events that use them
            elif resume.already_delivered(archive):
                stats.duplicates += 1
                continue
            else:
                entry = identify(record, body, archive)
                written = False
                if replay is not None:
                    if archive > replay.horizon:  # past what the journal can hold: let it go
                        replay = self._replay = None
                    else:
                        written = entry[4:] in replay.seen
                if archive > latest:
                    if not written:
                        self._future(record.get("recordType"), archive, now)
                elif malformed:
                    # Its time cannot be trusted: it never moves the bookmark to a new second.
                    # In the bookmark's own second it is counted, so a resume skips it exactly.
                    if archive == bookmark.timestamp:
                        bookmark = bookmark.advance(archive)
                else:
                    bookmark = bookmark.advance(archive)  # written before or now: covered
                    fresh = fresh or not written
                if written:  # the journal says so (an unsaved flush, the other FMC's events)
                    stats.duplicates += 1
                    continue
                ids.append(entry)
            if not self._pending:
                self._first_pending = self.clock()
            write(record)
            self._pending += 1
            stats.delivered += 1
            # one bundle may hold millions of records, or a few huge ones: flush inside it too,
            # through our own flush (journal first), the bookmark covering what was written
            if self._pending >= batch or (sized and sink.buffered >= SINK_BUFFER):
                self._advance(bookmark, start, fresh)
                self._flush()
        self._advance(bookmark, start, fresh)
        if event.rest:
            self._write_rest(event)
            if sized and sink.buffered >= SINK_BUFFER:
                self._flush()
        decoder_stats = self.decoder.stats
        stats.unknown_types, stats.unknown_blocks = (decoder_stats.unknown_types,
                                                     decoder_stats.unknown_blocks)

    def _malformed(self, body, error: Exception) -> Record:
        """A record we cannot decode: counted, logged in one line, kept raw (never dropped)."""
        self.stats.parse_errors += 1
        fields = {"recordType": getattr(error, "record_type", None), "unknown": True,
                  "malformed": str(error), "raw": bytes(body).hex()}
        try:
            fields["recordType"], archive, _ = record_header(body)
            if archive is not None:
                fields["archiveTimestamp"] = archive
        except ParseError:
            pass
        kind = error_kind(getattr(error, "message", str(error)))
        self._log.log(logging.ERROR, ("record", fields["recordType"], kind),
                      "malformed record: %s", error)
        return Record.from_dict(fields)

    def _write_rest(self, event: Records) -> None:
        """A damaged bundle's bytes from the damage on, as one malformed record: the sink sends
        it raw with "keep unknown records" instead of it vanishing."""
        record = Record.from_dict({"recordType": None, "unknown": True, "malformed": event.error,
                                   "raw": bytes(event.rest).hex()})
        if not self._pending:
            self._first_pending = self.clock()
        self.sink.write(record)
        self._pending += 1
        self.stats.delivered += 1

    def _advance(self, bookmark: Bookmark, start: Bookmark, fresh: bool) -> None:
        """The bookmark the next flush saves: what the bundle's records written so far cover
        (``fresh``: one of them was never written before, so a bookmark may be saved)."""
        if bookmark is not start:
            self._bookmark = bookmark
        if fresh:
            self._hold = False

    def _flush(self) -> None:
        report_suppressed()
        if not self._pending and self._bookmark == self._saved:
            return
        ids = self._ids
        if ids:  # before any byte of these events leaves the sink (see .journal)
            self.journal.append(self._fmc.label, ids)
            ids.clear()
        self.sink.flush()
        self.journal.commit()
        self._pending = 0
        if self._bookmark is not None and self._bookmark != self._saved and not self._hold:
            self.bookmarks.save(self._bookmark)
            self._saved = self.stats.bookmark = self._bookmark


_RECORD_HEADER = struct.Struct(">II")
_ARCHIVE = struct.Struct(">8xI")


def _event_header(body):
    """``(record type, archive timestamp)`` of a record with the 16-byte header of events;
    ``(None, None)`` for any other."""
    if len(body) < 16:
        return None, None
    record_type, length = _RECORD_HEADER.unpack_from(body)
    if len(body) != 16 + length:
        return None, None
    return record_type, _ARCHIVE.unpack_from(body)[0]


def _utc(timestamp) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _start_text(start) -> str:
    if start in ("genesis", "now"):
        return {"genesis": "the oldest event the FMC has", "now": "now"}[start]
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(start)))


class ServerGone(Exception):
    """The session ended; the message says why and is logged as one line."""


class GenerationRefused(ServerGone):
    """The FMC refused the event generation asked for (closed the connection or answered an
    Error right after the Streaming Request); the message is what to report if no older
    generation is left to try."""

    def __init__(self, message: str, generation: str, how: str):
        super().__init__(message)
        self.generation, self.how = generation, how


def _close(sock):
    try:
        sock.close()
    except OSError:
        pass
