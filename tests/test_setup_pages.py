"""The setup pages as an admin uses them: the built UCC bundle in headless Chromium.

The pages come from a real ucc-gen build (fixture ``built``) and are served by the Splunk Web
stand-in of ``splunkweb_stub.py``; saving an FMC server runs ``validate_fmc_server`` (the real
PKCS12 check; the connection test is real or recorded per test), saving an input runs the input's
parameter check (``InputParams.parse``), as splunkd would. Screenshots go to the test's tmp dir and to
``test-artifacts/`` in the repository.

Needs Debian's ``chromium`` and the ``playwright`` package (requirements/test.txt); without them
the browser tests skip. The last tests check the input helper and need no browser.
"""
import base64
import re
import shutil
import socket

import pytest

from conftest import REPO_ROOT
from estreamer_splunk.fmc_server_handler import merge_with_stored, validate_fmc_server
from estreamer_splunk.params import InputParams
from splunkweb_stub import SplunkWebStub
from test_fmc_server_handler import PASSWORD, Recorder, mint_pkcs12

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None)

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the venv
    sync_playwright = None

browser_needed = pytest.mark.skipif(
    sync_playwright is None or CHROMIUM is None,
    reason="browser tests need the playwright package and Debian's chromium "
           "(apt-get install -y chromium; `bash .ci/run` installs it)",
)
TIMEOUT = 15000  # ms for any single UI wait


# --- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Checks:
    """What the stub runs on save: ``diagnose`` None is the client's real connection test."""

    def __init__(self):
        self.diagnose = None

    def fmc_server(self, fields, stored):
        if stored is not None:
            fields = merge_with_stored(fields, stored)
        return validate_fmc_server(fields, diagnose=self.diagnose)

    @staticmethod
    def firepower_estreamer(fields, stored):
        InputParams.parse(fields)


@pytest.fixture
def checks():
    return Checks()


@pytest.fixture
def web(built, checks):
    stub = SplunkWebStub(built["app"], validators={
        "fmc_server": checks.fmc_server, "firepower_estreamer": checks.firepower_estreamer})
    with stub:
        yield stub


@pytest.fixture
def page(browser, request, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    shots = []

    def shot(name):
        path = tmp_path / "{}-{}.png".format(request.node.name, name)
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    page.shot = shot
    yield page
    try:
        shot("end")
    except Exception:  # the page may be gone; the test result matters more
        pass
    finally:
        context.close()
        ARTIFACTS.mkdir(exist_ok=True)
        for path in shots:
            if path.exists():
                shutil.copy(path, ARTIFACTS / path.name)


@pytest.fixture
def p12_file(tmp_path):
    path = tmp_path / "fmc1-client.pkcs12"
    path.write_bytes(mint_pkcs12())
    return path


def field(scope, name):
    return scope.locator('[data-name="{}"]'.format(name))


def open_fmc_dialog(page, web):
    page.goto(web.url("configuration"))
    page.get_by_role("button", name="Add").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Add FMC server")
    return dialog


def fill_fmc_server(dialog, p12_path, password, host="fmc.example.test", port=None,
                    connect_timeout=None):
    field(dialog, "name").locator("input").fill("fmc1")
    field(dialog, "host").locator("input").fill(host)
    if port is not None:
        field(dialog, "port").locator("input").fill(str(port))
    if connect_timeout is not None:
        field(dialog, "connect_timeout").locator("input").fill(str(connect_timeout))
    field(dialog, "pkcs12_file").locator('input[type="file"]').set_input_files(str(p12_path))
    expect(dialog).to_contain_text(p12_path.name)
    field(dialog, "pkcs12_password").locator("input").fill(password)


# --- browser tests -------------------------------------------------------------------------------
@browser_needed
def test_configuration_page_renders_its_tabs(page, web):
    page.goto(web.url("configuration"))
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(["FMC servers", "Logging", "Advanced"])
    expect(page.get_by_role("button", name="Add")).to_be_visible()
    for header in ("Name", "Host", "Port", "Standby host", "Verify FMC certificate"):
        # the header's accessible name is its label and "Click to sort"
        expect(page.get_by_role("columnheader", name=re.compile(
            "^{} ".format(re.escape(header))))).to_be_visible()
    page.shot("fmc-servers")

    page.get_by_role("tab", name="Logging").click()
    expect(field(page, "loglevel")).to_contain_text("INFO")
    page.get_by_role("tab", name="Advanced").click()
    expected = {"flush_interval": "1", "batch_size": "500", "metadata_cache_size": "100000",
                "health_interval": "60", "future_tolerance": "86400", "kvstore_wait": "300"}
    for name, value in expected.items():
        expect(field(page, name).locator("input")).to_have_value(value)
    page.shot("advanced")


@browser_needed
def test_add_fmc_server_uploads_the_pkcs12_byte_for_byte(page, web, checks, p12_file):
    checks.diagnose = Recorder()
    dialog = open_fmc_dialog(page, web)
    expect(field(dialog, "port").locator("input")).to_have_value("8302")
    expect(field(dialog, "connect_timeout").locator("input")).to_have_value("10")
    expect(field(dialog, "response_timeout").locator("input")).to_have_value("30")
    expect(field(dialog, "verify_server_cert").get_by_role("checkbox")).to_have_attribute(
        "aria-checked", "true")
    fill_fmc_server(dialog, p12_file, PASSWORD)
    page.shot("filled")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("row").filter(has_text="fmc.example.test")).to_contain_text("fmc1")
    page.shot("saved")

    (post,) = web.posts("fmc_server")
    form = post["form"]
    assert post["status"] == 201
    assert base64.b64decode(form["pkcs12_file"], validate=True) == p12_file.read_bytes()
    assert {k: form[k] for k in ("name", "host", "port", "pkcs12_password", "connect_timeout",
                                 "response_timeout")} == {
        "name": "fmc1", "host": "fmc.example.test", "port": "8302", "pkcs12_password": PASSWORD,
        "connect_timeout": "10", "response_timeout": "30"}
    assert form["verify_server_cert"] in ("1", "true")
    (call,) = checks.diagnose.calls
    assert call["pkcs12"] == p12_file.read_bytes()
    assert (call["host"], call["port"], call["password"], call["verify"]) == (
        "fmc.example.test", 8302, PASSWORD, True)


@browser_needed
def test_a_new_fmc_server_asks_automatically_for_the_newest_event_generation(
        page, web, checks, p12_file):
    checks.diagnose = Recorder()
    dialog = open_fmc_dialog(page, web)
    generation = field(dialog, "generation").get_by_role("combobox")
    expect(generation).to_contain_text("Automatic (newest the FMC accepts)")
    fill_fmc_server(dialog, p12_file, PASSWORD)
    generation.click()
    expect(page.get_by_role("option")).to_have_text([
        "Automatic (newest the FMC accepts)", "FMC 7.0 and later", "FMC 6.2 to 6.7",
        "FMC 6.0 and 6.1"])
    page.get_by_role("option", name="FMC 6.2 to 6.7").click()
    page.shot("generation")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden()
    (post,) = web.posts("fmc_server")
    assert post["form"]["generation"] == "6.2"
    assert checks.diagnose.generations == ["6.2"]  # the save's check asks for it too


@browser_needed
def test_inputs_page_says_how_to_point_escus_macro_at_the_events(page, web):
    page.goto(web.url("inputs"))
    expect(page.get_by_role("paragraph")).to_contain_text(
        "set the search macro cisco_secure_firewall to (index=<yours> "
        "sourcetype=cisco:firepower:estreamer:*)")
    page.shot("inputs")


@browser_needed
def test_wrong_pkcs12_password_is_shown_in_the_dialog(page, web, checks, p12_file):
    checks.diagnose = Recorder()
    dialog = open_fmc_dialog(page, web)
    fill_fmc_server(dialog, p12_file, "not-the-password")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_contain_text("the PKCS12 password is wrong")
    expect(dialog).not_to_contain_text("REST Error")
    page.shot("error")
    assert [p["status"] for p in web.posts("fmc_server")] == [400]
    assert web.store["TA_firepower_estreamer_fmc_server"] == {}
    assert checks.diagnose.calls == []


@browser_needed
def test_edit_fmc_server_checks_with_the_stored_pkcs12(page, web, checks, p12_file):
    """The edit form does not send secrets it did not change: the check uses the stored ones."""
    p12 = p12_file.read_bytes()
    web.store["TA_firepower_estreamer_fmc_server"]["fmc1"] = {
        "host": "fmc.example.test", "port": "8302", "pkcs12_file": base64.b64encode(p12).decode(),
        "pkcs12_password": PASSWORD, "verify_server_cert": "1", "connect_timeout": "10",
        "response_timeout": "30"}
    checks.diagnose = Recorder()
    page.goto(web.url("configuration"))
    page.get_by_role("row").filter(has_text="fmc.example.test").get_by_role(
        "button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "host").locator("input").fill("10.0.0.9")
    field(dialog, "verify_server_cert").get_by_role("checkbox").click()
    dialog.get_by_role("button", name="Update").click()
    expect(dialog).to_be_hidden()
    page.shot("updated")
    (post,) = web.posts("fmc_server")
    assert post["stanza"] == "fmc1" and post["status"] == 200
    assert "pkcs12_file" not in post["form"] or post["form"]["pkcs12_file"] == "******"
    (call,) = checks.diagnose.calls
    assert (call["host"], call["pkcs12"], call["password"], call["verify"]) == (
        "10.0.0.9", p12, PASSWORD, False)


@browser_needed
def test_unreachable_fmc_shows_the_client_verdict(page, web, p12_file):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends
    dialog = open_fmc_dialog(page, web)
    fill_fmc_server(dialog, p12_file, PASSWORD, host="127.0.0.1", port=port, connect_timeout=2)
    dialog.get_by_role("button", name="Add").click()
    expect(dialog.get_by_text("127.0.0.1:{}".format(port))).to_be_visible()
    page.shot("error")
    (post,) = web.posts("fmc_server")
    assert post["status"] == 400
    with pytest.raises(ValueError) as verdict:  # the client's own verdict, asked directly
        validate_fmc_server(post["form"])
    assert "refused" in str(verdict.value)
    expect(dialog).to_contain_text(str(verdict.value))


@browser_needed
def test_create_input_posts_the_form(page, web):
    web.store["TA_firepower_estreamer_fmc_server"]["fmc1"] = {
        "host": "fmc.example.test", "port": "8302", "pkcs12_file": "AAAA", "pkcs12_password": "x"}
    page.goto(web.url("inputs"))
    page.get_by_role("button", name="Create New Input").click()
    dialog = page.get_by_role("dialog")
    expect(field(dialog, "record_families").get_by_role("option")).to_have_count(4)

    field(dialog, "name").locator("input").fill("fmc1_all")
    field(dialog, "fmc_server").get_by_role("combobox").click()
    page.get_by_role("option", name="fmc1").click()

    families = field(dialog, "record_families")
    families.get_by_role("option", name="File events").click()  # remove a default
    for label in ("User identity (logins)", "VPN sessions"):
        families.get_by_role("combobox").click()
        page.get_by_role("option", name=label).click()
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()

    field(dialog, "start_position").get_by_role("combobox").click()
    page.get_by_role("option", name="Date (below)").click()
    field(dialog, "start_date").locator("input").fill("2024-01-31T00:00:00Z")
    index = field(dialog, "index").get_by_role("combobox")
    index.fill("firepower")
    page.get_by_role("option", name="firepower", exact=True).click()
    field(dialog, "device_allow").locator("input").fill("fw-dc1, 7a1b2c3d-0000-1111-2222-333344445555")
    field(dialog, "raw_unknown").get_by_role("checkbox").click()
    page.shot("filled")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("row").filter(has_text="fmc1_all")).to_contain_text("firepower")
    page.shot("saved")

    (post,) = web.posts("firepower_estreamer")
    form = post["form"]
    assert post["status"] == 201
    assert form["name"] == "fmc1_all" and form["fmc_server"] == "fmc1"
    assert form["record_families"].split("|") == [
        "connection", "intrusion", "malware", "identity", "vpn"]
    assert (form["start_position"], form["start_date"], form["index"]) == (
        "date", "2024-01-31T00:00:00Z", "firepower")
    assert form["device_allow"] == "fw-dc1, 7a1b2c3d-0000-1111-2222-333344445555"
    assert form["si_split"] in ("1", "true") and form["raw_unknown"] in ("1", "true")
    InputParams.parse(form)


@browser_needed
def test_input_with_a_device_in_both_lists_is_refused(page, web):
    web.store["TA_firepower_estreamer_fmc_server"]["fmc1"] = {"host": "h", "port": "8302"}
    page.goto(web.url("inputs"))
    page.get_by_role("button", name="Create New Input").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "name").locator("input").fill("both")
    field(dialog, "fmc_server").get_by_role("combobox").click()
    page.get_by_role("option", name="fmc1").click()
    field(dialog, "device_allow").locator("input").fill("fw-1, fw-2")
    field(dialog, "device_deny").locator("input").fill("fw-2")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_contain_text("device(s) fw-2 are both included and excluded")
    page.shot("error")
    assert [p["status"] for p in web.posts("firepower_estreamer")] == [400]


# --- the FMC's certificate pinned on save, against the simulator ----------------------------------
def stored_server(web):
    return web.store["TA_firepower_estreamer_fmc_server"]["fmc1"]


@browser_needed
def test_the_first_save_pins_the_certificate_and_shows_it(page, web, simulator, pki, tmp_path):
    """The real connection test against the simulator: the fingerprint of the certificate it
    presented is stored and shown in the row's details and in the edit dialog."""
    from simulator import PASSWORD as SIM_PASSWORD
    from test_pinning import sha256_of
    sim = simulator("--records", 20)
    expected = sha256_of(pki.server_cert)
    upload = tmp_path / "fmc1-client.pkcs12"  # the simulator's client, as the FMC names it
    upload.write_bytes(open(pki.client, "rb").read())
    dialog = open_fmc_dialog(page, web)
    fill_fmc_server(dialog, upload, SIM_PASSWORD, host="127.0.0.1", port=sim.port,
                    connect_timeout=5)
    expect(field(dialog, "server_cert_sha256").locator("input")).to_have_value("")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden(timeout=30000)
    assert stored_server(web)["server_cert_sha256"] == expected
    row = page.get_by_role("row").filter(has_text="127.0.0.1")
    row.get_by_role("button", name=re.compile("expand", re.I)).click()
    expect(page.get_by_text(expected)).to_be_visible()
    page.shot("pinned-details")
    row.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(field(dialog, "server_cert_sha256").locator("input")).to_have_value(expected)
    page.shot("pinned-edit")


@browser_needed
def test_a_changed_fmc_certificate_is_refused_with_both_fingerprints(page, web, simulator, pki):
    """The FMC now presents another certificate its CA signed: saving says so, naming the pinned
    and the presented fingerprint and how to accept the new one; clearing the field accepts it."""
    from simulator import PASSWORD as SIM_PASSWORD
    from test_pinning import sha256_of
    sim = simulator("--records", 20, "--server-cert", "server-2")
    pinned, presented = sha256_of(pki.server_cert), sha256_of(pki.server_files("server-2")[0])
    with open(pki.client, "rb") as f:
        upload = base64.b64encode(f.read()).decode()
    web.store["TA_firepower_estreamer_fmc_server"]["fmc1"] = {
        "host": "127.0.0.1", "port": str(sim.port), "pkcs12_file": upload,
        "pkcs12_password": SIM_PASSWORD, "verify_server_cert": "1", "connect_timeout": "5",
        "response_timeout": "30", "server_cert_sha256": pinned}
    page.goto(web.url("configuration"))
    page.get_by_role("row").filter(has_text="127.0.0.1").get_by_role(
        "button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(field(dialog, "server_cert_sha256").locator("input")).to_have_value(pinned)
    dialog.get_by_role("button", name="Update").click()
    message = ("the FMC at 127.0.0.1:{} presented a certificate with SHA-256 {}, but the "
               "certificate pinned for it is {}: if the FMC's certificate was replaced on "
               "purpose, accept the new one by saving the FMC server again with its field "
               "server_cert_sha256 (FMC certificate SHA-256) cleared".format(
                   sim.port, presented, pinned))
    expect(dialog).to_contain_text(message, timeout=30000)
    expect(dialog).not_to_contain_text("REST Error")
    page.shot("changed")
    assert stored_server(web)["server_cert_sha256"] == pinned

    field(dialog, "server_cert_sha256").locator("input").fill("")
    dialog.get_by_role("button", name="Update").click()
    expect(dialog).to_be_hidden(timeout=30000)
    assert stored_server(web)["server_cert_sha256"] == presented
    assert [p["status"] for p in web.posts("fmc_server")] == [400, 200]



# --- an FMC HA pair: the standby on the same dialog ------------------------------------------------
@browser_needed
def test_saving_an_ha_pair_tests_both_fmcs_pins_both_and_says_which_answered(
        page, web, simulator, pki, tmp_path):
    """The standby is one more address on the FMC server: the dialog's save runs the connection
    test against both simulators and pins each certificate; with the standby down, the message
    names it and says the primary answered."""
    from simulator import PASSWORD as SIM_PASSWORD
    from test_pinning import sha256_of
    primary = simulator("--records", 20)
    standby = simulator("--records", 20, "--server-cert", "server-2", "--archive-skew", 7)
    upload = tmp_path / "fmc1-client.pkcs12"
    upload.write_bytes(open(pki.client, "rb").read())
    dialog = open_fmc_dialog(page, web)
    fill_fmc_server(dialog, upload, SIM_PASSWORD, host="127.0.0.1", port=primary.port,
                    connect_timeout=5)
    with socket.socket() as s:  # a port nothing listens on: the standby is down
        s.bind(("127.0.0.1", 0))
        down = s.getsockname()[1]
    field(dialog, "standby_host").locator("input").fill("127.0.0.1:{}".format(down))
    field(dialog, "failover_after").locator("input").fill("30")
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_contain_text("the standby FMC 127.0.0.1:{} did not pass the connection "
                                   "test".format(down), timeout=30000)
    expect(dialog).to_contain_text("the primary FMC 127.0.0.1:{} answered".format(primary.port))
    page.shot("ha-standby-down")
    field(dialog, "standby_host").locator("input").fill("127.0.0.1:{}".format(standby.port))
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden(timeout=30000)
    stored = stored_server(web)
    assert (stored["standby_host"], stored["standby_port"]) == ("127.0.0.1", str(standby.port))
    assert stored["server_cert_sha256"] == sha256_of(pki.server_cert)
    assert stored["standby_server_cert_sha256"] == sha256_of(pki.server_files("server-2")[0])
    assert stored["failover_after"] == "30"
