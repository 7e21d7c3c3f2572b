"""The packaged modular input, run as splunkd runs it, when records, clocks and splunkd's timing
are against it: a record whose blocks nest 400 deep, a record stamped a year ahead, a KV store
that is still starting when splunkd starts the input, a session key that ages out, a damaged
metadata cache. The input goes on, or exits for splunkd to restart it and then resumes where it
was: nothing lost, nothing replayed from the FMC's beginning."""
import json
import time

import pytest

from fmcsim.traffic import FAMILIES, pattern_for
from modinput import Rig
from test_modular_input import (
    ADVANCED,
    COLLECTION,
    PARAMS,
    TYPES,
    data_events,
    identity,
    log_of,
    python,  # noqa: F401 - a fixture, used by name
    )

HEALTH = "cisco:firepower:estreamer:health"


@pytest.fixture
def rig(pki, tmp_path, built, python):  # noqa: F811
    with Rig(built["app"], python, pki, tmp_path) as parts:

        class Setup:
            def __init__(self, records, *sim_args, advanced=None, **state):
                self.sim = parts.simulator("--records", records, "--families", "all", *sim_args)
                settings = {"advanced": dict(ADVANCED["advanced"], **(advanced or {})),
                            "logging": ADVANCED["logging"]}
                self.splunkd = parts.start_splunkd({"fmc1": parts.fmc_server(self.sim.port)},
                                                   settings, **state)
                self.checkpoints = parts.checkpoints
                self.mirror = self.checkpoints / "fmc1_events.bookmark.json"

            def run(self, **params):
                return parts.run("fmc1_events", dict(PARAMS, **params))

            def expected(self):
                return self.sim.manifest_keys(TYPES)

            def kv_bookmark(self):
                return json.loads(self.splunkd.documents(COLLECTION)["fmc1_events"]["state"])

        yield Setup


def records_only(events):
    """Data events of decoded records (not the raw form of an undecodable one)."""
    return [e for e in data_events(events) if "raw" not in e["event"]]


def health_of(run, scope="fmc"):
    return [e["event"] for e in run.events()
            if e["sourcetype"] == HEALTH and e["event"]["scope"] == scope]


def serial_of_a_connection_record_near(n):
    """The serial (1-based) of the first connection record (71) at or after serial ``n`` in the
    simulator's archive of every family."""
    pattern = pattern_for(FAMILIES)
    i = n - 1
    while pattern[i % len(pattern)][0] != 71:
        i += 1
    return i + 1


# --- records ------------------------------------------------------------------------------------

def test_the_records_after_a_record_nested_400_deep_are_delivered(rig):
    r = rig(300, "--fault", "poison@120")
    run = r.run(raw_unknown="1")
    want = len(r.expected())
    run.wait_for(lambda: len(records_only(run.events())) >= want, 90, f"{want} events")
    run.wait_for(lambda: sum(h.get("parse_errors", 0) for h in health_of(run)) >= 1, 30,
                 "a health event counting the malformed record")
    assert run.proc.poll() is None  # still running
    assert run.terminate()[0] == 0
    events = run.events()
    assert len({identity(e) for e in records_only(events)}) == want
    (raw,) = [e["event"] for e in data_events(events) if "raw" in e["event"]]
    assert raw["rec_type"] == 88 and len(raw["raw"]) > 20000  # the whole ~11 KB record, as hex
    assert sum("malformed record" in line for line in log_of(run).splitlines()) == 1


def test_a_record_stamped_a_year_ahead_never_moves_the_bookmark_across_a_restart(rig):
    now = int(time.time())
    future = serial_of_a_connection_record_near(100)
    r = rig(200, "--per-second", 1, "--start-time", now - 400, "--live", 3,
            "--fault", f"future@{future}:31536000")
    first = r.run()
    want = set(r.expected())
    first.wait_for(lambda: len(data_events(first.events())) >= len(want) + 10, 90,
                   "the archive and some live events")
    first.wait_for(lambda: sum(h.get("future_records", 0) for h in health_of(first)) >= 1, 30,
                   "a health event counting the future record")
    assert first.terminate()[0] == 0
    ahead = [e for e in data_events(first.events()) if float(e["time"]) > now + 86400]
    assert len(ahead) == 1  # delivered
    bookmark = r.kv_bookmark()["timestamp"]
    assert bookmark <= time.time() + 86400
    assert sum("ahead of this host's clock" in line for line in log_of(first).splitlines()) == 1

    restarted = time.time()
    second = r.run()
    second.wait_for(lambda: sum(float(e["time"]) >= restarted
                                for e in data_events(second.events())) >= 10, 60,
                    "present-day events after the restart")
    assert second.terminate()[0] == 0
    assert r.kv_bookmark()["timestamp"] <= time.time() + 86400


# --- a KV store that is still starting --------------------------------------------------------------

def test_restarted_while_the_kv_store_starts_for_30_s_the_input_resumes_from_its_bookmark(rig):
    r = rig(300)
    first = r.run()
    want = len(r.expected())
    first.wait_for(lambda: len(data_events(first.events())) >= want, 90, f"{want} events")
    assert first.terminate()[0] == 0
    saved = r.kv_bookmark()
    r.mirror.unlink(missing_ok=True)  # only the KV store holds it (the old release deleted it)

    r.splunkd.start_kvstore(30)
    second = r.run()
    second.wait_for(lambda: "KV store ready after" in log_of(second), 60,
                    "the KV store to come up")
    second.wait_for(lambda: log_of(second).count("stream started") == 2, 30, "the stream")
    time.sleep(2)  # what a replay would deliver arrives within these seconds
    assert second.terminate()[0] == 0
    assert data_events(second.events()) == []  # resumed at the bookmark: nothing replayed
    assert f"since {saved['timestamp'] - 1}" in log_of(second)
    waiting = [h for h in health_of(second) if "waiting up to 300 s" in h.get("last_error", "")]
    assert waiting, "a health event says the input waits for the KV store"


def test_a_kv_store_down_past_the_wait_with_no_file_exits_for_splunkd_to_retry(rig):
    r = rig(50, advanced={"kvstore_wait": "3"}, kvstore_starting=600)
    run = r.run()
    assert run.proc.wait(60) != 0
    log = log_of(run)
    assert "KV store still unavailable after 3 s" in log and "log_level=ERROR" in log
    assert "stream started" not in log  # never started without its bookmark
    assert data_events(run.events()) == []
    assert any("KV store still unavailable" in h.get("last_error", "") for h in health_of(run))


# --- a session key that ages out ---------------------------------------------------------------

def test_a_401_after_a_save_leaves_the_bookmark_in_the_file_and_a_restart_resumes_from_it(rig):
    r = rig(3000, "--per-second", 7, "--bundle-bytes", 2048)
    first = r.run()
    first.wait_for(lambda: len(data_events(first.events())) >= 300, 60, "300 events")
    r.splunkd.expire_session()
    assert first.proc.wait(60) == 1
    log = log_of(first)
    assert "refused the input's session key (HTTP 401" in log
    assert any("refused the input's session key" in h.get("last_error", "")
               for h in health_of(first))
    in_file = json.loads(r.mirror.read_text())
    assert (in_file["timestamp"], in_file["count"]) > tuple(r.kv_bookmark().values())

    r.splunkd.new_session()  # splunkd restarts the input with a fresh key
    second = r.run()
    want = set(r.expected())
    both = lambda: data_events(first.events()) + data_events(second.events())  # noqa: E731
    second.wait_for(lambda: len({identity(e) for e in both()}) >= len(want), 120, "every event")
    assert second.terminate()[0] == 0
    events = both()
    assert len(events) == len({identity(e) for e in events}) == len(want)  # exactly once


# --- a damaged metadata cache --------------------------------------------------------------------

def test_a_metadata_cache_that_is_a_list_is_moved_aside_and_the_input_runs(rig):
    r = rig(100)
    cache = r.checkpoints / "fmc1_events.metadata.json"
    cache.write_text("[]")
    run = r.run()
    want = len(r.expected())
    run.wait_for(lambda: len(data_events(run.events())) >= want, 90, f"{want} events")
    assert run.terminate()[0] == 0
    assert (r.checkpoints / "fmc1_events.metadata.json.unreadable").read_text() == "[]"
    warnings = [line for line in log_of(run).splitlines()
                if "log_level=WARNING" in line and str(cache) in line]
    assert len(warnings) == 1 and "moved aside" in warnings[0]
    assert json.loads(cache.read_text())["tables"]  # saved afresh at shutdown
