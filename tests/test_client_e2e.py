"""The streaming client end to end: real TLS sockets, the FMC simulator and the ``stream`` command
as subprocesses. Every fault an FMC or a network throws: the stream survives, the log says what
happened in one line, and every record arrives exactly once."""
import collections
import os
import random
import signal
import subprocess
import time

import pytest

from fmcsim.traffic import record_key
from simulator import PASSWORD, Stream, event_records, records

# record types each family's StreamingRequest asks for, as the simulator's manifest names them
CONNECTION = {71}
NO_EXTRAS = None  # every type but packets (2) and extra data (110), which need their flags


@pytest.fixture
def stream(pki, tmp_path):
    started = []

    def start(sim, *args, pkcs12=None, output=None, **kw):
        s = Stream(sim.port, pkcs12 or pki.client, output or tmp_path / "out.jsonl",
                   "--monitor", "1", "--backoff", "0.2", *args, **kw)
        started.append(s)
        return s
    yield start
    for s in started:
        if s.proc.poll() is None:
            s.kill()


def wanted(sim, types=None):
    keys = sim.manifest_keys(types)
    if types is None:
        keys = [k for k in keys if not k.startswith(("2:", "110:"))]
    return keys


def assert_exactly_once(output, expected, torn=None):
    got = [record_key(r) for r in event_records(output, torn)]
    duplicates = [k for k, n in collections.Counter(got).items() if n > 1]
    missing = set(expected) - set(got)
    assert not missing, f"{len(missing)} records lost, e.g. {sorted(missing)[:5]}"
    assert not duplicates, f"{len(duplicates)} records repeated, e.g. {duplicates[:5]}"
    assert len(got) == len(expected)


def run_to_end(stream_proc, output, expected, timeout=60):
    stream_proc.wait_for(lambda: len(event_records(output)) >= len(expected), timeout,
                         f"{len(expected)} records")
    assert stream_proc.terminate() == 0


# --- the happy path ----------------------------------------------------------------------

def test_every_family_arrives_exactly_once_with_its_metadata_first(simulator, stream, tmp_path):
    sim = simulator("--records", 600, "--families", "all")
    out = tmp_path / "out.jsonl"
    s = stream(sim, "--families", "all")
    expected = wanted(sim)
    run_to_end(s, out, expected)
    assert_exactly_once(out, expected)
    types = {r["recordType"] for r in records(out)}
    assert {71, 400, 500, 502, 125, 112, 95, 170}.issubset(types)
    assert not any(r.get("unknown") for r in records(out))


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_the_stream_works_over_tls_1_2_and_1_3(simulator, stream, tmp_path, version):
    sim = simulator("--records", 100, "--families", "connection", "--tls", version)
    out = tmp_path / "out.jsonl"
    s = stream(sim, "--families", "connection")
    run_to_end(s, out, sim.manifest_keys(CONNECTION))
    assert_exactly_once(out, sim.manifest_keys(CONNECTION))
    assert f"(TLSv{version}," in sim.stderr()


def test_stream_events_prints_the_events_splunk_would_get(simulator, stream, tmp_path):
    sim = simulator("--records", 120, "--families", "connection,intrusion")
    out = tmp_path / "out.jsonl"
    s = stream(sim, "--families", "connection,intrusion", "--events")
    want = len(sim.manifest_keys({71, 400, 9}))
    s.wait_for(lambda: len(records(out)) >= want, 60, f"{want} events")
    assert s.terminate() == 0
    lines = records(out)
    assert len(lines) == want
    assert all(list(line) == ["time", "sourcetype", "host", "event"] for line in lines)
    assert {line["host"] for line in lines} == {"127.0.0.1"}
    assert {line["sourcetype"] for line in lines} == {
        "cisco:firepower:estreamer:connection", "cisco:firepower:estreamer:intrusion",
        "cisco:firepower:estreamer:intrusion_extra"}


def test_packets_and_extra_data_come_only_when_asked(simulator, stream, tmp_path):
    sim = simulator("--records", 300, "--families", "intrusion")
    out = tmp_path / "out.jsonl"
    s = stream(sim, "--families", "intrusion", "--packets", "--extra-data")
    expected = sim.manifest_keys({400, 2, 110, 9})
    run_to_end(s, out, expected)
    assert_exactly_once(out, expected)
    assert {2, 110} <= {r["recordType"] for r in records(out)}


def test_the_monitor_line_reports_records_rate_bookmark_and_troubles(simulator, stream, tmp_path):
    sim = simulator("--records", 200, "--families", "connection")
    out = tmp_path / "out.jsonl"
    s = stream(sim, "--families", "connection")
    run_to_end(s, out, sim.manifest_keys(CONNECTION))
    monitor = [line for line in s.stderr().splitlines() if line.startswith("monitor: ")][-1]
    for part in ("records;", "records/s;", "bookmark 20", "(lag ", "reconnects 0;",
                 "parse errors 0;", "unknown types 0;"):
        assert part in monitor, monitor


def test_a_restarted_stream_resumes_after_its_bookmark_without_repeating(simulator, stream,
                                                                          tmp_path):
    sim = simulator("--records", 400, "--families", "connection", "--per-second", 7)
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    expected = sim.manifest_keys(CONNECTION)
    first = stream(sim, "--families", "connection", "--bookmark", bookmark, "--batch-size", 25)
    first.wait_for(lambda: len(event_records(out)) >= 100, what="100 records")
    assert first.terminate() == 0
    second = stream(sim, "--families", "connection", "--bookmark", bookmark)
    run_to_end(second, out, expected)
    assert_exactly_once(out, expected)


# --- faults ----------------------------------------------------------------------------------

FAULTS = {
    "drop": (["--fault", "drop@150"], "the FMC closed the connection"),
    "stall": (["--fault", "stall@150:6"], "the FMC sent nothing for 2 s"),
    "garbage": (["--fault", "garbage@150"], "message header version"),
    "error": (["--fault", "error@150:17:Subscription quota exceeded"],
              "the FMC refused the request: error 17: Subscription quota exceeded"),
    "restart": (["--fault", "restart@150"], "the FMC closed the connection"),
    "refuse-cert": (["--fault", "refuse-cert"], "the FMC closed the connection after the request"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_stream_survives_a_fault_says_what_happened_and_loses_nothing(
        simulator, stream, tmp_path, fault):
    args, message = FAULTS[fault]
    sim = simulator("--records", 400, "--families", "connection", *args)
    out = tmp_path / "out.jsonl"
    s = stream(sim, "--families", "connection", "--response-timeout", 2)
    expected = sim.manifest_keys(CONNECTION)
    run_to_end(s, out, expected)
    assert_exactly_once(out, expected)
    errors = [line for line in s.stderr().splitlines() if " ERROR " in line]
    assert any(message in line for line in errors), "\n".join(errors) or s.stderr()[-2000:]
    assert "reconnecting to 127.0.0.1" in s.stderr()


def test_a_wrong_password_stops_with_one_line_that_says_so(simulator, stream, tmp_path):
    sim = simulator("--records", 10)
    s = stream(sim, password="not-it")
    assert s.proc.wait(20) == 2
    assert "error: the PKCS12 password is wrong" in s.stderr().splitlines()


def test_a_certificate_for_another_address_is_named_with_both_addresses(
        simulator, stream, pki, tmp_path):
    sim = simulator("--records", 10)
    s = stream(sim, pkcs12=pki.client_wrong_ip)
    s.wait_for(lambda: "reconnecting" in s.stderr(), 20, "a reconnect")
    s.terminate()
    assert ("the client certificate is for 10.9.9.9 but this host connects from 127.0.0.1"
            in s.stderr())


def test_an_fmc_whose_certificate_the_pkcs12_ca_did_not_sign_is_refused(
        simulator, stream, pki, tmp_path):
    sim = simulator("--records", 10)
    s = stream(sim, pkcs12=pki.client_other_ca)
    s.wait_for(lambda: "reconnecting" in s.stderr(), 20, "a reconnect")
    s.terminate()
    assert "is not signed by the CA in the PKCS12" in s.stderr()
    assert not event_records(tmp_path / "out.jsonl")


# --- hard kills ------------------------------------------------------------------------------

def test_repeated_sigkills_lose_nothing_and_repeat_at_most_one_flush_each(simulator, stream,
                                                                          tmp_path):
    batch = 40
    sim = simulator("--records", 30000, "--families", "connection", "--per-second", 9)
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    expected = sim.manifest_keys(CONNECTION)
    rng = random.Random(7)
    kills = 0
    for _ in range(5):
        s = stream(sim, "--families", "connection", "--bookmark", bookmark,
                   "--batch-size", batch, "--flush-interval", 0.2)
        have = len(event_records(out, []))
        goal = min(have + rng.randint(50, 300), len(expected) - 1000)  # kill mid-stream
        s.wait_for(lambda goal=goal: len(event_records(out, [])) >= goal, what="progress")
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        kills += 1
    final = stream(sim, "--families", "connection", "--bookmark", bookmark)
    final.wait_for(lambda: {record_key(r) for r in event_records(out, [])} >= set(expected),
                   90, "every record")
    assert final.terminate() == 0
    torn = []
    got = [record_key(r) for r in event_records(out, torn)]
    assert set(got) == set(expected)  # nothing lost
    repeats = len(got) - len(set(got))
    # a kill between a flush and its bookmark write repeats at most that flush
    assert repeats <= kills * batch, (repeats, kills)
    assert len(torn) <= kills


# --- backpressure ----------------------------------------------------------------------------

def _rss_kib(pid) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_stalled_sink_holds_the_fmc_back_and_memory_stays_flat(simulator, pki, tmp_path):
    """stdout is a pipe nobody reads for 30 s: the client blocks writing, stops reading the
    socket, TCP pushes back on the simulator; the client's memory does not grow."""
    sim = simulator("--records", 200_000, "--families", "connection")
    env = dict(os.environ)
    from simulator import ENV, stream_command
    env.update(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD)
    proc = subprocess.Popen(stream_command(sim.port, pki.client, "--families", "connection",
                                           "--monitor", "0"),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        time.sleep(3)  # connected, pipe full, blocked
        before = _rss_kib(proc.pid)
        samples = []
        for _ in range(27):
            time.sleep(1)
            samples.append(_rss_kib(proc.pid))
        assert proc.poll() is None
        growth = max(samples) - before
        assert growth < 8 * 1024, f"client memory grew by {growth} KiB while the sink stalled"
        # and the reader can still drain what is there: the stream was paused, not broken
        assert proc.stdout.read(1 << 16)
    finally:
        proc.kill()
        proc.wait()
