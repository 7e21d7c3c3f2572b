"""A throw-away PKI shaped like the one an FMC runs for eStreamer.

The FMC's internal CA signs both its own server certificate and every client certificate it
issues; a client certificate names the client's IP (CN and SAN), carries EKU clientAuth and
comes as a password-protected PKCS12 with the CA as chain. Besides the good identity this mints
the bad ones the client must explain: a certificate issued for another IP, one from a CA the
simulator does not trust and an expired one. Besides the FMC's server certificate it mints the
others the FMC's CA could have signed, which the simulator presents on request
(``serve --server-cert NAME``): a second one (an FMC that replaced its certificate, or another
host of the same PKI), an expired one, one not valid yet and one for the wrong purpose
(clientAuth). EC P-256 keys keep minting fast.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.hazmat.primitives.serialization.pkcs12 import PBES
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

WRONG_IP = "10.9.9.9"
# server certificates by name (files NAME.pem and NAME.key); "server" is the FMC's own
SERVER_CERTIFICATES = ("server", "server-2", "server-expired", "server-not-yet-valid",
                       "server-wrong-purpose")


@dataclass(frozen=True)
class Pki:
    directory: str
    ca: str
    ca_key: str
    server_cert: str
    server_key: str
    client: str
    client_legacy: str
    client_wrong_ip: str
    client_other_ca: str
    other_ca: str
    password: str
    client_ip: str
    client_expired: str = ""

    def server_files(self, name: str = "server") -> tuple:
        """(certificate, key) paths of one of :data:`SERVER_CERTIFICATES`."""
        if name not in SERVER_CERTIFICATES:
            raise ValueError(f"unknown server certificate {name!r}; choose from "
                             f"{', '.join(SERVER_CERTIFICATES)}")
        return (os.path.join(self.directory, f"{name}.pem"),
                os.path.join(self.directory, f"{name}.key"))

    def files(self) -> list:
        servers = [path for name in SERVER_CERTIFICATES[1:] for path in self.server_files(name)]
        return [self.ca, self.ca_key, self.server_cert, self.server_key, self.client,
                self.client_legacy, self.client_wrong_ip, self.client_other_ca, self.other_ca,
                self.client_expired] + servers


def _name(cn: str, ou: str = "Intrusion Management System") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cisco Systems, Inc"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
    ])


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _builder(subject, issuer, public_key, days=3650, starts=-1):
    """Valid from ``starts`` days from now (negative: in the past) for ``days`` days from now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=starts))
            .not_valid_after(now + datetime.timedelta(days=days)))


def _ca(cn: str):
    key = _key()
    name = _name(cn)
    cert = (_builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, cn: str, ips, dns, usage, days=825, starts=-1):
    key = _key()
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (_builder(_name(cn), ca_cert.subject, key.public_key(), days=days, starts=starts)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _client_p12(ca_key, ca_cert, ip: str, password: str, legacy: bool = False,
                expired: bool = False) -> bytes:
    # FMC style: CN = the client's IP, SAN carries it both as DNS name and IP address.
    validity = dict(days=-1, starts=-366) if expired else {}
    key, cert = _leaf(ca_key, ca_cert, ip, [ip], [ip], ExtendedKeyUsageOID.CLIENT_AUTH,
                      **validity)
    if legacy:  # what older FMCs (and `openssl pkcs12 -legacy`) write: 3DES keys, RC2 certs
        algorithm = PBES.PBESv1SHA1And3KeyTripleDESCBC
    else:
        algorithm = PBES.PBESv2SHA256AndAES256CBC
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(2048 if not legacy else 2000)
                  .key_cert_algorithm(algorithm)
                  .hmac_hash(hashes.SHA1() if legacy else hashes.SHA256())
                  .build(password.encode()))
    return pkcs12.serialize_key_and_certificates(ip.encode(), key, cert, [ca_cert], encryption)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: str, data: bytes, private: bool = False):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def mint(directory, client_ip: str = "127.0.0.1", password: str = "estreamer") -> Pki:
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    pki = load(directory, password, client_ip)

    ca_key, ca_cert = _ca("InternalCA-fmcsim")
    other_key, other_cert = _ca("InternalCA-elsewhere")
    server = ExtendedKeyUsageOID.SERVER_AUTH
    variants = {"server": (server, {}), "server-2": (server, {}),
                "server-expired": (server, dict(days=-1, starts=-366)),
                "server-not-yet-valid": (server, dict(days=825, starts=30)),
                "server-wrong-purpose": (ExtendedKeyUsageOID.CLIENT_AUTH, {})}
    for name in SERVER_CERTIFICATES:
        usage, validity = variants[name]
        key, cert = _leaf(ca_key, ca_cert, "localhost", ["127.0.0.1"], ["localhost"], usage,
                          **validity)
        cert_path, key_path = pki.server_files(name)
        _write(cert_path, _pem_cert(cert))
        _write(key_path, _pem_key(key), private=True)

    _write(pki.ca, _pem_cert(ca_cert))
    _write(pki.ca_key, _pem_key(ca_key), private=True)
    _write(pki.other_ca, _pem_cert(other_cert))
    _write(pki.client, _client_p12(ca_key, ca_cert, client_ip, password), private=True)
    _write(pki.client_legacy, _client_p12(ca_key, ca_cert, client_ip, password, legacy=True),
           private=True)
    _write(pki.client_wrong_ip, _client_p12(ca_key, ca_cert, WRONG_IP, password), private=True)
    _write(pki.client_other_ca, _client_p12(other_key, other_cert, client_ip, password),
           private=True)
    _write(pki.client_expired, _client_p12(ca_key, ca_cert, client_ip, password, expired=True),
           private=True)
    return pki


def load(directory, password: str = "estreamer", client_ip: str = "127.0.0.1") -> Pki:
    """The paths of a PKI minted earlier into ``directory`` (nothing is read or checked)."""
    directory = os.fspath(directory)
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    return Pki(directory, p("ca.pem"), p("ca.key"), p("server.pem"), p("server.key"),
               p("client.pkcs12"), p("client-legacy.pkcs12"), p("client-wrong-ip.pkcs12"),
               p("client-other-ca.pkcs12"), p("other-ca.pem"), password, client_ip,
               p("client-expired.pkcs12"))


def certificate_ips(der: bytes) -> list:
    """The IPs a client certificate is issued for: SAN IP and DNS entries and the CN."""
    cert = x509.load_der_x509_certificate(der)
    names = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        names += san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    names += [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    out = []
    for name in names:
        try:
            ip = str(ipaddress.ip_address(name))
        except ValueError:
            continue
        if ip not in out:
            out.append(ip)
    return out
