"""PKCS12 files the client must judge without opening them: RC2-40 ones as `openssl pkcs12
-export -legacy` writes them (``cryptography`` cannot write RC2), ones with costly key derivation,
and a MAC iteration count set in the DER by hand (making a file with a real 2,000,000-round MAC
would itself take seconds; the client must refuse it from the count alone, before any round)."""
import os
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.hazmat.primitives.serialization.pkcs12 import PBES

OPENSSL = shutil.which("openssl")
openssl_needed = pytest.mark.skipif(
    OPENSSL is None, reason="needs the openssl command (apt-get install openssl; `bash .ci/run` "
                            "installs it)")


def _length(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _element(data, offset):
    """(tag, content start, end) of a DER element."""
    first = data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    return data[offset], start, start + length


def _children(data, start, end):
    out = []
    while start < end:
        tag, content, stop = _element(data, start)
        out.append((start, stop))
        start = stop
    return out


def with_mac_iterations(data: bytes, iterations: int) -> bytes:
    """The PKCS12 ``data`` with its MacData's iteration count replaced (the MAC no longer
    verifies: only a reader that trusts the count before computing would notice nothing)."""
    _, start, end = _element(data, 0)
    version, auth_safe, mac = [data[a:b] for a, b in _children(data, start, end)]
    _, mac_start, mac_end = _element(mac, 0)
    digest, salt, _ = [mac[a:b] for a, b in _children(mac, mac_start, mac_end)]
    count = iterations.to_bytes((iterations.bit_length() + 8) // 8, "big")
    body = digest + salt + b"\x02" + _length(len(count)) + count
    mac = b"\x30" + _length(len(body)) + body
    body = version + auth_safe + mac
    return b"\x30" + _length(len(body)) + body


def with_kdf_rounds(pkcs12_data: bytes, password: str, rounds: int) -> bytes:
    """The same key and certificates re-encrypted with ``rounds`` PBKDF2 rounds (MAC: 2,048)."""
    key, cert, chain = pkcs12.load_key_and_certificates(pkcs12_data, password.encode())
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(rounds)
                  .key_cert_algorithm(PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256()).build(password.encode()))
    return pkcs12.serialize_key_and_certificates(b"client", key, cert, chain, encryption)


def openssl(*args, env=None, **kw):
    return subprocess.run([OPENSSL] + [str(a) for a in args], capture_output=True, check=True,
                          timeout=60, env=dict(os.environ, **(env or {})), **kw)


def rc2_pkcs12(pkcs12_path, password: str, directory) -> bytes:
    """The client of ``pkcs12_path`` re-exported by `openssl pkcs12 -export -legacy`: RC2-40
    certificates, a 3DES key, SHA-1 MAC, as older FMCs (and OpenSSL 1.x) write them."""
    key, cert, chain = pkcs12.load_key_and_certificates(
        open(pkcs12_path, "rb").read(), password.encode())
    pem = os.path.join(str(directory), "client-rc2.pem")
    with open(os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
        for c in [cert] + list(chain):
            f.write(c.public_bytes(serialization.Encoding.PEM))
    out = os.path.join(str(directory), "client-rc2.pkcs12")
    openssl("pkcs12", "-export", "-legacy", "-in", pem, "-passout", "env:P12_PASSWORD",
            "-out", out, env={"P12_PASSWORD": password})
    os.unlink(pem)
    with open(out, "rb") as f:
        return f.read()
