"""An FMC high-availability pair as one input, end to end through the ``stream`` command: two
simulators holding the same events, the second stamping its archive times ``--archive-skew``
seconds apart; the first is SIGKILLed mid-stream; the client fails over within the grace period
plus one backoff and every event record of the archive is written exactly once (compared with
the simulator's ``--manifest``), across the switch and across SIGKILLs of the client itself."""
import collections
import random
import re
import signal
import socket
import time

import pytest

from fmcsim.traffic import record_key
from simulator import Simulator, Stream, event_records

RECORDS = 12000
FAILOVER_AFTER = 5
BACKOFF = 0.5  # the first reconnect delay; it doubles: 0.5, 1, 2, 4 … within the grace period
# "within the grace period plus one backoff": the backoff has grown to 4 s when the grace period
# ends (the doubling from 0.5 s; the client cuts its waits to end with the grace period, so it
# is usually on time), and a loaded test machine gets 3 s more
FAILOVER_BOUND = FAILOVER_AFTER + 4 + 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ha(pki, tmp_path):
    """``ha(skew)`` -> (primary, standby) simulators of one archive; ``ha.stream(...)`` runs the
    stream command against the pair. Everything is stopped when the test ends."""
    started, streams = [], []

    class Pair:
        def __call__(self, skew, standby=True, standby_port=None):
            self.primary = self.sim()
            self.standby_port = standby_port or free_port()
            self.standby = self.start_standby(skew) if standby else None
            self.skew = skew
            return self.primary, self.standby

        def sim(self, *args):
            sim = Simulator(pki, tmp_path, "--records", RECORDS, "--families", "all",
                            "--per-second", 9, *args)
            started.append(sim)
            return sim

        def start_standby(self, skew=None):
            self.standby = self.sim("--archive-skew", self.skew if skew is None else skew,
                                    "--port", self.standby_port)
            return self.standby

        def stream(self, out, bookmark, *args):
            s = Stream(self.primary.port, pki.client, out, "--families", "all",
                       "--standby", f"127.0.0.1:{self.standby_port}",
                       "--failover-after", FAILOVER_AFTER, "--backoff", BACKOFF,
                       "--bookmark", bookmark, "--batch-size", 50, "--flush-interval", 0.2,
                       "--monitor", 1, *args)
            streams.append(s)
            return s

        def expected(self):
            """Every event record of the archive the stream asks for (no packets, no extra
            data): the same keys on both FMCs."""
            keys = [k for k in self.primary.manifest_keys() if not k.startswith(("2:", "110:"))]
            if self.standby is not None:
                assert [k for k in self.standby.manifest_keys()
                        if not k.startswith(("2:", "110:"))] == keys
            return keys

    yield Pair()
    for s in streams:
        if s.proc.poll() is None:
            s.kill()
    for sim in started:
        sim.stop()


def written(out):
    return len(event_records(out, []))


def assert_exactly_once(out, expected):
    torn = []
    got = [record_key(r) for r in event_records(out, torn)]
    duplicates = [k for k, n in collections.Counter(got).items() if n > 1]
    missing = set(expected) - set(got)
    assert not missing, f"{len(missing)} records lost, e.g. {sorted(missing)[:5]}"
    assert not duplicates, f"{len(duplicates)} records repeated, e.g. {duplicates[:5]}"
    assert not torn and len(got) == len(expected)


def connected_to(s, port):
    return f"connected to 127.0.0.1:{port} " in s.stderr()


def kill(sim):
    sim.proc.send_signal(signal.SIGKILL)
    sim.proc.wait()


def fail_over(s, pair, out):
    """SIGKILL the primary once a quarter of the archive is written; returns the seconds until
    the client connected to the standby."""
    s.wait_for(lambda: written(out) >= RECORDS // 4, 90, "a quarter of the archive")
    kill(pair.primary)
    killed = time.monotonic()
    s.wait_for(lambda: connected_to(s, pair.standby_port), 60, "the connection to the standby")
    return time.monotonic() - killed


@pytest.mark.parametrize("skew", [7, -7], ids=["standby-ahead", "standby-behind"])
def test_a_killed_primary_fails_over_in_time_and_every_event_is_written_once(ha, tmp_path,
                                                                            skew):
    ha(skew)
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    expected = ha.expected()
    s = ha.stream(out, bookmark)
    took = fail_over(s, ha, out)
    assert FAILOVER_AFTER <= took <= FAILOVER_BOUND, took
    s.wait_for(lambda: written(out) >= len(expected), 120, "every record")
    time.sleep(1)  # anything repeated would arrive now
    assert s.terminate() == 0
    assert_exactly_once(out, expected)
    log = s.stderr()
    assert re.search(rf"failing over to the standby FMC 127\.0\.0\.1:{ha.standby_port}: the "
                     rf"primary FMC 127\.0\.0\.1:{ha.primary.port} has not answered for "
                     rf"\d+ s", log), log[-3000:]
    assert "monitor: connected" in log and "failovers 1;" in log.splitlines()[-1]


@pytest.mark.parametrize("skew", [7, -7], ids=["standby-ahead", "standby-behind"])
def test_sigkills_of_the_client_during_the_failover_lose_and_repeat_nothing(ha, tmp_path, skew):
    ha(skew)
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    expected = ha.expected()
    first = ha.stream(out, bookmark)
    first.wait_for(lambda: written(out) >= RECORDS // 4, 90, "a quarter of the archive")
    kill(ha.primary)
    time.sleep(2)  # within the grace period: the client is retrying the primary
    first.kill()
    # restarted, it prefers the primary (down), then fails over; killed again while the standby
    # streams, after a random number of new events
    second = ha.stream(out, bookmark)
    second.wait_for(lambda: connected_to(second, ha.standby_port), 60, "the standby")
    log = second.stderr()  # a new process prefers the primary: it tries it first
    assert log.index(f"127.0.0.1:{ha.primary.port}: ") < log.index(
        f"connected to 127.0.0.1:{ha.standby_port} ")
    have = written(out)
    goal = have + random.Random(skew).randint(100, 1500)
    second.wait_for(lambda: written(out) >= goal, 60, "events from the standby")
    second.kill()
    third = ha.stream(out, bookmark)
    third.wait_for(lambda: written(out) >= len(expected), 120, "every record")
    time.sleep(1)
    assert third.terminate() == 0
    assert_exactly_once(out, expected)


def test_a_standby_that_is_down_at_start_is_used_once_it_is_up(ha, tmp_path):
    ha(7, standby=False)
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    s = ha.stream(out, bookmark)
    s.wait_for(lambda: written(out) >= RECORDS // 4, 90, "a quarter of the archive")
    kill(ha.primary)
    # the grace period runs out, the standby refuses, the client goes back to the primary …
    s.wait_for(lambda: f"127.0.0.1:{ha.standby_port}: " in s.stderr(), 60,
               "an attempt on the standby")
    s.wait_for(lambda: f"the standby FMC 127.0.0.1:{ha.standby_port} failed: back to the "
                       f"primary FMC 127.0.0.1:{ha.primary.port}" in s.stderr(), 30,
               "the return to the primary")
    ha.start_standby()
    expected = ha.expected()
    s.wait_for(lambda: written(out) >= len(expected), 120, "every record")
    time.sleep(1)
    assert s.terminate() == 0
    assert_exactly_once(out, expected)
    assert connected_to(s, ha.standby_port)
