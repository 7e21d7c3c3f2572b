"""What a PKCS12 file says about itself before anything in it is decrypted (RFC 7292).

The MAC's iteration count, and the algorithm and iteration count of every encrypted part, sit in
the file's outer, unencrypted layers. They tell, for the price of a few hundred byte reads,
whether opening the file is cheap (a 2,000,000-round file costs seconds of CPU on every save and
every input start) and whether it needs OpenSSL's legacy provider (RC2, RC4, single DES).

A minimal DER walk on purpose: ``cryptography`` has no public ASN.1 reader and Splunk's Pythons
ship no ASN.1 library, and these few structures are all that is needed. Whatever the walk does
not understand makes :func:`read_layout` return None: it never refuses a file on its own.
Parts inside an encrypted part (a key bag within encrypted data) cannot be seen before
decryption; FMC exports put the key bag in plain data, next to the encrypted certificates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

MAX_ITERATIONS = 1_000_000  # OpenSSL writes 2,048; anything above a million is a mistake or a trap
_MAX_DEPTH = 32

# content types, bag types, PBE algorithms (RFC 7292, RFC 8018)
_DATA = "1.2.840.113549.1.7.1"
_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
_SAFE_CONTENTS_BAG = "1.2.840.113549.1.12.10.1.6"
_PBES2 = "1.2.840.113549.1.5.13"
_PBKDF2 = "1.2.840.113549.1.5.12"

# OID -> (name, needs OpenSSL's legacy provider)
_ALGORITHMS = {
    "1.2.840.113549.1.12.1.1": ("RC4-128", True),
    "1.2.840.113549.1.12.1.2": ("RC4-40", True),
    "1.2.840.113549.1.12.1.3": ("3DES", False),
    "1.2.840.113549.1.12.1.4": ("2-key 3DES", False),
    "1.2.840.113549.1.12.1.5": ("RC2-128", True),
    "1.2.840.113549.1.12.1.6": ("RC2-40", True),
    "1.2.840.113549.1.5.1": ("DES (MD2)", True),
    "1.2.840.113549.1.5.3": ("DES (MD5)", True),
    "1.2.840.113549.1.5.4": ("RC2 (MD2)", True),
    "1.2.840.113549.1.5.6": ("RC2 (MD5)", True),
    "1.2.840.113549.1.5.10": ("DES (SHA-1)", True),
    "1.2.840.113549.1.5.11": ("RC2 (SHA-1)", True),
    # PBES2 encryption schemes
    "2.16.840.1.101.3.4.1.2": ("AES-128", False),
    "2.16.840.1.101.3.4.1.22": ("AES-192", False),
    "2.16.840.1.101.3.4.1.42": ("AES-256", False),
    "1.2.840.113549.3.7": ("3DES", False),
    "1.3.14.3.2.7": ("DES", True),
    "1.2.840.113549.3.2": ("RC2", True),
}


class _Malformed(Exception):
    pass


@dataclass(frozen=True)
class Encryption:
    part: str          # "certificates" (encrypted data) or "private key" (shrouded key bag)
    algorithm: str
    iterations: Optional[int]
    legacy: bool


@dataclass(frozen=True)
class Pkcs12Layout:
    mac_iterations: Optional[int]             # None: the file has no MAC
    encryptions: Tuple[Encryption, ...]
    key_bags: Tuple[bytes, ...]               # DER EncryptedPrivateKeyInfo, readable by cryptography

    @property
    def costliest(self) -> Tuple[int, str]:
        """(iterations, what) of the most expensive key derivation in the file."""
        found = [(self.mac_iterations or 0, "the MAC")]
        found += [(e.iterations or 0, f"the {e.part} ({e.algorithm})") for e in self.encryptions]
        return max(found, key=lambda item: item[0])

    @property
    def legacy_algorithms(self) -> List[str]:
        names = []
        for e in self.encryptions:
            if e.legacy and e.algorithm not in names:
                names.append(e.algorithm)
        return names


# --- DER -----------------------------------------------------------------------------------

def _read(data: bytes, offset: int, end: int):
    """(tag, content start, content end, next offset, offset) of the element at ``offset``;
    BER's indefinite lengths (some Windows and Java exports) are followed to their end marker."""
    if offset + 2 > end:
        raise _Malformed("cut short")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise _Malformed("multi-byte tag")
    first = data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        if not tag & 0x20:
            raise _Malformed("indefinite primitive")
        position = start
        while True:
            if position + 2 > end:
                raise _Malformed("no end-of-contents")
            if data[position] == 0 and data[position + 1] == 0:
                return tag, start, position, position + 2, offset
            position = _read(data, position, end)[3]
    else:
        count = first & 0x7F
        if count > 4 or start + count > end:
            raise _Malformed("length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    if start + length > end:
        raise _Malformed("cut short")
    return tag, start, start + length, start + length, offset


def _children(data: bytes, start: int, end: int) -> list:
    out, position = [], start
    while position < end:
        if data[position] == 0 and position + 1 < end and data[position + 1] == 0:
            break  # end-of-contents of an indefinite length
        element = _read(data, position, end)
        out.append(element)
        position = element[3]
    return out


def _expect(data, element, tag):
    if element[0] != tag:
        raise _Malformed(f"tag {element[0]:#x} where {tag:#x} belongs")
    return element


def _oid(data, element) -> str:
    _expect(data, element, 0x06)
    raw = data[element[1]:element[2]]
    if not raw:
        raise _Malformed("empty OID")
    parts, value = [], 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = min(parts[0] // 40, 2)
    return ".".join(str(p) for p in [first, parts[0] - 40 * first] + parts[1:])


def _integer(data, element) -> int:
    _expect(data, element, 0x02)
    return int.from_bytes(data[element[1]:element[2]], "big", signed=True)


def _octets(data, element) -> bytes:
    """An OCTET STRING's bytes, also when BER splits it into constructed chunks."""
    tag, start, end = element[:3]
    if tag in (0x04, 0x80):
        return data[start:end]
    if tag in (0x24, 0xA0):
        return b"".join(_octets(data, child) for child in _children(data, start, end))
    raise _Malformed(f"tag {tag:#x} where an OCTET STRING belongs")


def _explicit(data, element):
    """The one element inside a ``[0] EXPLICIT`` wrapper."""
    _expect(data, element, 0xA0)
    inner = _children(data, element[1], element[2])
    if not inner:
        raise _Malformed("empty [0]")
    return inner[0]


# --- PKCS12 --------------------------------------------------------------------------------

def _encryption(data, algorithm, part) -> Encryption:
    """The algorithm and iteration count of an AlgorithmIdentifier of a PBE scheme."""
    fields = _children(data, algorithm[1], algorithm[2])
    oid = _oid(data, fields[0])
    params = fields[1] if len(fields) > 1 else None
    if oid == _PBES2 and params is not None:
        kdf, scheme = _children(data, params[1], params[2])[:2]
        kdf_fields = _children(data, kdf[1], kdf[2])
        iterations = None
        if _oid(data, kdf_fields[0]) == _PBKDF2:
            iterations = _integer(data, _children(data, kdf_fields[1][1], kdf_fields[1][2])[1])
        scheme_oid = _oid(data, _children(data, scheme[1], scheme[2])[0])
        name, legacy = _ALGORITHMS.get(scheme_oid, (scheme_oid, False))
        return Encryption(part, name, iterations, legacy)
    name, legacy = _ALGORITHMS.get(oid, (oid, False))
    iterations = None
    if params is not None and params[0] == 0x30:
        salt_and_count = _children(data, params[1], params[2])
        if len(salt_and_count) > 1:
            iterations = _integer(data, salt_and_count[1])
    return Encryption(part, name, iterations, legacy)


def _safe_contents(data, blob, encryptions, key_bags, depth):
    if depth > _MAX_DEPTH:
        raise _Malformed("nested too deep")
    sequence = _expect(blob, _read(blob, 0, len(blob)), 0x30)
    for bag in _children(blob, sequence[1], sequence[2]):
        fields = _children(blob, bag[1], bag[2])
        kind = _oid(blob, fields[0])
        if kind == _SHROUDED_KEY_BAG:
            info = _explicit(blob, fields[1])
            algorithm = _children(blob, info[1], info[2])[0]
            encryptions.append(_encryption(blob, algorithm, "private key"))
            key_bags.append(_element_bytes(blob, info))
        elif kind == _SAFE_CONTENTS_BAG:
            inner = _explicit(blob, fields[1])
            _safe_contents(data, _element_bytes(blob, inner), encryptions, key_bags, depth + 1)


def _element_bytes(data, element) -> bytes:
    """The element's whole encoding (header and content); an indefinite length made definite
    (its content is then kept as is: what cryptography reads in the key bags is DER anyway)."""
    tag, start, end, following, header = element
    if following == end:
        return bytes(data[header:end])
    content = data[start:end]
    return bytes([tag]) + _length(len(content)) + bytes(content)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _layout(data: bytes) -> Pkcs12Layout:
    pfx = _expect(data, _read(data, 0, len(data)), 0x30)
    fields = _children(data, pfx[1], pfx[2])
    if len(fields) < 2 or _integer(data, fields[0]) != 3:
        raise _Malformed("not PFX version 3")
    auth_safe = _children(data, fields[1][1], fields[1][2])
    if _oid(data, auth_safe[0]) != _DATA:
        raise _Malformed("public-key integrity mode")
    safes = _octets(data, _explicit(data, auth_safe[1]))
    mac_iterations = None
    if len(fields) > 2:
        mac = _children(data, fields[2][1], fields[2][2])
        mac_iterations = _integer(data, mac[2]) if len(mac) > 2 else 1  # DEFAULT 1
    encryptions: list = []
    key_bags: list = []
    outer = _expect(safes, _read(safes, 0, len(safes)), 0x30)
    for info in _children(safes, outer[1], outer[2]):
        parts = _children(safes, info[1], info[2])
        kind = _oid(safes, parts[0])
        if kind == _DATA:
            blob = _octets(safes, _explicit(safes, parts[1]))
            _safe_contents(safes, blob, encryptions, key_bags, 0)
        elif kind == _ENCRYPTED_DATA:
            encrypted = _children(safes, *_explicit(safes, parts[1])[1:3])
            content_info = _children(safes, encrypted[1][1], encrypted[1][2])
            encryptions.append(_encryption(safes, content_info[1], "certificates"))
        elif kind == _ENVELOPED_DATA:
            encryptions.append(Encryption("certificates", "public-key envelope", None, False))
    return Pkcs12Layout(mac_iterations, tuple(encryptions), tuple(key_bags))


def read_layout(data: bytes) -> Optional[Pkcs12Layout]:
    """The layout of a PKCS12 file, or None if this is not one the walk understands."""
    try:
        return _layout(bytes(data))
    except (_Malformed, IndexError, ValueError):
        return None


# --- what it is, if not a PKCS12 -------------------------------------------------------------

def describe_upload(data: bytes) -> str:
    """A few words on what the bytes are, for "not a readable PKCS12" messages."""
    head = bytes(data[:4096]).lstrip()
    if head.startswith(b"-----BEGIN "):
        label = head[11:].split(b"-----", 1)[0].decode("ascii", "replace").strip()
        if label == "CERTIFICATE":
            return "a PEM certificate (text starting with -----BEGIN CERTIFICATE-----)"
        if label.endswith("PRIVATE KEY"):
            return f"a PEM private key (-----BEGIN {label}-----)"
        return f"a PEM file (-----BEGIN {label}-----)"
    if data[:4] == b"PK\x03\x04":
        return "a ZIP archive (unpack it and upload the .pkcs12 file inside)"
    if data[:1] == b"\x30":
        try:
            from cryptography import x509
            cert = x509.load_der_x509_certificate(bytes(data))
            return f"a DER certificate without a key ({cert.subject.rfc4514_string()})"
        except ValueError:
            pass
        try:
            _read(bytes(data), 0, len(data))
            return f"DER data of {len(data)} bytes that is not a PKCS12"
        except _Malformed:
            pass
    try:
        text = bytes(data[:4096]).decode("utf-8")
        if all(c.isprintable() or c in "\r\n\t" for c in text):
            return f"a text file ({len(data)} bytes)"
    except UnicodeDecodeError:
        pass
    return f"{len(data)} bytes of unrecognised data (starting {bytes(data[:4]).hex()})"


def reexport_command(legacy: bool, name: str = "client.pkcs12") -> str:
    """The shell command that rewrites a PKCS12 with AES-256, SHA-256 and 2,048 rounds (the
    password in ``PKCS12_PASSWORD``). The key passes through a PEM file encrypted with the same
    password, removed at the end (``openssl pkcs12 -export`` cannot read key and certificates
    from one pipe). On OpenSSL 1.1 leave out ``-legacy``."""
    source = "-legacy " if legacy else ""
    stem = name.rsplit(".", 1)[0]
    return (f"openssl pkcs12 {source}-in {name} -passin env:PKCS12_PASSWORD "
            f"-passout env:PKCS12_PASSWORD -out {stem}.pem && "
            f"openssl pkcs12 -export -in {stem}.pem -passin env:PKCS12_PASSWORD "
            f"-certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256 -iter 2048 "
            f"-passout env:PKCS12_PASSWORD -out {stem}-aes.pkcs12 && rm {stem}.pem")
