"""The packaged modular input, run as splunkd runs it, against the FMC simulator and the splunkd
REST double: events in the XML stream with index, sourcetype, source, host and time; the bookmark
in the KV store; SIGTERM, SIGKILL and restarts that lose nothing."""
import collections
import json
import socket
import struct
import sys

import pytest

from conftest import PY39, splunk_python
from modinput import Rig, fmc_server
from simulator import PASSWORD

COLLECTION = "TA_firepower_estreamer_checkpointer"
PARAMS = {"fmc_server": "fmc1", "record_families": "connection|intrusion|malware",
          "start_position": "bookmark", "index": "firepower", "si_split": "1", "interval": "60"}
ADVANCED = {"advanced": {"flush_interval": "0.2", "batch_size": "50", "health_interval": "1"},
            "logging": {"loglevel": "DEBUG"}}
# record types the families above bring (no packets, no extra data)
TYPES = {71, 400, 9, 125}


@pytest.fixture(scope="module")
def python():
    """Splunk's Python: a 3.9 whose only extra package is cryptography (as Splunk bundles it),
    else this interpreter."""
    return splunk_python("3.9") if PY39 else sys.executable


@pytest.fixture
def rig(pki, tmp_path, built, python):
    with Rig(built["app"], python, pki, tmp_path) as rig:
        yield rig


@pytest.fixture
def setup(rig):
    class Setup:
        def __init__(self, records=300, *sim_args, server=None):
            """``server``: fields of the FMC server stanza to set besides the defaults."""
            self.sim = rig.simulator("--records", records, "--families", "all", *sim_args)
            self.splunkd = rig.start_splunkd(
                {"fmc1": rig.fmc_server(self.sim.port, **(server or {}))}, ADVANCED)
            self.checkpoints = rig.checkpoints

        def run(self, name="fmc1_events", interpreter=None, **params):
            return rig.run(name, dict(PARAMS, **params), interpreter)

        def expected(self):
            return self.sim.manifest_keys(TYPES)

    return Setup


def log_of(run) -> str:
    path = run.out_path.parent / "log" / "ta_firepower_estreamer_fmc1_events.log"
    return path.read_text() if path.exists() else ""


def data_events(events):
    return [e for e in events if e["sourcetype"] != "cisco:firepower:estreamer:health"]


def identity(event):
    return json.dumps(event["event"], sort_keys=True)


def test_events_arrive_with_index_sourcetype_source_host_and_time(setup):
    s = setup()
    run = s.run()
    want = len(s.expected())
    run.wait_for(lambda: len(data_events(run.events())) >= want, 90, f"{want} events")
    code, took = run.terminate()
    assert code == 0 and took < 5
    events = data_events(run.events())
    assert len(events) == want and len({identity(e) for e in events}) == want
    assert {e["index"] for e in events} == {"firepower"}
    assert {e["source"] for e in events} == {"firepower_estreamer://fmc1_events"}
    assert {e["stanza"] for e in events} == {"firepower_estreamer://fmc1_events"}
    assert {e["host"] for e in events} == {"127.0.0.1"}
    by_type = collections.Counter(e["sourcetype"] for e in events)
    assert set(by_type) == {"cisco:firepower:estreamer:connection",
                            "cisco:firepower:estreamer:intrusion",
                            "cisco:firepower:estreamer:intrusion_extra",
                            "cisco:firepower:estreamer:malware"}
    for e in events:  # _time is the record's own time, with microseconds
        assert float(e["time"]) > 1_600_000_000 and len(e["time"].split(".")[1]) == 6
    assert run.raw().rstrip().endswith(b"</stream>")


def test_the_input_runs_on_splunks_python_3_13(setup):
    s = setup(100)
    run = s.run(interpreter=splunk_python("3.13"))
    want = len(s.expected())
    run.wait_for(lambda: len(data_events(run.events())) >= want, 90, f"{want} events")
    assert run.terminate()[0] == 0
    assert len({identity(e) for e in data_events(run.events())}) == want


def test_the_bookmark_is_kept_in_the_kv_store(setup):
    s = setup()
    run = s.run()
    want = len(s.expected())
    run.wait_for(lambda: len(data_events(run.events())) >= want, 90, f"{want} events")
    assert run.terminate()[0] == 0
    documents = s.splunkd.documents(COLLECTION)
    assert list(documents) == ["fmc1_events"]
    state = json.loads(documents["fmc1_events"]["state"])
    last = max(json.loads(line)["archive"] for line in s.sim.manifest.read_text().splitlines())
    assert state["timestamp"] == last and state["count"] >= 1


def test_health_events_report_the_fmc_and_its_devices(setup):
    s = setup(100)
    run = s.run()
    run.wait_for(lambda: sum(e["sourcetype"].endswith(":health") and
                             e["event"].get("scope") == "device" for e in run.events()) >= 1,
                 30, "a device health event")
    assert run.terminate()[0] == 0
    health = [e["event"] for e in run.events() if e["sourcetype"].endswith(":health")]
    fmc = [h for h in health if h["scope"] == "fmc"]
    assert fmc and {"fmc", "input", "interval", "events", "rate", "connected", "parse_errors",
                    "mapping_errors"} <= set(fmc[-1])
    assert fmc[-1]["fmc"] == "fmc1" and fmc[-1]["input"] == "fmc1_events"
    devices = [h for h in health if h["scope"] == "device"]
    assert all("device_id" in d and "last_event_time" in d for d in devices)


def test_a_sigkill_and_restart_resume_without_a_gap(setup):
    s = setup(1500, "--per-second", 7)
    first = s.run()
    first.wait_for(lambda: len(data_events(first.events())) >= 200, 60, "200 events")
    first.kill()
    second = s.run()
    want = set(s.expected())
    total = lambda: data_events(first.events()) + data_events(second.events())  # noqa: E731
    second.wait_for(lambda: len({identity(e) for e in total()}) >= len(want), 120, "every event")
    assert second.terminate()[0] == 0
    events = total()
    distinct = {identity(e) for e in events}
    assert len(distinct) == len(want)  # no gap
    # a kill between a flush and its bookmark write repeats at most that flush (batch_size)
    assert len(events) - len(distinct) <= 50


def test_a_restart_after_a_clean_stop_repeats_nothing(setup):
    s = setup(400)
    first = s.run()
    first.wait_for(lambda: len(data_events(first.events())) >= 150, 60, "150 events")
    assert first.terminate()[0] == 0
    second = s.run()
    want = len(s.expected())
    total = lambda: data_events(first.events()) + data_events(second.events())  # noqa: E731
    second.wait_for(lambda: len(total()) >= want and log_of(second).count("stream started") == 2,
                    90, "every event and the second session")
    assert second.terminate()[0] == 0
    events = total()
    assert len(events) == want == len({identity(e) for e in events})


def test_without_a_kv_store_the_bookmark_goes_to_the_checkpoint_dir(setup):
    s = setup(100)
    s.splunkd.set_kvstore("disabled")
    run = s.run()
    bookmark = s.checkpoints / "fmc1_events.bookmark.json"
    run.wait_for(bookmark.exists, 60, "a bookmark file")
    assert run.terminate()[0] == 0
    log = log_of(run)
    assert sum("KV store" in line and "WARNING" in line for line in log.splitlines()) == 1


def test_the_log_never_holds_the_password_or_the_pkcs12(setup, pki):
    s = setup(50)
    run = s.run()
    run.wait_for(lambda: len(data_events(run.events())) >= 10, 60, "events")
    assert run.terminate()[0] == 0
    log = log_of(run)
    assert "connected to 127.0.0.1" in log
    pkcs12 = fmc_server(pki, 0, PASSWORD)["pkcs12_file"]
    assert PASSWORD not in log and pkcs12[:40] not in log and PASSWORD not in run.stderr()


def test_health_events_count_the_client_certificates_days_left(setup):
    s = setup(50)
    run = s.run()
    run.wait_for(lambda: any(e["event"].get("client_cert_days_left") is not None
                             for e in run.events() if e["sourcetype"].endswith(":health")),
                 30, "a health event with client_cert_days_left")
    assert run.terminate()[0] == 0
    fmc = [e["event"] for e in run.events()
           if e["sourcetype"].endswith(":health") and e["event"]["scope"] == "fmc"]
    assert fmc[-1]["client_cert_days_left"] == 824  # the simulator's clients: 825 days


def test_an_fmc_presenting_another_certificate_than_the_pinned_one_stops_the_input(setup, pki):
    """The stanza pins the FMC's own certificate; the simulator presents another one its CA
    signed. The input exits at once (splunkd restarts it after its interval), logging both."""
    from test_pinning import sha256_of
    pinned, presented = sha256_of(pki.server_cert), sha256_of(pki.server_files("server-2")[0])
    s = setup(50, "--server-cert", "server-2", server={"server_cert_sha256": pinned})
    run = s.run()
    assert run.proc.wait(30) != 0
    log = log_of(run)
    assert (f"input fmc1_events stopped: the FMC at 127.0.0.1:{s.sim.port} presented a "
            f"certificate with SHA-256 {presented}, but the certificate pinned for it is "
            f"{pinned}") in log
    assert "reconnecting" not in log and data_events(run.events()) == []


def health_of(run, scope):
    return [e["event"] for e in run.events()
            if e["sourcetype"].endswith(":health") and e["event"]["scope"] == scope]


def test_health_counts_the_events_written_not_metadata_nor_filtered_out_devices(setup):
    s = setup(300)
    run = s.run(device_deny="2")
    want = [key for key in s.expected() if key.split(":")[1] != "2"]
    run.wait_for(lambda: sum(h["events"] for h in health_of(run, "fmc")) >= len(want), 60,
                 "health events covering every event")
    assert run.terminate()[0] == 0
    events = data_events(run.events())
    assert len(events) == len(want)
    assert sum(h["events"] for h in health_of(run, "fmc")) == len(events)
    reported = collections.Counter()
    for h in health_of(run, "device"):
        reported[h["device_id"]] += h["events"]
    written = collections.Counter(e["event"]["device_id"] for e in events)
    assert reported == written and 2 not in reported


def test_with_keep_unknown_records_the_rest_of_a_damaged_bundle_is_one_raw_event(setup):
    s = setup(300, "--fault", "corrupt-bundle@100")
    run = s.run(raw_unknown="1")
    run.wait_for(lambda: any("malformed" in e["event"] for e in run.events()), 60, "a raw event")
    assert run.terminate()[0] == 0
    (raw,) = [e["event"] for e in run.events() if "malformed" in e["event"]]
    assert "declares 4294967280 bytes" in raw["malformed"]
    rest = bytes.fromhex(raw["raw"])
    assert rest[:8] == struct.pack(">HHI", 0, 4, 0xFFFFFFF0) and len(rest) > 100
    assert sum("damaged bundle" in line for line in log_of(run).splitlines()) == 1


def test_a_start_date_gives_way_to_an_existing_bookmark_and_the_log_says_so(setup):
    s = setup(200)
    params = {"start_position": "date", "start_date": "2023-01-01T00:00:00Z"}
    first = s.run(**params)
    want = len(s.expected())
    first.wait_for(lambda: len(data_events(first.events())) >= want, 90, f"{want} events")
    assert first.terminate()[0] == 0
    assert "no bookmark yet: starting from 2023-01-01T00:00:00Z" in log_of(first)
    before = len(log_of(first))
    second = s.run(**params)
    second.wait_for(lambda: "stream started" in log_of(second)[before:], 60, "the second stream")
    assert second.terminate()[0] == 0
    log = log_of(second)[before:]
    assert "resuming from the bookmark" in log
    assert "it wins over the start position (2023-01-01T00:00:00Z)" in log
    assert not data_events(second.events())  # the date did not rewind the stream


def test_sigterm_stops_the_input_within_5_s_in_a_tls_handshake_nobody_answers(rig):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    rig.start_splunkd({"fmc1": rig.fmc_server(server.getsockname()[1], connect_timeout="300")},
                      ADVANCED)
    with server:
        run = rig.run("fmc1_events", PARAMS)
        server.settimeout(60)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(60)
            assert conn.recv(5)[:1] == b"\x16"  # the ClientHello: it waits for an answer
            code, took = run.terminate()
        assert code == 0 and took < 5


def _streaming_requests(sim):
    return [line for line in sim.stderr().splitlines() if "streaming request from" in line]


def test_an_fmc_refusing_generation_7_gets_6_2_and_the_input_remembers_it(setup):
    s = setup(100, "--max-generation", "6.2")  # the FMC server's generation: auto (default)
    run = s.run()
    want = len(s.expected())
    run.wait_for(lambda: len(data_events(run.events())) >= want and
                 any(h.get("generation") for h in health_of(run, "fmc")), 90, f"{want} events")
    assert run.terminate()[0] == 0
    assert len({identity(e) for e in data_events(run.events())}) == want
    log = log_of(run)
    assert "refused event generation 7.0 (it closed the connection right after the Streaming " \
           "Request); asking for generation 6.2" in log, log
    assert {h["generation"] for h in health_of(run, "fmc") if "generation" in h} == {"6.2"}
    remembered = json.loads((s.checkpoints / "fmc1_events.generation.json").read_text())
    assert list(remembered) == [f"127.0.0.1:{s.sim.port}"]
    assert remembered[f"127.0.0.1:{s.sim.port}"]["generation"] == "6.2"
    connections = [e["event"] for e in data_events(run.events())
                   if e["sourcetype"].endswith(":connection")]
    assert connections and not any("src_translated_ip" in c for c in connections)

    again = s.run()  # a restart asks for the remembered generation at once
    again.wait_for(lambda: len(_streaming_requests(s.sim)) == 3, 60, "the restart's request")
    assert again.terminate()[0] == 0
    assert "71v14" in _streaming_requests(s.sim)[2]
    assert "refused event generation" not in log_of(again).split("input fmc1_events starting")[-1]


def test_a_fixed_generation_from_the_fmc_server_stanza_is_asked_for(setup):
    s = setup(50, server={"generation": "6.2"})  # an FMC 7 would stream generation 7.0
    run = s.run()
    run.wait_for(lambda: len(_streaming_requests(s.sim)) >= 1 and health_of(run, "fmc"), 60,
                 "the request and a health event")
    assert run.terminate()[0] == 0
    assert "71v14" in _streaming_requests(s.sim)[0] and len(_streaming_requests(s.sim)) == 1
    assert {h.get("generation") for h in health_of(run, "fmc")} == {"6.2"}
    assert not (s.checkpoints / "fmc1_events.generation.json").exists()
