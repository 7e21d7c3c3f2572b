"""The splunkd REST double's contract (tests/splunkd_double.py docstring), over real HTTP."""
import http.client
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from splunkd_double import (
    APP,
    COLLECTION,
    END_MARK,
    FMC_CONF,
    SEP,
    SplunkdDouble,
    realm_of,  # noqa: F401 (fixture)
    ucc_state,
)

ATOM = "{http://www.w3.org/2005/Atom}"
NS = "/servicesNS/nobody/{}/".format(APP)
P12 = "MIIK" + "A" * 600  # longer than one 255-character password chunk


def _request(double, method, endpoint, body=None, headers=None, auth=True):
    conn = http.client.HTTPConnection("127.0.0.1", double.port, timeout=10)
    head = {"Authorization": "Splunk " + double.session_key} if auth else {}
    head.update(headers or {})
    conn.request(method, NS + endpoint, body=body, headers=head)
    resp = conn.getresponse()
    data = resp.read().decode("utf-8")
    conn.close()
    return resp, data


@pytest.fixture
def seeded():
    state = ucc_state({"fmc1": {"host": "fmc.example.test", "port": "8302",
                                "pkcs12_file": P12, "pkcs12_password": "s3cret"}},
                      settings={"logging": {"loglevel": "DEBUG"}})
    with SplunkdDouble(state) as double:
        yield double


def _entries(xml_text):
    return ET.fromstring(xml_text).findall(ATOM + "entry")


def test_conf_stanza_is_atom_with_secrets_shown_as_stars(seeded):
    resp, data = _request(seeded, "GET", "configs/conf-{}/fmc1".format(FMC_CONF))
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/xml")
    (entry,) = _entries(data)
    assert entry.find(ATOM + "title").text == "fmc1"
    keys = {k.get("name"): k.text for k in entry.iter("{http://dev.splunk.com/ns/rest}key")}
    assert keys["host"] == "fmc.example.test"
    assert keys["pkcs12_file"] == "******" and keys["pkcs12_password"] == "******"
    assert keys["app"] == APP  # inside eai:acl


def test_every_response_says_keep_alive(seeded):
    resp, _ = _request(seeded, "GET", "properties/" + FMC_CONF)
    assert resp.getheader("Connection") == "keep-alive"
    resp, _ = _request(seeded, "GET", "properties/nothing")
    assert resp.getheader("Connection") == "keep-alive"


def test_missing_conf_and_stanza_are_404(seeded):
    assert _request(seeded, "GET", "properties/nothing")[0].status == 404
    assert _request(seeded, "GET", "configs/conf-{}/fmc9".format(FMC_CONF))[0].status == 404


def test_missing_or_wrong_session_key_is_401(seeded):
    resp, data = _request(seeded, "GET", "properties/" + FMC_CONF, auth=False)
    assert resp.status == 401 and "not properly authenticated" in data
    resp, _ = _request(seeded, "GET", "properties/" + FMC_CONF,
                       headers={"Authorization": "Splunk wrong"})
    assert resp.status == 401
    assert [c["auth"] for c in seeded.journal] == ["missing", "bad"]


def test_passwords_are_chunked_the_way_solnlib_writes_them(seeded):
    realm = realm_of(FMC_CONF)
    resp, data = _request(seeded, "GET", "storage/passwords?search=" + quote("realm=" + realm, safe=""))
    entries = _entries(data)
    blob = json.dumps({"pkcs12_file": P12, "pkcs12_password": "s3cret"})
    chunks = -(-len(blob) // 255)
    assert len(entries) == chunks + 1
    titles = [e.find(ATOM + "title").text for e in entries]
    assert "{}:fmc1{}1:".format(realm, SEP) in titles
    keys = [{k.get("name"): k.text for k in e.iter("{http://dev.splunk.com/ns/rest}key")}
            for e in entries]
    assert END_MARK in [k["clear_password"] for k in keys]


def test_solnlib_reads_the_decrypted_stanza(seeded):
    from solnlib import conf_manager

    cfm = conf_manager.ConfManager(seeded.session_key, APP, scheme="http", host="127.0.0.1",
                                   port=seeded.port, realm=realm_of(FMC_CONF))
    stanza = cfm.get_conf(FMC_CONF).get("fmc1")
    assert stanza["pkcs12_file"] == P12 and stanza["pkcs12_password"] == "s3cret"


def test_solnlib_works_over_https_too():
    from solnlib import conf_manager

    state = ucc_state({"fmc1": {"host": "h", "pkcs12_file": P12}})
    with SplunkdDouble(state, tls=True) as double:
        assert double.uri.startswith("https://")
        cfm = conf_manager.ConfManager(double.session_key, APP, scheme="https",
                                       host="127.0.0.1", port=double.port,
                                       realm=realm_of(FMC_CONF))
        assert cfm.get_conf(FMC_CONF).get("fmc1")["pkcs12_file"] == P12


def test_kv_data_is_json_insert_get_update_query_delete(splunkd):
    _request(splunkd, "POST", "storage/collections/config", body="name=c1&field.state=string",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    json_head = {"Content-Type": "application/json"}
    resp, data = _request(splunkd, "POST", "storage/collections/data/c1",
                          body=json.dumps({"_key": "a", "state": "1"}), headers=json_head)
    assert resp.status == 200 and json.loads(data) == {"_key": "a"}
    _request(splunkd, "POST", "storage/collections/data/c1/a",
             body=json.dumps({"state": "2"}), headers=json_head)
    resp, data = _request(splunkd, "GET", "storage/collections/data/c1/a")
    assert resp.getheader("Content-Type").startswith("application/json")
    assert json.loads(data) == {"_key": "a", "_user": "nobody", "state": "2"}
    _, data = _request(splunkd, "GET", "storage/collections/data/c1?query=%7B%22state%22%3A%222%22%7D")
    assert [d["_key"] for d in json.loads(data)] == ["a"]
    assert _request(splunkd, "DELETE", "storage/collections/data/c1/a")[0].status == 200
    assert _request(splunkd, "GET", "storage/collections/data/c1/a")[0].status == 404


def test_batch_save_returns_the_keys(splunkd):
    _request(splunkd, "POST", "storage/collections/config", body="name=c1",
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    resp, data = _request(splunkd, "POST", "storage/collections/data/c1/batch_save",
                          body=json.dumps([{"_key": "x", "state": "s"}, {"_key": "y"}]),
                          headers={"Content-Type": "application/json"})
    assert json.loads(data) == ["x", "y"]
    assert set(splunkd.documents("c1")) == {"x", "y"}


def test_unknown_collection_is_404_and_kvstore_switch_gives_503(splunkd):
    assert _request(splunkd, "GET", "storage/collections/config/" + COLLECTION)[0].status == 404
    splunkd.set_kvstore("unavailable")
    resp, data = _request(splunkd, "GET", "storage/collections/config/" + COLLECTION)
    assert resp.status == 503 and "initializing" in data
    splunkd.set_kvstore("disabled")
    assert "disabled" in _request(splunkd, "GET", "storage/collections/data/x/y")[1]


def test_journal_records_calls_in_order_with_secrets_masked(tmp_path):
    journal = tmp_path / "journal.jsonl"
    with SplunkdDouble(ucc_state(), journal_path=str(journal)) as double:
        _request(double, "POST", "storage/passwords", body="name=u&password=hunter22&realm=r",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        _request(double, "GET", "storage/passwords?count=-1&search=realm%3Dr")
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(c["method"], c["endpoint"], c["status"]) for c in lines] == [
        ("POST", "storage/passwords", 201), ("GET", "storage/passwords", 200)]
    assert lines[0]["body"] == {"name": "u", "password": "<masked>", "realm": "r"}
    assert lines[1]["query"] == {"count": "-1", "search": "realm=r"}
    assert "hunter22" not in journal.read_text()


def test_subprocess_mode_prints_its_port_and_serves(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps(ucc_state({"fmc1": {"host": "h"}})))
    journal = tmp_path / "journal.jsonl"
    proc = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(__file__), "splunkd_double.py"),
         "--state", str(state), "--journal", str(journal)],
        stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", NS + "properties/" + FMC_CONF,
                     headers={"Authorization": "Splunk FAKE_SESSION_KEY"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    assert json.loads(journal.read_text().splitlines()[0])["endpoint"] == "properties/" + FMC_CONF


def test_a_starting_kv_store_answers_503_initializing_for_its_first_seconds():
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}}})
    state["kvstore_starting"] = 0.5
    with SplunkdDouble(state) as double:
        resp, data = _request(double, "GET", "storage/collections/data/" + COLLECTION)
        assert resp.status == 503 and "KV Store is initializing" in data
        resp, _ = _request(double, "GET", "configs/conf-nothing")
        assert resp.status == 404  # only the KV store is starting
        time.sleep(0.6)
        resp, _ = _request(double, "GET", "storage/collections/data/" + COLLECTION)
        assert resp.status == 200
        double.start_kvstore(30)
        resp, _ = _request(double, "GET", "storage/collections/data/" + COLLECTION)
        assert resp.status == 503


def test_a_session_key_unused_for_the_session_timeout_expires_and_a_new_one_works():
    state = ucc_state(collections={COLLECTION: {"fields": {"state": "string"}}})
    state["session_timeout"] = 0.5
    with SplunkdDouble(state) as double:
        for _ in range(3):  # in use, it stays valid
            time.sleep(0.3)
            assert _request(double, "GET", "storage/collections/data/" + COLLECTION)[0].status == 200
        time.sleep(0.7)
        resp, data = _request(double, "GET", "storage/collections/data/" + COLLECTION)
        assert resp.status == 401 and "call not properly authenticated" in data
        old = double.session_key
        assert double.new_session() != old
        assert _request(double, "GET", "storage/collections/data/" + COLLECTION)[0].status == 200
        assert double.journal[-2]["auth"] == "expired"


def test_expire_session_refuses_the_key_at_once(splunkd):
    assert _request(splunkd, "GET", "properties/nothing")[0].status == 404
    splunkd.expire_session()
    resp, _ = _request(splunkd, "GET", "properties/nothing")
    assert resp.status == 401 and splunkd.journal[-1]["auth"] == "expired"
