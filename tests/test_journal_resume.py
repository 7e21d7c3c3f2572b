"""The identity journal on the FMC of the bookmark: a crash between a flush and its bookmark
save used to repeat that flush after the restart; now it repeats nothing."""
import collections
import json
import subprocess
import sys
import textwrap

from conftest import REPO_ROOT
from fmcsim.traffic import record_key
from simulator import ENV, PASSWORD, Stream, event_records

# A client that dies (os._exit, as a SIGKILL would) right after its third flush returned,
# before that flush's bookmark is saved.
CRASHING = textwrap.dedent("""
    import os, sys, threading
    from estreamer.bookmark import FileBookmarkStore
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.journal import IdentityJournal
    from estreamer.sinks import JsonLinesSink
    from estreamer.wire import Subscription

    port, pkcs12, password, out, bookmark = sys.argv[1:6]

    class CrashingStore(FileBookmarkStore):
        saves = 0

        def save(self, value):
            CrashingStore.saves += 1
            if CrashingStore.saves == 3:
                os._exit(9)
            super().save(value)

    with open(pkcs12, "rb") as f:
        config = ClientConfig(host="127.0.0.1", port=int(port), pkcs12=f.read(),
                              password=password, batch_size=40, flush_interval=0.2,
                              subscription=Subscription(families=("connection",)))
    with open(out, "a") as sink_file:
        client = StreamClient(config, JsonLinesSink(sink_file), CrashingStore(bookmark),
                              journal=IdentityJournal(bookmark + ".journal", 600))
        client.run(threading.Event())
""")


def test_a_crash_between_a_flush_and_its_bookmark_save_repeats_nothing(simulator, pki,
                                                                       tmp_path):
    sim = simulator("--records", 2000, "--families", "connection", "--per-second", 9)
    out, bookmark = tmp_path / "out.jsonl", tmp_path / "bookmark.json"
    crashed = subprocess.run([sys.executable, "-c", CRASHING, str(sim.port), str(pki.client),
                              PASSWORD, str(out), str(bookmark)], env=ENV,
                             cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=60)
    assert crashed.returncode == 9, crashed.stderr[-2000:]
    written = event_records(out)
    saved = json.loads(bookmark.read_text())
    # the crash left a flushed batch the bookmark does not cover: a resume by the bookmark
    # alone would send it again
    covered = sum(r["archiveTimestamp"] < saved["timestamp"] for r in written) + saved["count"]
    assert len(written) > covered
    expected = sim.manifest_keys({71})
    s = Stream(sim.port, pki.client, out, "--families", "connection", "--bookmark", bookmark,
               "--monitor", 0)
    s.wait_for(lambda: len(event_records(out)) >= len(expected), 60, "every record")
    assert s.terminate() == 0
    got = [record_key(r) for r in event_records(out)]
    assert [k for k, n in collections.Counter(got).items() if n > 1] == []
    assert sorted(got) == sorted(expected)
