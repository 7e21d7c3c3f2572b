"""An FMC HA pair through the packaged modular input, run as splunkd runs it against the splunkd
double: the FMC server stanza names a standby; the primary simulator is SIGKILLed mid-stream;
the input fails over, every event arrives exactly once, and the health events say which FMC
served (``active_fmc``) and count the failover (``failovers``)."""
import collections
import json
import signal
import socket
import sys

import pytest

from conftest import PY39, splunk_python
from modinput import Rig

PARAMS = {"fmc_server": "fmc1", "record_families": "connection|intrusion|malware",
          "start_position": "bookmark", "index": "firepower", "interval": "60"}
ADVANCED = {"advanced": {"flush_interval": "0.2", "batch_size": "50", "health_interval": "1"},
            "logging": {"loglevel": "INFO"}}
TYPES = {71, 400, 9, 125}
RECORDS = 6000
HEALTH = "cisco:firepower:estreamer:health"


@pytest.fixture(scope="module")
def python():
    return splunk_python("3.9") if PY39 else sys.executable


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pair(pki, tmp_path, built, python):
    with Rig(built["app"], python, pki, tmp_path) as rig:

        class Pair:
            def __init__(self, skew=7):
                self.primary = self.sim()
                self.standby_port = free_port()
                self.standby = self.sim("--archive-skew", skew, "--port", self.standby_port)
                self.splunkd = rig.start_splunkd({"fmc1": rig.fmc_server(
                    self.primary.port, standby_host=f"127.0.0.1:{self.standby_port}",
                    failover_after="5")}, ADVANCED)
                self.checkpoints = rig.checkpoints

            @staticmethod
            def sim(*args):
                return rig.simulator("--records", RECORDS, "--families", "all",
                                     "--per-second", 9, *args)

            def run(self):
                return rig.run("fmc1_events", PARAMS)

            def expected(self):
                keys = self.primary.manifest_keys(TYPES)
                assert self.standby.manifest_keys(TYPES) == keys
                return keys

            def kill_primary(self):
                self.primary.proc.send_signal(signal.SIGKILL)
                self.primary.proc.wait()

        yield Pair


def data_events(events):
    return [e for e in events if e["sourcetype"] != HEALTH]


def fmc_health(events):
    return [e["event"] for e in events if e["sourcetype"] == HEALTH
            and e["event"].get("scope") == "fmc"]


def identity(event):
    return json.dumps(event["event"], sort_keys=True)


def assert_exactly_once(events, expected):
    counts = collections.Counter(identity(e) for e in data_events(events))
    repeated = [k for k, n in counts.items() if n > 1]
    assert not repeated, f"{len(repeated)} events repeated, e.g. {repeated[:2]}"
    assert len(counts) == len(expected)


def log_of(run):
    path = run.out_path.parent / "log" / "ta_firepower_estreamer_fmc1_events.log"
    return path.read_text() if path.exists() else ""


def test_the_input_fails_over_and_every_event_arrives_exactly_once(pair):
    p = pair()
    expected = p.expected()
    run = p.run()
    run.wait_for(lambda: len(data_events(run.events())) >= len(expected) // 4, 90,
                 "a quarter of the events")
    p.kill_primary()
    run.wait_for(lambda: len(data_events(run.events())) >= len(expected), 120, "every event")
    run.wait_for(lambda: sum(h.get("failovers", 0) for h in fmc_health(run.events())) >= 1,
                 30, "a health event counting the failover")
    assert run.terminate()[0] == 0
    events = run.events()
    assert_exactly_once(events, expected)
    health = fmc_health(events)
    primary, standby = f"127.0.0.1:{p.primary.port}", f"127.0.0.1:{p.standby_port}"
    assert health[0]["active_fmc"] == primary and health[-1]["active_fmc"] == standby
    assert sum(h["failovers"] for h in health) == 1
    assert f"failing over to the standby FMC {standby}" in log_of(run)
    assert list(p.checkpoints.glob("fmc1_events.journal.*"))  # the identity journal


def test_a_sigkill_of_the_input_during_the_failover_loses_and_repeats_nothing(pair):
    p = pair(skew=-7)
    expected = p.expected()
    first = p.run()
    first.wait_for(lambda: len(data_events(first.events())) >= len(expected) // 4, 90,
                   "a quarter of the events")
    p.kill_primary()
    first.wait_for(lambda: "failing over to the standby FMC" in log_of(first), 60, "the failover")
    first.wait_for(lambda: len(data_events(first.events())) >= len(expected) // 4 + 300, 60,
                   "events from the standby")
    first.kill()
    second = p.run()
    total = lambda: first.events() + second.events()  # noqa: E731
    second.wait_for(lambda: len(data_events(total())) >= len(expected), 120, "every event")
    assert second.terminate()[0] == 0
    assert_exactly_once(total(), expected)
