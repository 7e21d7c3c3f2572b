"""``test``: the connection check an admin runs before blaming Splunk.

Each step either passes with what it saw or fails with the cause and the fix; the verdict is the
first failure (or the all-clear). The same function validates an FMC server on the setup page.
"""
from __future__ import annotations

import collections
import socket
import ssl
import time
from dataclasses import dataclass, field, replace
from typing import List, Optional

from .catalog import RECORDS
from .connection import (
    CertificateInfo,
    ConnectError,
    IdentityError,
    closed_after_request_hint,
    load_identity,
    local_address,
    open_tcp,
    resolve,
    tls_failure,
    tls_handshake,
)
from .decoder import RecordDecoder
from .generations import candidates
from .layout import ParseError
from .pinning import CertificateChanged, check_pinned, presented
from .wire import (
    GENESIS,
    ClientSession,
    ProtocolError,
    Records,
    ServerError,
    SessionState,
    StreamBroken,
    StreamStarted,
    Subscription,
)


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    steps: List[Step] = field(default_factory=list)
    records: collections.Counter = field(default_factory=collections.Counter)
    verdict: str = ""
    server_cert_sha256: str = ""  # the fingerprint of the certificate the FMC presented
    generation: str = ""          # the event generation asked for (the one that streamed)
    refused: bool = False         # the FMC refused it right after the Streaming Request

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.steps.append(Step(name, ok, detail))
        if not ok and not self.verdict:
            self.verdict = detail
        return ok

    def as_text(self) -> str:
        lines = [f"{'ok  ' if s.ok else 'FAIL'} {s.name}: {s.detail}" for s in self.steps]
        lines.append(("verdict: OK - " if self.ok else "verdict: FAILED - ") + self.verdict)
        return "\n".join(lines)


def diagnose(host: str, port: int, pkcs12: bytes, password: str, verify: bool = True,
             timeout: float = 10.0, subscription: Optional[Subscription] = None,
             since: int = GENESIS, records: int = 10, wait: Optional[float] = None,
             server_cert_sha256: str = "", generation: Optional[str] = None) -> Report:
    """Run the checks in order, stopping at the first that fails. ``wait`` bounds how long the
    first ``records`` records may take (default: ``timeout``); ``server_cert_sha256`` is the
    certificate pinned for the FMC (see :mod:`.pinning`). ``generation``: ``auto`` asks for
    the newest event generation first and for older ones while the FMC refuses them, as the
    client does (see :mod:`.generations`); a generation asks for that one; None for the
    subscription's."""
    subscription = subscription or Subscription()
    tries = candidates(generation, None) if generation else [subscription.generation]
    refusals = []
    for attempt in tries:
        report = _diagnose(host, port, pkcs12, password, verify, timeout,
                           replace(subscription, generation=attempt), since, records, wait,
                           server_cert_sha256)
        if not report.refused or attempt == tries[-1]:
            break
        refusals.append(Step("event generation", True,
                             f"the FMC refused generation {attempt} ({report.verdict}); "
                             f"trying an older one"))
    at = next((n for n, step in enumerate(report.steps) if step.name == "request"),
              len(report.steps))
    report.steps[at:at] = refusals
    if report.refused:
        report.verdict = report.verdict if len(tries) == 1 else (
            f"the FMC refused every event generation ({', '.join(tries)}) right after the "
            f"Streaming Request: {report.verdict}")
    elif len(tries) > 1 or refusals:
        report.steps.append(Step("event generation", True,
                                 f"the FMC streams generation {report.generation}"))
    return report


def _diagnose(host, port, pkcs12, password, verify, timeout, subscription, since, records,
              wait, server_cert_sha256) -> Report:
    report = Report(generation=subscription.generation)
    try:
        identity = load_identity(pkcs12, password)
    except IdentityError as e:
        report.add("PKCS12", False, str(e))
        return report
    info = identity.info
    expired = identity.expired()
    if not report.add("PKCS12", not expired, expired or _describe(info)):
        return report
    try:
        context = identity.client_context(verify)
        address = resolve(host, port)
        report.add("resolve", True, f"{host} is {address}")
        sock = open_tcp(address, port, timeout)
        report.add("TCP connect", True, f"{address}:{port} accepts connections")
        source = local_address(sock)
        tls = tls_handshake(sock, context, host, port, timeout)
    except ConnectError as e:
        report.add(_step_of(e), False, str(e))
        return report
    except IdentityError as e:
        report.add("TLS", False, str(e))
        return report
    try:
        server = CertificateInfo.of(_peer_certificate(tls))
        report.server_cert_sha256 = presented(tls)
        report.add("TLS handshake", True, f"{tls.version()}, FMC certificate {server.subject} "
                   f"issued by {server.issuer}, SHA-256 {report.server_cert_sha256}"
                   + ("" if verify else " (not verified)"))
        if server_cert_sha256:
            try:
                check_pinned(tls, host, port, server_cert_sha256)
            except CertificateChanged as e:
                report.add("FMC certificate", False, str(e))
                return report
            report.add("FMC certificate", True, "the pinned certificate")
        named = info.addresses
        if named and source not in named:
            report.steps.append(Step("client address", True,
                                     f"warning: this host connects from {source} but the "
                                     f"certificate is for {', '.join(named)}; fine only if a NAT "
                                     f"device shows the FMC that address"))
        else:
            report.add("client address", True, f"connecting from {source}, as the certificate says")
        _stream(tls, identity, source, subscription, since, records, wait or timeout, report)
    finally:
        try:
            tls.close()
        except OSError:
            pass
    return report


def _stream(tls, identity, source, subscription, since, wanted, wait, report):
    session = ClientSession(subscription, since)
    session.start()
    decoder = RecordDecoder()
    deadline = time.monotonic() + wait
    heard = False
    try:
        tls.sendall(session.data_to_send())
        report.add("request", True, f"asked for {', '.join(subscription.families)} since {since}")
        while time.monotonic() < deadline and sum(report.records.values()) < wanted:
            tls.settimeout(max(deadline - time.monotonic(), 0.05))
            try:
                data = tls.recv(1 << 16)
            except socket.timeout:
                break
            if not data:
                refused = session.state is SessionState.SUBSCRIBED
                hint = closed_after_request_hint(identity, source) if not heard or refused \
                    else "the FMC closed the connection during the stream"
                report.refused = refused
                report.add("stream", False, hint)
                return
            heard = True
            for event in session.receive_data(data):
                if isinstance(event, StreamStarted):
                    report.add("streaming information", True, "services " + ", ".join(
                        str(s.id) for s in event.services))
                elif isinstance(event, ServerError):
                    report.refused = session.state is SessionState.SUBSCRIBED
                    report.add("stream", False, f"the FMC refused the request: error "
                               f"{event.code}: {event.text}")
                    return
                elif isinstance(event, StreamBroken):
                    report.add("stream", False,
                               f"the connection failed during the stream: {event.reason}")
                    return
                elif isinstance(event, Records):
                    for body in event.bodies:
                        try:
                            record = decoder.decode(body)
                        except ParseError as e:
                            report.add("records", False, f"a record did not decode: {e}")
                            return
                        report.records[record["recordType"]] += 1
            tls.sendall(session.data_to_send())
    except (ConnectionResetError, ssl.SSLEOFError):  # closed with our acks unread
        report.refused = session.state is SessionState.SUBSCRIBED
        report.add("stream", False, closed_after_request_hint(identity, source))
        return
    except ssl.SSLError as e:
        report.add("stream", False, tls_failure(e))
        return
    except (OSError, ProtocolError) as e:
        report.add("stream", False, f"the connection failed during the stream: {e}")
        return
    if not heard:
        report.add("stream", False, f"the FMC sent nothing within {wait:g} s of the request")
    elif session.state is SessionState.REQUESTED:
        report.add("streaming information", False, "the FMC did not answer the request with "
                   "its streaming information: is this port eStreamer?")
    elif not report.records:
        report.add("records", False, f"the FMC sent no records for {', '.join(subscription.families)} "
                   f"within {wait:g} s: check that the FMC logs these events (e.g. logging "
                   f"enabled in the access control rules) or choose other record families")
    else:
        report.add("records", True, ", ".join(
            f"{n} x {RECORDS[t].name if t in RECORDS else t}"
            for t, n in sorted(report.records.items())))
    if report.ok:
        report.verdict = (f"the FMC streams to this client ({sum(report.records.values())} "
                          f"records received)")


def _peer_certificate(tls):
    from cryptography import x509
    return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def _describe(info: CertificateInfo) -> str:
    return (f"client certificate {info.subject}, SAN {', '.join(info.san) or 'none'}, issued by "
            f"{info.issuer}, valid until {info.not_after}")


def _step_of(error: ConnectError) -> str:
    return {"dns": "resolve", "refused": "TCP connect", "timeout": "TCP connect",
            "unreachable": "TCP connect"}.get(error.cause, "TLS handshake")
