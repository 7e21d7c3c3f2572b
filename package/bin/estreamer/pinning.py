"""The FMC's certificate pinned by its SHA-256 fingerprint.

The CA in the client's PKCS12 signs every certificate of that FMC's internal PKI, so CA
verification alone accepts any of them as the FMC. A pin names the one certificate the FMC
presented when its server was saved (the add-on's setup page stores it in
``server_cert_sha256``; the CLI takes ``--server-cert-sha256``). A pin belongs to one address:
each FMC an input may connect to has its own.

Fingerprints are written as OpenSSL and the FMC show them: upper-case hex pairs joined by colons.
"""
from __future__ import annotations

import hashlib
import re
from typing import Optional

from .connection import ConnectError

_HEX = re.compile(r"[0-9a-f]{64}")


class CertificateChanged(ConnectError):
    """The FMC presented another certificate than the pinned one."""

    def __init__(self, message: str, presented: str, pinned: str):
        super().__init__(message, "certificate-changed")
        self.presented, self.pinned = presented, pinned


def fingerprint(der: bytes) -> str:
    """``AB:CD:...``: the SHA-256 of a DER certificate."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, 64, 2))


def normalize(text: Optional[str]) -> str:
    """A fingerprint as typed or pasted (colons, spaces, any case, or ``openssl x509
    -fingerprint``'s ``sha256 Fingerprint=`` prefix) in the canonical form; "" for none."""
    value = (text or "").strip()
    if "=" in value:
        value = value.split("=", 1)[1]
    digits = re.sub(r"[\s:]", "", value).lower()
    if not digits:
        return ""
    if not _HEX.fullmatch(digits):
        raise ValueError(f"{text.strip()!r} is not a SHA-256 fingerprint: 64 hexadecimal "
                         f"digits, in pairs separated by colons (AB:CD:...)")
    return ":".join(digits[i:i + 2] for i in range(0, 64, 2)).upper()


def presented(tls) -> str:
    """The fingerprint of the certificate the peer of a TLS socket presented."""
    return fingerprint(tls.getpeercert(binary_form=True))


def mismatch_message(host: str, port: int, presented_fp: str, pinned_fp: str) -> str:
    return (f"the FMC at {host}:{port} presented a certificate with SHA-256 {presented_fp}, but "
            f"the certificate pinned for it is {pinned_fp}: if the FMC's certificate was replaced "
            f"on purpose, accept the new one by saving the FMC server again with its field "
            f"server_cert_sha256 (FMC certificate SHA-256) cleared, or set to the new fingerprint "
            f"(command line: --server-cert-sha256); otherwise another server answers at that "
            f"address")


def check_pinned(tls, host: str, port: int, pinned: Optional[str]) -> str:
    """The presented fingerprint; :class:`CertificateChanged` if a pin exists and differs."""
    seen = presented(tls)
    expected = normalize(pinned)
    if expected and seen != expected:
        raise CertificateChanged(mismatch_message(host, port, seen, expected), seen, expected)
    return seen
