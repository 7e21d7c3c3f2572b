"""The client's identity (the FMC-minted PKCS12) and the TLS connection to eStreamer.

The only module that touches sockets and TLS. The private key never reaches a disk in the clear:
``ssl`` loads keys from files only, so the key is re-encrypted with a one-time random passphrase
into an anonymous in-memory file (``memfd``; a private temporary file where that does not exist)
that is gone once loaded.

The FMC's server certificate is verified against the CA certificates the PKCS12 carries (the
FMC's internal CA issued both). Its host name is not checked: the FMC issues its certificate to
its own UUID, not to the name or address the admin types.
"""
from __future__ import annotations

import datetime
import errno
import ipaddress
import logging
import math
import os
import secrets
import selectors
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from typing import List, Optional

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtensionOID, NameOID

from .pkcs12_layout import (
    MAX_ITERATIONS,
    Pkcs12Layout,
    describe_upload,
    read_layout,
    reexport_command,
)

log = logging.getLogger("estreamer.connection")


class IdentityError(ValueError):
    """The PKCS12 cannot be used; ``str()`` is the message for the admin."""


STOP_CHECK = 0.25  # seconds: how often a connect or handshake in progress looks at ``stop``


class ConnectError(OSError):
    """Connecting failed; ``str()`` names the cause and the fix in one line."""

    def __init__(self, message: str, cause: str = "connect"):
        super().__init__(message)
        self.cause = cause

    def __str__(self):
        return self.args[0]


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    common_name: Optional[str]
    san: List[str]
    not_after: str

    @classmethod
    def of(cls, cert: x509.Certificate) -> "CertificateInfo":
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        try:
            ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
            san = [str(getattr(n, "value", n)) for n in ext.value]
        except x509.ExtensionNotFound:
            san = []
        not_after = _not_after(cert)
        return cls(cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(),
                   str(names[0].value) if names else None, san,
                   not_after.strftime("%Y-%m-%d %H:%M:%S UTC"))

    @property
    def addresses(self) -> List[str]:
        """The IP addresses the certificate names (CN and SAN), which the FMC compares with ours."""
        found = []
        for text in [self.common_name or ""] + self.san:
            try:
                found.append(str(ipaddress.ip_address(text)))
            except ValueError:
                continue
        return sorted(set(found))


def _not_after(cert: x509.Certificate) -> datetime.datetime:
    not_after = getattr(cert, "not_valid_after_utc", None)  # cryptography >= 42
    if not_after is None:
        not_after = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return not_after


@dataclass(repr=False)
class Identity:
    """Key, certificate and CA chain of an eStreamer client, held in memory."""

    key: object
    certificate: x509.Certificate
    ca_certificates: List[x509.Certificate] = field(default_factory=list)

    def __repr__(self):  # never the key
        return f"Identity({self.info.subject!r})"

    @property
    def info(self) -> CertificateInfo:
        return CertificateInfo.of(self.certificate)

    @property
    def not_after(self) -> datetime.datetime:
        """When the client certificate expires (UTC)."""
        return _not_after(self.certificate)

    def days_left(self, now: Optional[float] = None) -> int:
        """Whole days until the client certificate expires (negative once it has)."""
        now = time.time() if now is None else now
        return math.floor((self.not_after.timestamp() - now) / 86400)

    def expired(self, now: Optional[float] = None) -> Optional[str]:
        """The message for the admin if the client certificate has expired, else None. The FMC
        refuses an expired client on every attempt: retrying cannot help."""
        now = time.time() if now is None else now
        if self.not_after.timestamp() > now:
            return None
        return (f"the client certificate expired on {self.info.not_after}: create a new client "
                f"on the FMC (System > Integration > eStreamer) and upload its PKCS12")

    def client_context(self, verify: bool = True) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = False  # the FMC's certificate names its UUID (module docstring)
        if verify:
            if not self.ca_certificates:
                raise IdentityError(
                    "the PKCS12 holds no CA certificate to verify the FMC with: download the "
                    "client's PKCS12 again from the FMC (its export includes the FMC's CA)")
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cadata="".join(
                c.public_bytes(serialization.Encoding.PEM).decode("ascii")
                for c in self.ca_certificates))
        else:
            context.verify_mode = ssl.CERT_NONE
            log.warning("FMC certificate verification is off: any server can pose as the FMC")
        _load_key_in_memory(context, self)
        return context


def load_identity(data: bytes, password: Optional[str]) -> Identity:
    if not data:
        raise IdentityError("the PKCS12 file is empty: upload the .pkcs12 file the FMC created")
    layout = read_layout(data)
    if layout is not None:
        _check_cost(layout)
    secret = password.encode("utf-8") if password else None
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(bytes(data), secret)
    except (ValueError, TypeError):  # TypeError: a protected file opened without a password
        raise IdentityError(_unreadable(data, layout, secret)) from None
    if key is None or cert is None:
        raise IdentityError("the PKCS12 holds no client key and certificate: "
                            "download the client again from the FMC")
    return Identity(key, cert, list(chain or ()))


def _check_cost(layout: Pkcs12Layout) -> None:
    """Refuse, before any key derivation runs, a file that would take seconds to open."""
    iterations, what = layout.costliest
    if iterations > MAX_ITERATIONS:
        raise IdentityError(
            f"the PKCS12 uses {iterations:,} key-derivation rounds for {what}, more than "
            f"{MAX_ITERATIONS:,}: opening it would cost seconds of CPU on every save and every "
            f"input start. Re-export it with the default 2,048 rounds (PKCS12_PASSWORD holds its "
            f"password): {reexport_command(legacy=False)}")


def _unreadable(data: bytes, layout: Optional[Pkcs12Layout], secret: Optional[bytes]) -> str:
    """Why cryptography could not open the file. Its error is the same for a wrong password, a
    damaged file and a missing cipher, so the file's own layout decides."""
    if layout is None:
        return (f"the file is not a readable PKCS12: it is {describe_upload(data)}; expected the "
                f".pkcs12 file the FMC created for this client (System > Integration > "
                f"eStreamer, the client's download link)")
    password_fits = _password_fits(layout, secret)
    legacy = layout.legacy_algorithms
    if legacy and password_fits is not False:
        return (f"the PKCS12 is encrypted with {', '.join(legacy)}, which needs OpenSSL's legacy "
                f"provider, and this Python's OpenSSL has none (FIPS builds leave it out)"
                + ("" if password_fits else " - or the password is wrong")
                + f". Re-export it with AES on a machine with OpenSSL 3 (PKCS12_PASSWORD holds "
                  f"its password): {reexport_command(legacy=True)}; then upload the new file")
    return "the PKCS12 password is wrong"


def _password_fits(layout: Pkcs12Layout, secret: Optional[bytes]) -> Optional[bool]:
    """Whether the password opens the file's key bag (None: no bag that tells). The key bag
    of legacy exports is 3DES, which OpenSSL opens without the legacy provider."""
    for bag in layout.key_bags:
        try:
            serialization.load_der_private_key(bag, secret)
            return True
        except UnsupportedAlgorithm:
            continue
        except (ValueError, TypeError):
            return False
    return None


def _load_key_in_memory(context: ssl.SSLContext, identity: Identity) -> None:
    passphrase = secrets.token_urlsafe(32).encode("ascii")
    key_pem = identity.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase))
    cert_pem = identity.certificate.public_bytes(serialization.Encoding.PEM)
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in identity.ca_certificates)
    with _private_file(key_pem + cert_pem + chain_pem) as path:
        context.load_cert_chain(path, password=passphrase)


class _private_file:
    """A path holding ``data`` that only this process can read, removed on exit."""

    def __init__(self, data: bytes):
        self.data, self.fd, self.path = data, None, None

    def __enter__(self) -> str:
        if hasattr(os, "memfd_create"):
            self.fd = os.memfd_create("estreamer-identity", getattr(os, "MFD_CLOEXEC", 0))
            os.write(self.fd, self.data)
            return f"/proc/self/fd/{self.fd}"
        fd, self.path = tempfile.mkstemp(prefix=".estreamer-")  # 0600; the key inside is encrypted
        with os.fdopen(fd, "wb") as f:
            f.write(self.data)
        return self.path

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
        if self.path:
            os.unlink(self.path)


# --- connecting ------------------------------------------------------------------------------

def resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ConnectError(f"cannot resolve the FMC host {host!r} ({e.strerror}): check the name "
                           f"or use the FMC's IP address", "dns") from None
    return infos[0][4][0]


class Stopped(ConnectError):
    """Asked to stop while connecting."""

    def __init__(self, host: str, port: int):
        super().__init__(f"stopped while connecting to {host}:{port}", "stopped")


def _wait(sock: socket.socket, events: int, deadline: float, stop, host: str, port: int):
    """Wait until ``sock`` is ready for ``events``, looking at ``stop`` (a threading.Event)
    every :data:`STOP_CHECK` seconds; ``socket.timeout`` at ``deadline``."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock, events)
        while True:
            if stop is not None and stop.is_set():
                raise Stopped(host, port)
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            if selector.select(min(left, STOP_CHECK)):
                return


def _connect_tcp(address: str, port: int, timeout: float, stop, host: str) -> socket.socket:
    """``socket.create_connection`` that gives up as soon as ``stop`` is set."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        code = sock.connect_ex((address, port))
        if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
            _wait(sock, selectors.EVENT_WRITE, time.monotonic() + timeout, stop, host, port)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise OSError(code, os.strerror(code))
    except BaseException:
        sock.close()
        raise
    sock.settimeout(timeout)
    return sock


def open_tcp(host: str, port: int, timeout: float, stop=None) -> socket.socket:
    address = resolve(host, port)
    where = f"{host}:{port}" + (f" ({address})" if address != host else "")
    try:
        sock = _connect_tcp(address, port, timeout, stop, host)
    except Stopped:
        raise
    except socket.timeout:
        raise ConnectError(f"no answer from {where} within {timeout:g} s: a firewall drops the "
                           f"traffic or the address is wrong", "timeout") from None
    except ConnectionRefusedError:
        raise ConnectError(f"{where} refused the connection: eStreamer is not enabled on that FMC "
                           f"or the port is not {port}", "refused") from None
    except OSError as e:
        raise ConnectError(f"cannot reach {where}: {e.strerror or e}", "unreachable") from None
    # acks are 8-byte messages the FMC may wait for: Nagle would hold each one back
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _handshake(sock: socket.socket, context: ssl.SSLContext, host: str, port: int,
               timeout: float, stop) -> ssl.SSLSocket:
    """``context.wrap_socket`` that gives up as soon as ``stop`` is set: a host that takes
    the TCP connection and never answers TLS must not hold a stopping input."""
    deadline = time.monotonic() + timeout
    sock.setblocking(False)
    tls = context.wrap_socket(sock, server_hostname=None, do_handshake_on_connect=False)
    try:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                _wait(tls, selectors.EVENT_READ, deadline, stop, host, port)
            except ssl.SSLWantWriteError:
                _wait(tls, selectors.EVENT_WRITE, deadline, stop, host, port)
    except BaseException:
        tls.close()  # the TLS socket owns the descriptor now
        raise
    tls.settimeout(timeout)
    return tls


def tls_handshake(sock: socket.socket, context: ssl.SSLContext, host: str, port: int,
                  timeout: float, stop=None) -> ssl.SSLSocket:
    try:
        tls = _handshake(sock, context, host, port, timeout, stop)
    except Stopped:
        sock.close()
        raise
    except ssl.SSLCertVerificationError as e:
        sock.close()
        raise ConnectError(server_certificate_failure(e, host, port),
                           "server-certificate") from None
    except ssl.SSLError as e:
        sock.close()
        raise ConnectError(tls_failure(e), "client-certificate") from None
    except socket.timeout:
        sock.close()
        raise ConnectError(f"the TLS handshake with {host}:{port} did not complete within "
                           f"{timeout:g} s: is this port eStreamer?", "timeout") from None
    except OSError as e:
        sock.close()
        raise ConnectError(f"the FMC closed the connection during the TLS handshake ({e}): "
                           f"it rejected this client certificate", "client-certificate") from None
    return tls


def tls_failure(error: ssl.SSLError) -> str:
    """The admin's reading of a TLS error. With TLS 1.3 the FMC's verdict on our certificate
    arrives after the handshake, as an alert on the first read, so sessions use this too."""
    reason = (error.reason or str(error)).replace("_", " ").lower()
    if "alert" in reason or "handshake" in reason:
        return (f"the FMC refused the client certificate ({reason}): its CA did not issue this "
                f"client or the client was deleted; create a new client on the FMC "
                f"(System > Integration > eStreamer)")
    return f"TLS failed with the FMC ({reason})"


# OpenSSL's X509_V_ERR_* codes -> (the check that failed, what to do)
_UNKNOWN_CA = ("unknown CA: it is not signed by the CA in the PKCS12",
               "this is not the FMC that created the client, or that FMC's CA was renewed; "
               "create a new client on the FMC you mean and upload its PKCS12")
_VERIFY_CHECKS = {
    10: ("expired", "the FMC's certificate must be renewed on the FMC; check this host's "
                    "clock too (it reads {now})"),
    9: ("not yet valid", "this host's clock or the FMC's is wrong (this host reads {now}); "
                         "set both by NTP"),
    26: ("wrong purpose: it is not a TLS server certificate",
         "the service at this address is not the FMC's eStreamer; check the host and port"),
    62: ("name mismatch: it is not issued to {host}",
         "connect with the name or address the FMC's certificate is issued to"),
    64: ("name mismatch: it is not issued to {host}",
         "connect with the name or address the FMC's certificate is issued to"),
    2: _UNKNOWN_CA, 7: _UNKNOWN_CA, 18: _UNKNOWN_CA, 19: _UNKNOWN_CA, 20: _UNKNOWN_CA,
    21: _UNKNOWN_CA,
}


def server_certificate_failure(error: ssl.SSLCertVerificationError, host: str, port: int) -> str:
    """The admin's reading of a failed verification of the FMC's certificate: which check failed
    (from OpenSSL's verify code) and what fixes it."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    detail = f"OpenSSL: {error.verify_message}" if error.verify_message else f"{error}"
    check, fix = _VERIFY_CHECKS.get(error.verify_code, (
        f"error {error.verify_code}",
        "the FMC's certificate chain is not one this client can trust; check that the host is "
        "the FMC that created the client"))
    return (f"the FMC's certificate at {host}:{port} failed verification, "
            f"{check.format(host=host)} ({detail}): {fix.format(now=now)}")


def connect(host: str, port: int, context: ssl.SSLContext, timeout: float = 10.0,
            stop=None) -> ssl.SSLSocket:
    """TCP connect and TLS handshake, each bounded by ``timeout``; :class:`Stopped` as soon as
    ``stop`` (a ``threading.Event``) is set."""
    return tls_handshake(open_tcp(host, port, timeout, stop), context, host, port, timeout, stop)


def local_address(sock: socket.socket) -> str:
    return sock.getsockname()[0]


def closed_after_request_hint(identity: Identity, source: str) -> str:
    """Why an FMC drops a client right after the request, as far as we can tell from here."""
    named = identity.info.addresses
    if named and source not in named:
        return (f"the client certificate is for {', '.join(named)} but this host connects from "
                f"{source}: the FMC compares them (behind NAT use the address the FMC sees); "
                f"create a client on the FMC for that address")
    return ("the FMC closed the connection after the request: the client may have been deleted "
            "on the FMC, or a NAT device changes this host's address")
