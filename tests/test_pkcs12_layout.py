"""estreamer.pkcs12_layout: what a PKCS12 says about itself before anything is decrypted."""
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from estreamer.pkcs12_layout import describe_upload, read_layout
from pkcs12_files import openssl_needed, rc2_pkcs12, with_kdf_rounds, with_mac_iterations
from simulator import PASSWORD


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_the_simulators_client_reads_as_aes_with_2048_rounds_and_a_2048_round_mac(pki):
    layout = read_layout(read(pki.client))
    assert layout.mac_iterations == 2048
    assert [(e.part, e.algorithm, e.iterations, e.legacy) for e in layout.encryptions] == [
        ("certificates", "AES-256", 2048, False), ("private key", "AES-256", 2048, False)]
    assert layout.legacy_algorithms == [] and len(layout.key_bags) == 1


def test_the_mac_iteration_count_is_read_from_the_der(pki):
    layout = read_layout(with_mac_iterations(read(pki.client), 2_000_000))
    assert layout.mac_iterations == 2_000_000
    assert layout.costliest == (2_000_000, "the MAC")


def test_the_key_derivation_rounds_of_each_encrypted_part_are_read(pki):
    layout = read_layout(with_kdf_rounds(read(pki.client), PASSWORD, 30_000))
    assert [e.iterations for e in layout.encryptions] == [30_000, 30_000]
    assert layout.costliest == (30_000, "the certificates (AES-256)")


@openssl_needed
def test_an_openssl_legacy_export_is_rc2_40_for_the_certificates(pki, tmp_path):
    layout = read_layout(rc2_pkcs12(pki.client, PASSWORD, tmp_path))
    assert layout.legacy_algorithms == ["RC2-40"]
    assert {(e.part, e.algorithm) for e in layout.encryptions} == {
        ("certificates", "RC2-40"), ("private key", "3DES")}
    assert layout.mac_iterations == 2048


def test_the_key_bag_is_handed_out_as_der_cryptography_reads(pki):
    (bag,) = read_layout(read(pki.client)).key_bags
    key = serialization.load_der_private_key(bag, PASSWORD.encode())
    assert key.key_size == 256


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x03\x02\x01\x02", b"hello world",
                                  b"\x30\x84\xff\xff\xff\xff"])
def test_anything_else_has_no_layout(data):
    assert read_layout(data) is None


def test_a_pem_certificate_is_named(pki):
    assert describe_upload(read(pki.ca)).startswith("a PEM certificate")


def test_a_pem_key_is_named(pki):
    assert describe_upload(read(pki.ca_key)) == "a PEM private key (-----BEGIN PRIVATE KEY-----)"


def test_a_der_certificate_is_named_with_its_subject(pki):
    der = x509.load_pem_x509_certificate(read(pki.ca)).public_bytes(serialization.Encoding.DER)
    assert describe_upload(der) == ("a DER certificate without a key "
                                    "(C=US,O=Cisco Systems\\, Inc,OU=Intrusion Management System,"
                                    "CN=InternalCA-fmcsim)")


def test_garbage_is_named_by_its_size_and_first_bytes():
    assert describe_upload(bytes(range(200))) == (
        "200 bytes of unrecognised data (starting 00010203)")


def test_a_text_file_is_named():
    assert describe_upload(b"password: s3cret\n") == "a text file (17 bytes)"


def test_a_zip_archive_is_named():
    assert describe_upload(b"PK\x03\x04" + bytes(40)).startswith("a ZIP archive")
