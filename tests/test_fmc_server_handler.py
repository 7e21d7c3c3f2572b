"""The FMC-server REST handler: the checks run when an FMC server is saved, without splunkd.

``validate_fmc_server`` runs against real PKCS12 files minted here (and the client's real
``load_identity``); the connection test is replaced by a recorder except where a closed local
port gives the real verdict. ``FmcServerHandler`` itself needs ``splunk.admin``, which only
splunkd has: a minimal stand-in lets its create/edit paths run.
"""
import base64
import datetime
import importlib
import socket
import sys
import types

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

from estreamer_splunk import fmc_server_handler as h

PASSWORD = "s3cret-Pa55"


def mint_pkcs12(password=PASSWORD, client_ip="192.0.2.10"):
    """An FMC-style client PKCS12: key and certificate for the client's IP, plus the issuing CA."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test FMC internal CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, client_ip)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(ca_key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(
        b"client", key, cert, [ca], BestAvailableEncryption(password.encode()))


@pytest.fixture(scope="module")
def p12():
    return mint_pkcs12()


PRESENTED = ":".join(["AB"] * 32)  # the fingerprint of the certificate a recorded FMC presents


class Report:
    def __init__(self, ok=True, verdict="", failed=(), server_cert_sha256=PRESENTED):
        self.ok, self.verdict = ok, verdict
        self.steps = [types.SimpleNamespace(name=name, ok=False, detail=verdict) for name in failed]
        self.server_cert_sha256 = server_cert_sha256


class Recorder:
    """Stands in for ``estreamer.diagnostics.diagnose`` and remembers its arguments."""

    def __init__(self, report=None):
        self.report = report or Report()
        self.calls = []
        self.generations = []  # the event generation each check asked for

    def __call__(self, host, port, pkcs12, password, verify=True, timeout=10.0,
                 server_cert_sha256="", generation="auto"):
        self.calls.append(dict(host=host, port=port, pkcs12=pkcs12, password=password,
                               verify=verify, timeout=timeout,
                               server_cert_sha256=server_cert_sha256))
        self.generations.append(generation)
        return self.report


def fields(p12, **kw):
    base = dict(name="fmc1", host="fmc.example.test", port="8302",
                pkcs12_file=base64.b64encode(p12).decode(), pkcs12_password=PASSWORD,
                verify_server_cert="1", connect_timeout="10", response_timeout="30")
    base.update(kw)
    return base


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- validate_fmc_server -------------------------------------------------------------------------
def test_valid_server_runs_the_connection_test_with_the_uploaded_bytes(p12):
    diagnose = Recorder()
    h.validate_fmc_server(fields(p12), diagnose=diagnose)
    assert diagnose.calls == [dict(host="fmc.example.test", port=8302, pkcs12=p12,
                                   password=PASSWORD, verify=True, timeout=8.0,
                                   server_cert_sha256="")]


def test_wrong_password_is_named(p12):
    diagnose = Recorder()
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12, pkcs12_password="nope"), diagnose=diagnose)
    assert str(e.value) == "the PKCS12 password is wrong"
    assert diagnose.calls == []


def test_missing_password_for_a_protected_file(p12):
    with pytest.raises(ValueError, match="the PKCS12 password is wrong"):
        h.validate_fmc_server(fields(p12, pkcs12_password=""), diagnose=Recorder())


@pytest.mark.parametrize("upload, message", [
    ("", "upload the PKCS12 file"),
    ("##INVALID_FILE##", "not a .pkcs12/.p12 file"),
    ("not*base64!", "not base64-encoded"),
    (base64.b64encode(b"this is no PKCS12").decode(), "not a readable PKCS12"),
])
def test_unusable_upload(p12, upload, message):
    with pytest.raises(ValueError, match=message):
        h.validate_fmc_server(fields(p12, pkcs12_file=upload), diagnose=Recorder())


def test_base64_with_line_breaks_is_accepted(p12):
    text = base64.encodebytes(p12).decode()  # 76-column lines
    diagnose = Recorder()
    h.validate_fmc_server(fields(p12, pkcs12_file=text), diagnose=diagnose)
    assert diagnose.calls[0]["pkcs12"] == p12


def test_connection_verdict_becomes_the_message(p12):
    verdict = "the FMC refused the client certificate: recreate the client on the FMC"
    diagnose = Recorder(Report(ok=False, verdict=verdict, failed=["TLS handshake"]))
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12), diagnose=diagnose)
    assert str(e.value) == verdict


def test_a_quiet_fmc_can_be_saved(p12):
    """Connected and streaming, but no record arrived in the short check window."""
    diagnose = Recorder(Report(ok=False, verdict="the FMC sent no records", failed=["records"]))
    h.validate_fmc_server(fields(p12), diagnose=diagnose)


def test_verification_off_and_timeouts(p12):
    diagnose = Recorder()
    h.validate_fmc_server(fields(p12, verify_server_cert="0", connect_timeout="3"),
                          diagnose=diagnose)
    assert diagnose.calls[0]["verify"] is False and diagnose.calls[0]["timeout"] == 3.0
    h.validate_fmc_server(fields(p12, verify_server_cert="false", connect_timeout="120"),
                          diagnose=diagnose)
    assert diagnose.calls[1]["verify"] is False
    assert diagnose.calls[1]["timeout"] == h.MAX_CHECK_TIMEOUT


@pytest.mark.parametrize("override, message", [
    (dict(host=" "), "host is required"),
    (dict(port="http"), "port must be a number"),
    (dict(port="70000"), "port must be from 1 to 65535"),
    (dict(connect_timeout="0"), "connect_timeout must be from 1 to 300"),
])
def test_bad_plain_fields(p12, override, message):
    with pytest.raises(ValueError, match=message):
        h.validate_fmc_server(fields(p12, **override), diagnose=Recorder())


def test_real_connection_test_against_a_closed_port(p12):
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12, host="127.0.0.1", port=str(closed_port()),
                                     connect_timeout="2"))
    message = str(e.value)
    assert message and "\n" not in message
    assert "password" not in message


# --- edits: the masked placeholder ---------------------------------------------------------------
def test_masked_secrets_are_taken_from_the_stored_stanza(p12):
    stored = fields(p12, host="old.example.test")
    payload = dict(host="new.example.test", pkcs12_file="******", pkcs12_password="******")
    merged = h.merge_with_stored(payload, stored)
    assert merged["host"] == "new.example.test"
    assert merged["pkcs12_file"] == stored["pkcs12_file"]
    assert merged["pkcs12_password"] == PASSWORD
    diagnose = Recorder()
    h.validate_fmc_server(merged, diagnose=diagnose)
    assert diagnose.calls[0]["pkcs12"] == p12 and diagnose.calls[0]["host"] == "new.example.test"


def test_a_new_password_on_edit_is_checked(p12):
    merged = h.merge_with_stored(dict(pkcs12_file="******", pkcs12_password="wrong"), fields(p12))
    with pytest.raises(ValueError, match="the PKCS12 password is wrong"):
        h.validate_fmc_server(merged, diagnose=Recorder())


def test_unreadable_stored_secret_skips_the_pkcs12_checks(p12, caplog):
    merged = h.merge_with_stored(fields(p12, pkcs12_password="********"), {})
    diagnose = Recorder()
    with caplog.at_level("INFO", logger="estreamer_splunk.fmc_server_handler"):
        h.validate_fmc_server(merged, diagnose=diagnose)
    assert diagnose.calls == []
    assert "pkcs12_password not re-entered" in caplog.text and "checks skipped" in caplog.text


# --- FmcServerHandler on a stand-in splunk.admin --------------------------------------------------
@pytest.fixture
def handler_module():
    admin = types.ModuleType("splunk.admin")
    admin.ACTION_CREATE, admin.ACTION_LIST, admin.ACTION_EDIT, admin.ACTION_REMOVE = 1, 16, 2, 4
    admin.CONTEXT_APP_ONLY = 1

    class MConfigHandler:
        def __init__(self, *args, **kwargs):
            pass

    admin.MConfigHandler = MConfigHandler
    admin.init = lambda *a, **k: None
    splunk = types.ModuleType("splunk")
    splunk.admin = admin
    names = ("splunk", "splunk.admin", "splunktaucclib.rest_handler.admin_external",
             "estreamer_splunk.fmc_server_handler")
    saved = {name: sys.modules.get(name) for name in names}
    for name in names[2:]:
        sys.modules.pop(name, None)
    sys.modules["splunk"], sys.modules["splunk.admin"] = splunk, admin
    try:
        yield importlib.import_module("estreamer_splunk.fmc_server_handler")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


class FakeRestHandler:
    """splunktaucclib's RestHandler as the admin handler uses it: get(decrypt=True), create, update."""

    def __init__(self, stored):
        self.stored, self.calls = stored, []

    def get_endpoint(self):
        return None

    def get(self, name, decrypt=False):
        self.calls.append(("get", name, decrypt))
        yield types.SimpleNamespace(name=name, content=dict(self.stored))

    def create(self, name, data):
        self.calls.append(("create", name, dict(data)))
        return iter(())

    def update(self, name, data):
        self.calls.append(("update", name, dict(data)))
        return iter(())

    def enable(self, name):
        self.calls.append(("enable", name))
        return iter(())


def make_handler(module, name, payload, stored, monkeypatch, diagnose):
    monkeypatch.setattr(module, "validate_fmc_server",
                        lambda f, _v=module.validate_fmc_server: _v(f, diagnose=diagnose))
    handler = object.__new__(module.FmcServerHandler)
    handler.callerArgs = types.SimpleNamespace(id=name, data={})
    handler.payload = payload
    handler.handler = FakeRestHandler(stored)
    handler.getSessionKey = lambda: "KEY"
    handler.create_hook = handler.edit_hook = lambda **kw: None
    return handler


def test_handler_create_rejects_a_wrong_password(handler_module, p12, monkeypatch):
    from splunktaucclib.rest_handler.error import RestError
    handler = make_handler(handler_module, "fmc1", fields(p12, pkcs12_password="nope"), {},
                           monkeypatch, Recorder())
    with pytest.raises(RestError) as e:
        handler.handleCreate({})
    assert e.value.status == 400 and e.value.message == "the PKCS12 password is wrong"
    assert "REST Error [400]: Bad Request -- the PKCS12 password is wrong" == str(e.value)
    assert handler.handler.calls == []


def test_handler_create_saves_a_valid_server(handler_module, p12, monkeypatch):
    diagnose = Recorder()
    payload = fields(p12)
    handler = make_handler(handler_module, "fmc1", payload, {}, monkeypatch, diagnose)
    handler.handleCreate({})
    assert [c[0] for c in handler.handler.calls] == ["create"]
    assert handler.handler.calls[0][2] == payload and diagnose.calls[0]["pkcs12"] == p12


def test_handler_edit_uses_the_stored_secrets(handler_module, p12, monkeypatch):
    diagnose = Recorder()
    payload = dict(host="10.0.0.9", port="8302", pkcs12_file="******", pkcs12_password="******",
                   verify_server_cert="1", connect_timeout="10", response_timeout="30")
    handler = make_handler(handler_module, "fmc1", payload, fields(p12), monkeypatch, diagnose)
    handler.handleEdit({})
    assert handler.handler.calls[0] == ("get", "fmc1", True)
    assert handler.handler.calls[1] == ("update", "fmc1", payload)  # the placeholders go on as is
    assert diagnose.calls[0]["pkcs12"] == p12 and diagnose.calls[0]["host"] == "10.0.0.9"


def test_handler_enable_does_not_validate(handler_module, p12, monkeypatch):
    diagnose = Recorder()
    handler = make_handler(handler_module, "fmc1", {"disabled": "0"}, fields(p12), monkeypatch,
                           diagnose)
    handler.handleEdit({})
    assert handler.handler.calls == [("enable", "fmc1")] and diagnose.calls == []


# --- the wiring in the built add-on --------------------------------------------------------------
FAKE_ADMIN = '''
import json
ACTION_CREATE, ACTION_LIST, ACTION_EDIT, ACTION_REMOVE = 1, 16, 2, 4
CONTEXT_APP_ONLY = 1


class MConfigHandler:
    pass


def init(handler, ctxInfo=None):
    endpoint = handler.endpoint
    print(json.dumps({
        "mro": [c.__module__ + "." + c.__name__ for c in handler.__mro__],
        "conf": endpoint.conf_name,
        "encrypted": sorted(f.name for f in endpoint.model(None).fields if f.encrypted),
    }))
'''


def test_built_rest_handler_runs_our_class(built, tmp_path):
    """restmap.conf points splunkd at the generated rh script, which hands the endpoint to
    FmcServerHandler; run the script as splunkd would, with a stand-in ``splunk.admin``."""
    import json
    import subprocess

    app = built["app"]
    restmap = (app / "default" / "restmap.conf").read_text()
    stanza = restmap.split("[admin_external:TA_firepower_estreamer_fmc_server]", 1)[1]
    stanza = stanza.split("\n[", 1)[0]
    assert "handlerfile = TA_firepower_estreamer_rh_fmc_server.py" in stanza
    assert "handleractions = edit, list, remove, create" in stanza
    script = app / "bin" / "TA_firepower_estreamer_rh_fmc_server.py"
    assert "from estreamer_splunk.fmc_server_handler import FmcServerHandler" in script.read_text()
    assert (app / "bin" / "estreamer_splunk" / "__init__.py").is_file()

    apps = tmp_path / "etc" / "apps"  # splunktaucclib finds the app name in the script's path
    apps.mkdir(parents=True)
    (apps / app.name).symlink_to(app, target_is_directory=True)
    script = apps / app.name / "bin" / script.name
    (tmp_path / "splunk").mkdir()
    (tmp_path / "splunk" / "__init__.py").write_text("")
    (tmp_path / "splunk" / "admin.py").write_text(FAKE_ADMIN)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=str(tmp_path), env={"PYTHONPATH": str(tmp_path),
                                                              "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["mro"][1] == "estreamer_splunk.fmc_server_handler.FmcServerHandler"
    assert "splunktaucclib.rest_handler.admin_external.AdminExternalHandler" in seen["mro"]
    assert seen["conf"] == "ta_firepower_estreamer_fmc_server"
    assert seen["encrypted"] == ["pkcs12_file", "pkcs12_password", "standby_pkcs12_file",
                                 "standby_pkcs12_password"]


# --- pinning the FMC's certificate ----------------------------------------------------------------
def test_the_first_save_pins_the_certificate_the_fmc_presented(p12):
    updates = h.validate_fmc_server(fields(p12), diagnose=Recorder())
    assert updates["server_cert_sha256"] == PRESENTED


def test_a_pinned_certificate_is_checked_and_kept(p12):
    diagnose = Recorder()
    pin = "ab" * 32
    updates = h.validate_fmc_server(fields(p12, server_cert_sha256=pin), diagnose=diagnose)
    assert diagnose.calls[0]["server_cert_sha256"] == ":".join(["AB"] * 32)
    assert updates["server_cert_sha256"] == ":".join(["AB"] * 32)


def test_a_malformed_pin_is_refused_before_the_pkcs12_is_opened(p12, opened):
    with pytest.raises(ValueError, match="^server_cert_sha256: 'AB:CD' is not a SHA-256 "
                                         "fingerprint"):
        h.validate_fmc_server(fields(p12, server_cert_sha256="AB:CD"), diagnose=Recorder())
    assert opened == []


def sha256_of(pem_path):
    from test_pinning import sha256_of
    return sha256_of(pem_path)


def simulator_fields(pki, sim, **kw):
    with open(pki.client, "rb") as f:
        upload = base64.b64encode(f.read()).decode()
    return dict(fields(b"", host="127.0.0.1", port=str(sim.port), pkcs12_file=upload,
                       pkcs12_password="s3cret", connect_timeout="5"), **kw)


def test_saving_against_the_simulator_pins_its_certificate(simulator, pki):
    sim = simulator("--records", 20)
    updates = h.validate_fmc_server(simulator_fields(pki, sim))
    assert updates["server_cert_sha256"] == sha256_of(pki.server_cert)


def test_another_certificate_of_the_same_ca_is_refused_on_save(simulator, pki):
    sim = simulator("--records", 20, "--server-cert", "server-2")
    pinned = sha256_of(pki.server_cert)
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(simulator_fields(pki, sim, server_cert_sha256=pinned))
    assert str(e.value).startswith(
        "the FMC at 127.0.0.1:{} presented a certificate with SHA-256 {}, but the certificate "
        "pinned for it is {}: if the FMC's certificate was replaced on purpose, accept the new "
        "one by saving the FMC server again with its field server_cert_sha256 (FMC certificate "
        "SHA-256) cleared".format(sim.port, sha256_of(pki.server_files("server-2")[0]), pinned))


def test_clearing_the_pin_accepts_the_new_certificate(simulator, pki):
    sim = simulator("--records", 20, "--server-cert", "server-2")
    updates = h.validate_fmc_server(simulator_fields(pki, sim, server_cert_sha256=""))
    assert updates["server_cert_sha256"] == sha256_of(pki.server_files("server-2")[0])


def test_unreadable_stored_secrets_leave_the_pin_as_it_is(p12):
    merged = h.merge_with_stored(dict(fields(p12, pkcs12_password="********"),
                                      server_cert_sha256="cd" * 32), {})
    updates = h.validate_fmc_server(merged, diagnose=Recorder())
    assert updates["server_cert_sha256"] == ":".join(["CD"] * 32)


# --- the host field: host, host:port, [v6], [v6]:port ----------------------------------------------
@pytest.mark.parametrize("typed, host, port", [
    ("fmc.example.test", "fmc.example.test", 8302),
    ("fmc.example.test:8443", "fmc.example.test", 8443),
    ("192.0.2.7:9000", "192.0.2.7", 9000),
    ("[2001:db8::7]", "2001:db8::7", 8302),
    ("[2001:db8::7]:9000", "2001:db8::7", 9000),
    ("2001:db8::7", "2001:db8::7", 8302),
])
def test_the_host_field_is_stored_as_host_and_port_apart(p12, typed, host, port):
    diagnose = Recorder()
    updates = h.validate_fmc_server(fields(p12, host=typed), diagnose=diagnose)
    assert (updates["host"], updates["port"]) == (host, str(port))
    assert (diagnose.calls[0]["host"], diagnose.calls[0]["port"]) == (host, port)


@pytest.mark.parametrize("typed, message", [
    ("https://fmc.example.test", "host: 'https://fmc.example.test' is not an address"),
    ("fmc.example.test/estreamer", "is not an address: enter a host name, an IP address, "
                                   "host:port, \\[IPv6\\] or \\[IPv6\\]:port"),
    ("fmc:0", "the port in 'fmc:0' must be a number from 1 to 65535"),
    ("fmc:http", "the port in 'fmc:http' must be"),
    ("[2001:db8::7", "write IPv6 as \\[address\\] or \\[address\\]:port"),
    ("[fmc.example.test]:8302", "is not an IPv6 address"),
    ("2001:db8:::7", "is not an IPv6 address"),
])
def test_a_host_in_no_accepted_form_is_refused(p12, typed, message):
    with pytest.raises(ValueError, match=message):
        h.validate_fmc_server(fields(p12, host=typed), diagnose=Recorder())


def test_the_setup_page_accepts_the_same_host_forms():
    """globalConfig.json's pattern (checked in the browser) lets through what the handler
    accepts, and stops a scheme or a path."""
    import json
    import re

    from conftest import REPO_ROOT
    config = json.loads((REPO_ROOT / "globalConfig.json").read_text())
    (tab,) = [t for t in config["pages"]["configuration"]["tabs"] if t.get("name") == "fmc_server"]
    (host,) = [e for e in tab["entity"] if e["field"] == "host"]
    pattern = re.compile(host["validators"][0]["pattern"])
    for typed in ("fmc.example.test", "fmc.example.test:8443", "192.0.2.7", "[2001:db8::7]",
                  "[2001:db8::7]:9000", "2001:db8::7"):
        assert pattern.match(typed), typed
    for typed in ("https://fmc.example.test", "fmc/x", "fmc example"):
        assert not pattern.match(typed), typed


# --- cheap checks first ---------------------------------------------------------------------------
@pytest.fixture
def opened(monkeypatch):
    """Records each time the upload is base64-decoded or the PKCS12 parsed."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    calls = []
    decode, load = base64.b64decode, pkcs12.load_key_and_certificates
    monkeypatch.setattr(base64, "b64decode",
                        lambda *a, **k: calls.append("b64decode") or decode(*a, **k))
    monkeypatch.setattr(pkcs12, "load_key_and_certificates",
                        lambda *a, **k: calls.append("pkcs12") or load(*a, **k))
    return calls


def test_a_20_mb_upload_is_refused_before_it_is_read(p12, opened):
    upload = "QUFB" * (5 * 1024 * 1024)  # 20 MB of base64
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12, pkcs12_file=upload), diagnose=Recorder())
    assert str(e.value) == ("the uploaded file is about 15,360 KB; a PKCS12 from the FMC is a few "
                            "KB and at most 64 KB are accepted: upload the .pkcs12 file the FMC "
                            "created for this client")
    assert opened == []


def test_a_file_just_over_64_kb_is_refused_unparsed(p12, opened):
    upload = base64.b64encode(bytes(64 * 1024 + 1)).decode()
    with pytest.raises(ValueError, match="^the uploaded file is about 64 KB; a PKCS12 from"):
        h.validate_fmc_server(fields(p12, pkcs12_file=upload), diagnose=Recorder())
    assert "pkcs12" not in opened


@pytest.mark.parametrize("override, message", [
    (dict(host="https://fmc"), "host: 'https://fmc' is not an address"),
    (dict(name="1fmc"), "the name '1fmc' must begin with a letter"),
    (dict(response_timeout="0"), "response_timeout must be from 1 to 3600"),
    (dict(pkcs12_password="x" * 257), "the PKCS12 password is longer than 256 characters"),
])
def test_field_patterns_are_checked_before_the_pkcs12_is_read(p12, opened, override, message):
    with pytest.raises(ValueError, match=message):
        h.validate_fmc_server(fields(p12, **override), diagnose=Recorder())
    assert opened == []


def test_a_pkcs12_of_two_million_rounds_is_refused_without_computing_them(p12, opened):
    from pkcs12_files import with_mac_iterations
    upload = base64.b64encode(with_mac_iterations(p12, 2_000_000)).decode()
    with pytest.raises(ValueError, match="^the PKCS12 uses 2,000,000 key-derivation rounds for "
                                         "the MAC, more than 1,000,000"):
        h.validate_fmc_server(fields(p12, pkcs12_file=upload), diagnose=Recorder())
    assert opened == ["b64decode"]


@pytest.mark.parametrize("which, named", [
    ("ca", "it is a PEM certificate"),
    ("server_cert", "it is a PEM certificate"),
    ("ca_key", "it is a PEM private key"),
])
def test_a_non_pkcs12_upload_is_named_with_what_is_expected(p12, pki, which, named):
    with open(getattr(pki, which), "rb") as f:
        upload = base64.b64encode(f.read()).decode()
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12, pkcs12_file=upload), diagnose=Recorder())
    assert str(e.value).startswith("the file is not a readable PKCS12: " + named)
    assert "expected the .pkcs12 file the FMC created for this client" in str(e.value)


# --- the handler stores what the checks return ----------------------------------------------------
def test_handler_create_stores_host_port_and_the_pin(handler_module, p12, monkeypatch):
    payload = fields(p12, host="[2001:db8::7]:9000", port="8302")
    handler = make_handler(handler_module, "fmc1", payload, {}, monkeypatch, Recorder())
    handler.handleCreate({})
    (call,) = handler.handler.calls
    assert call[0] == "create"
    assert (call[2]["host"], call[2]["port"], call[2]["server_cert_sha256"]) == (
        "2001:db8::7", "9000", PRESENTED)


def test_handler_edit_with_a_changed_certificate_is_refused(handler_module, p12, monkeypatch):
    from splunktaucclib.rest_handler.error import RestError
    stored = fields(p12, server_cert_sha256=":".join(["CD"] * 32))
    verdict = "the FMC at fmc.example.test:8302 presented a certificate with SHA-256 AB:..."
    diagnose = Recorder(Report(ok=False, verdict=verdict, failed=["FMC certificate"]))
    payload = dict(stored, pkcs12_file="******", pkcs12_password="******")
    handler = make_handler(handler_module, "fmc1", payload, stored, monkeypatch, diagnose)
    with pytest.raises(RestError) as e:
        handler.handleEdit({})
    assert e.value.status == 400 and e.value.message == verdict
    assert diagnose.calls[0]["server_cert_sha256"] == ":".join(["CD"] * 32)
    assert [c[0] for c in handler.handler.calls] == ["get"]


def test_an_expired_client_certificate_is_refused_on_save(simulator, pki):
    sim = simulator("--records", 20)
    with open(pki.client_expired, "rb") as f:
        upload = base64.b64encode(f.read()).decode()
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(simulator_fields(pki, sim, pkcs12_file=upload))
    assert str(e.value).startswith("the client certificate expired on ")
    assert str(e.value).endswith("create a new client on the FMC (System > Integration > "
                                 "eStreamer) and upload its PKCS12")


def test_the_connection_test_asks_for_the_servers_event_generation(p12):
    diagnose = Recorder()
    h.validate_fmc_server(fields(p12), diagnose=diagnose)
    h.validate_fmc_server(fields(p12, generation="6.2"), diagnose=diagnose)
    assert diagnose.generations == ["auto", "6.2"]


def test_an_unknown_event_generation_is_refused_before_any_connection(p12):
    diagnose = Recorder()
    with pytest.raises(ValueError, match=r"generation '5\.4' is not one of auto, 7\.0, 6\.2"):
        h.validate_fmc_server(fields(p12, generation="5.4"), diagnose=diagnose)
    assert diagnose.calls == []


# --- the standby FMC of an HA pair ------------------------------------------------------------
class PerHost(Recorder):
    """A recorder answering per host: ``reports`` = {host: Report}."""

    def __init__(self, reports):
        super().__init__()
        self.reports = reports

    def __call__(self, host, *args, **kw):
        super().__call__(host, *args, **kw)
        return self.reports[host]


def test_a_standby_is_tested_and_pinned_on_its_own_with_the_primarys_pkcs12(p12):
    other = ":".join(["CD"] * 32)
    diagnose = PerHost({"fmc.example.test": Report(), "10.0.0.2": Report(server_cert_sha256=other)})
    updates = h.validate_fmc_server(fields(p12, standby_host="10.0.0.2:9302"), diagnose=diagnose)
    assert [(c["host"], c["port"], c["pkcs12"]) for c in diagnose.calls] == [
        ("fmc.example.test", 8302, p12), ("10.0.0.2", 9302, p12)]
    assert updates["server_cert_sha256"] == PRESENTED
    assert updates["standby_server_cert_sha256"] == other
    assert (updates["standby_host"], updates["standby_port"]) == ("10.0.0.2", "9302")


def test_a_standby_pkcs12_of_its_own_is_checked_and_used_for_the_standby():
    primary, standby = mint_pkcs12(), mint_pkcs12(password="other-pass")
    diagnose = PerHost({"fmc.example.test": Report(), "fmc2.example.test": Report()})
    h.validate_fmc_server(fields(primary, standby_host="fmc2.example.test",
                                 standby_pkcs12_file=base64.b64encode(standby).decode(),
                                 standby_pkcs12_password="other-pass"), diagnose=diagnose)
    assert [(c["pkcs12"], c["password"]) for c in diagnose.calls] == [
        (primary, PASSWORD), (standby, "other-pass")]


def test_a_wrong_standby_pkcs12_password_is_named_as_the_standbys(p12):
    standby = mint_pkcs12(password="other-pass")
    with pytest.raises(ValueError, match="^standby: "):
        h.validate_fmc_server(fields(p12, standby_host="fmc2.example.test",
                                     standby_pkcs12_file=base64.b64encode(standby).decode(),
                                     standby_pkcs12_password="nope"), diagnose=Recorder())


def test_the_connection_test_says_which_fmc_answered(p12):
    diagnose = PerHost({"fmc.example.test": Report(ok=False, verdict="port 8302 is closed"),
                        "fmc2.example.test": Report()})
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12, standby_host="fmc2.example.test"), diagnose=diagnose)
    assert str(e.value) == ("the primary FMC fmc.example.test:8302 did not pass the connection "
                            "test: port 8302 is closed; the standby FMC fmc2.example.test:8302 "
                            "answered")


def test_a_standby_that_does_not_answer_is_named(p12):
    diagnose = PerHost({"fmc.example.test": Report(),
                        "2001:db8::2": Report(ok=False, verdict="connection refused")})
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(fields(p12, standby_host="[2001:db8::2]"), diagnose=diagnose)
    assert str(e.value) == ("the standby FMC [2001:db8::2]:8302 did not pass the connection "
                            "test: connection refused; the primary FMC fmc.example.test:8302 "
                            "answered")


def test_a_standby_pkcs12_without_a_standby_host_is_refused(p12):
    with pytest.raises(ValueError, match="no standby host is set"):
        h.validate_fmc_server(fields(p12, standby_pkcs12_file=base64.b64encode(p12).decode()),
                              diagnose=Recorder())


@pytest.mark.parametrize("override, message", [
    ({"failover_after": "0"}, "failover_after must be from 1 to 86400"),
    ({"failover_margin": "soon"}, "failover_margin must be a number"),
])
def test_failover_timings_are_checked(p12, override, message):
    with pytest.raises(ValueError, match=message):
        h.validate_fmc_server(fields(p12, **override), diagnose=Recorder())


def test_saving_an_ha_pair_against_two_simulators_pins_both(simulator, pki):
    primary = simulator("--records", 20)
    standby = simulator("--records", 20, "--server-cert", "server-2")
    updates = h.validate_fmc_server(simulator_fields(
        pki, primary, standby_host="127.0.0.1:{}".format(standby.port)))
    assert updates["server_cert_sha256"] == sha256_of(pki.server_cert)
    assert updates["standby_server_cert_sha256"] == sha256_of(pki.server_files("server-2")[0])


def test_saving_an_ha_pair_whose_standby_is_down_names_it(simulator, pki):
    primary = simulator("--records", 20)
    port = closed_port()
    with pytest.raises(ValueError) as e:
        h.validate_fmc_server(simulator_fields(pki, primary,
                                               standby_host="127.0.0.1:{}".format(port)))
    assert str(e.value).startswith("the standby FMC 127.0.0.1:{} did not pass".format(port))
    assert str(e.value).endswith("the primary FMC 127.0.0.1:{} answered".format(primary.port))
