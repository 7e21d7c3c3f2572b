"""The client certificate's expiry: an expired one stops the client at start with the fix (the
FMC would refuse it on every attempt), and the days left reach the health events, which an alert
watches."""
import re
import subprocess
import sys
import threading

import pytest

from estreamer.client import FatalError
from estreamer_splunk.health import fmc_health
from simulator import ENV, PASSWORD
from test_knowledge_objects import conf
from test_pinning import client_for, run_briefly

ALERT = "Firepower eStreamer - Client certificate expiring"


def test_an_expired_client_certificate_is_fatal_at_start(simulator, pki):
    sim = simulator("--records", 20)
    client = client_for(sim, pki, "", pkcs12=pki.client_expired)
    with pytest.raises(FatalError) as e:
        run_briefly(client)  # the current FMC refuses it: retrying would go on forever
    assert re.fullmatch(r"the client certificate expired on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: "
                        r"create a new client on the FMC \(System > Integration > eStreamer\) "
                        r"and upload its PKCS12", str(e.value))
    assert client.stats.reconnects == 0 and sim.stderr().count("connection from") == 0


def test_stream_exits_on_an_expired_client_certificate(simulator, pki, tmp_path):
    sim = simulator("--records", 20)
    proc = subprocess.run(
        [sys.executable, "-m", "estreamer", "stream", "--host", "127.0.0.1", "--port",
         str(sim.port), "--pkcs12", pki.client_expired, "--monitor", "0", "--backoff", "0.1",
         "--output", str(tmp_path / "out.jsonl")],
        capture_output=True, text=True, timeout=30,
        env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD))
    assert proc.returncode == 2
    assert "error: the client certificate expired on " in proc.stderr
    assert "create a new client on the FMC" in proc.stderr


def test_the_days_left_are_in_the_clients_stats_once_it_runs(simulator, pki):
    sim = simulator("--records", 20)
    client = client_for(sim, pki, "")
    assert client.stats.as_dict()["client_cert_days_left"] is None  # nothing loaded yet
    stop = threading.Event()
    client.tick = stop.set
    timer = threading.Timer(20, stop.set)
    timer.start()
    client.run(stop)
    timer.cancel()
    assert client.stats.as_dict()["client_cert_days_left"] == 824


def test_the_fmc_health_event_carries_the_days_left():
    stats = {"connected": True, "events": 0, "bookmark": None, "client_cert_days_left": 12}
    fields = fmc_health(stats, None, 60, 1700000000.0, "fmc1", "in1")
    assert fields["client_cert_days_left"] == 12


def test_the_field_contract_in_props_names_the_days_left():
    from conftest import REPO_ROOT
    props = (REPO_ROOT / "package" / "default" / "props.conf").read_text()
    contract = props.split("[cisco:firepower:estreamer:health]")[0].rsplit("\n\n", 1)[1]
    assert re.search(r"^#\s+client_cert_days_left\s+\S", contract, re.M)


# --- the alert ----------------------------------------------------------------------------------

def test_the_expiry_alert_ships_disabled():
    stanza = conf("savedsearches")[ALERT]
    assert stanza["disabled"] == "1"


def test_the_expiry_alert_fires_below_30_days_of_the_latest_report():
    search = conf("savedsearches")[ALERT]["search"]
    assert search.startswith("`cisco_firepower_health_events` scope=fmc client_cert_days_left=*")
    assert "latest(client_cert_days_left) AS days_left" in search
    assert "| where days_left < `cisco_firepower_cert_days_left`" in search
    assert conf("macros")["cisco_firepower_cert_days_left"]["definition"] == "30"


def test_the_expiry_alert_tells_how_to_renew():
    description = conf("savedsearches")[ALERT]["description"]
    assert "create a new client on the FMC" in description and "PKCS12" in description
