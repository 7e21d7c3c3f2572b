"""Asking an FMC for everything it has: the FMC 7 event generation first, an older one when the
FMC refuses it (it closes the connection or answers an Error right after the Streaming
Request), and what worked remembered per FMC server. End to end against the simulator playing
an older FMC (``--max-generation 6.2``), through the ``stream`` and ``test`` commands; the
packaged input's side is in test_modular_input.py."""
import json
import re
import subprocess
import sys

import pytest

from estreamer.generations import (
    AUTO,
    REPROBE_SECONDS,
    FileGenerationStore,
    MemoryGenerationStore,
    Remembered,
    candidates,
    check_setting,
)
from simulator import ENV, PASSWORD, Stream, event_records

NOW = 1_800_000_000.0


# --- which generations to try --------------------------------------------------------------

def test_auto_tries_every_generation_newest_first_when_nothing_is_remembered():
    assert candidates(AUTO, None, NOW) == ["7.0", "6.2", "6.0"]


def test_auto_asks_for_the_remembered_generation_directly():
    assert candidates(AUTO, Remembered("6.2", NOW - 60), NOW) == ["6.2"]


def test_an_older_remembered_generation_is_checked_against_newer_ones_once_a_day():
    stale = Remembered("6.2", NOW - REPROBE_SECONDS)
    assert candidates(AUTO, stale, NOW) == ["7.0", "6.2", "6.0"]
    assert candidates(AUTO, Remembered("7.0", NOW - 10 * REPROBE_SECONDS), NOW) == ["7.0"]


def test_a_fixed_generation_is_the_only_one_tried_whatever_was_remembered():
    assert candidates("6.0", Remembered("7.0", NOW), NOW) == ["6.0"]


def test_a_setting_outside_the_choices_is_refused_with_them():
    assert check_setting("") == AUTO and check_setting(" 6.2 ") == "6.2"
    with pytest.raises(ValueError, match=r"'5\.4' is not one of auto, 7\.0, 6\.2, 6\.0"):
        check_setting("5.4")


def test_a_generation_file_keeps_one_entry_per_fmc_server(tmp_path):
    path = tmp_path / "input.generation.json"
    store = FileGenerationStore(str(path))
    store.save("fmc-a:8302", "6.2", now=NOW)
    store.save("fmc-b:8302", "7.0", now=NOW + 1)
    again = FileGenerationStore(str(path))
    assert again.load("fmc-a:8302") == Remembered("6.2", NOW)
    assert again.load("fmc-b:8302") == Remembered("7.0", NOW + 1)
    assert again.load("fmc-c:8302") is None


def test_an_unreadable_generation_file_is_a_forgotten_choice(tmp_path):
    path = tmp_path / "input.generation.json"
    path.write_text("{not json")
    assert FileGenerationStore(str(path)).load("fmc-a:8302") is None
    path.write_text(json.dumps({"fmc-a:8302": {"generation": "6.2"}}))
    assert FileGenerationStore(str(path)).load("fmc-a:8302") is None


def test_memory_store_remembers_for_the_process_only():
    store = MemoryGenerationStore()
    store.save("fmc-a:8302", "6.0", now=NOW)
    assert store.load("fmc-a:8302") == Remembered("6.0", NOW)
    assert MemoryGenerationStore().load("fmc-a:8302") is None


# --- the stream command against an older FMC -------------------------------------------------

@pytest.fixture
def stream(pki, tmp_path):
    started = []

    def start(sim, *args, output="out.jsonl"):
        s = Stream(sim.port, pki.client, tmp_path / output, "--monitor", "0", "--backoff", "0.2",
                   "--events", *args)
        started.append(s)
        return s
    yield start
    for s in started:
        if s.proc.poll() is None:
            s.kill()


def streaming_requests(sim):
    """The event versions of each Streaming Request the simulator read, e.g. ['71v17', ...]."""
    return [line.split("events ", 1)[1].split() for line in sim.stderr().splitlines()
            if "streaming request from" in line]


def connection_events(path):
    return [json.loads(line)["event"] for line in path.read_text().splitlines()
            if '"cisco:firepower:estreamer:connection"' in line]


def wait_for_events(proc, path, count):
    proc.wait_for(lambda: path.exists() and len(connection_events(path)) >= count, 60,
                  f"{count} connection events")


def test_an_fmc_refusing_generation_7_gets_6_2_and_it_is_remembered(simulator, stream,
                                                                      tmp_path):
    sim = simulator("--records", 60, "--families", "connection", "--max-generation", "6.2")
    bookmark = tmp_path / "bookmark.json"
    first = stream(sim, "--bookmark", bookmark)
    wait_for_events(first, tmp_path / "out.jsonl", 60)
    assert first.terminate() == 0
    log = first.stderr()
    assert re.search(r"127\.0\.0\.1:\d+ refused event generation 7\.0 \(it closed the "
                     r"connection right after the Streaming Request\); asking for generation "
                     r"6\.2", log), log
    assert "accepts event generation 6.2" in log
    assert [("71v17" in r, "71v14" in r) for r in streaming_requests(sim)] == [(True, False),
                                                                               (False, True)]
    remembered = json.loads((tmp_path / "bookmark.json.generation").read_text())
    assert [entry["generation"] for entry in remembered.values()] == ["6.2"]
    assert list(remembered) == [f"127.0.0.1:{sim.port}"]
    # FMC 6 connection blocks: no translated addresses, every record once
    events = connection_events(tmp_path / "out.jsonl")
    assert len(events) == 60 and not any("src_translated_ip" in e for e in events)

    second = stream(sim, "--bookmark", bookmark, "--since", "genesis", output="again.jsonl")
    second.wait_for(lambda: len(streaming_requests(sim)) == 3, 30, "the next request")
    assert second.terminate() == 0
    assert "71v14" in streaming_requests(sim)[2]  # asked for 6.2 directly
    assert "refused event generation" not in second.stderr()


def test_an_fmc_answering_an_error_is_asked_for_the_older_generation_too(simulator, stream,
                                                                       tmp_path):
    sim = simulator("--records", 30, "--families", "connection", "--max-generation", "6.2",
                    "--refusal", "error")
    proc = stream(sim)
    wait_for_events(proc, tmp_path / "out.jsonl", 30)
    assert proc.terminate() == 0
    assert re.search(r"refused event generation 7\.0 \(it answered error -1: event version "
                     r"11 of event type 12 is not supported \(newest: 9\)\); asking for "
                     r"generation 6\.2", proc.stderr()), proc.stderr()


def test_an_fmc_7_streams_generation_7_at_once(simulator, stream, tmp_path):
    sim = simulator("--records", 30, "--families", "connection")
    proc = stream(sim)
    wait_for_events(proc, tmp_path / "out.jsonl", 30)
    assert proc.terminate() == 0
    assert len(streaming_requests(sim)) == 1 and "71v17" in streaming_requests(sim)[0]
    assert any("src_translated_ip" in e for e in connection_events(tmp_path / "out.jsonl"))


def test_a_fixed_generation_is_never_traded_for_another(simulator, stream, tmp_path):
    sim = simulator("--records", 30, "--families", "connection", "--max-generation", "6.2")
    proc = stream(sim, "--generation", "7.0")
    proc.wait_for(lambda: len(streaming_requests(sim)) >= 2, 30, "a second attempt")
    assert proc.terminate() == 0
    assert all("71v17" in request for request in streaming_requests(sim))
    assert "asking for generation" not in proc.stderr()
    assert "the FMC closed the connection after the request" in proc.stderr()
    assert event_records(tmp_path / "out.jsonl") == []


def test_when_every_generation_is_refused_the_diagnostics_hint_is_reported(simulator, stream,
                                                                         tmp_path):
    sim = simulator("--records", 30, "--families", "connection",
                    *["--fault", "close-after-streaming-request"] * 3)
    proc = stream(sim)
    wait_for_events(proc, tmp_path / "out.jsonl", 30)  # the faults are spent: 7.0 streams
    assert proc.terminate() == 0
    log = proc.stderr()
    assert "refused event generation 7.0" in log and "refused event generation 6.2" in log
    # after the third refusal, the error the diagnostics give for an FMC closing after the
    # request (the client may have been deleted, or a NAT device changes the address)
    assert re.search(r"ERROR estreamer\.client: 127\.0\.0\.1:\d+: the FMC closed the connection "
                     r"after the request: the client may have been deleted on the FMC", log), log
    versions = [next(v for v in request if v.startswith("71v")) for request in
                streaming_requests(sim)]
    assert versions == ["71v17", "71v14", "71v14", "71v17"]  # 6.0 asks connection v14 too


# --- the test command ---------------------------------------------------------------------------

def run_test(port, pkcs12, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "estreamer", "test", "--host", "127.0.0.1", "--port", str(port),
         "--pkcs12", str(pkcs12), "--wait", "3", "--timeout", "3", "--families", "connection",
         *args], capture_output=True, text=True, timeout=60,
        env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD))
    return proc.returncode, proc.stdout


def test_the_test_command_finds_the_generation_an_older_fmc_streams(simulator, pki):
    sim = simulator("--records", 30, "--families", "connection", "--max-generation", "6.2")
    code, out = run_test(sim.port, pki.client)
    assert code == 0, out
    assert re.search(r"ok   event generation: the FMC refused generation 7\.0 \(the FMC closed "
                     r"the connection after the request.*\); trying an older one", out), out
    assert "ok   event generation: the FMC streams generation 6.2" in out
    assert out.index("refused generation 7.0") < out.index("ok   request:")


def test_the_test_command_reports_a_refused_fixed_generation_as_today(simulator, pki):
    sim = simulator("--records", 30, "--families", "connection", "--max-generation", "6.2")
    code, out = run_test(sim.port, pki.client, "--generation", "7.0")
    assert code == 1
    assert "verdict: FAILED - the FMC closed the connection after the request: the client may " \
           "have been deleted on the FMC" in out
