"""``make demo``: the add-on's main job on its embedded default, no Splunk and no FMC needed.

Starts the FMC simulator (every record family, several devices) and the splunkd REST double
(an FMC server stanza with a fresh PKCS12, an input), runs the *packaged* modular input exactly
as splunkd would for about 20 seconds, prints a sample of the events it wrote and a summary
(events per sourcetype, the steady-state rate once the archive flows, the KV-store bookmark,
and why the health events' lag is the simulator's archive's age), then stops it with SIGTERM
as splunkd does. Last, it shows which of the cases analysts hunt
(fmcsim.hunted) the events hold, found with Cisco Security Cloud's field names, the ones
Splunk's Cisco Secure Firewall detections use, through the model of Splunk's search time and
the built add-on's props.conf.
"""
import argparse
import collections
import json
import pathlib
import re
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "package" / "bin"), str(REPO)]

from fmcsim import pki as fmc_pki  # noqa: E402
from fmcsim.traffic import START_TIME  # noqa: E402
from modinput import Rig  # noqa: E402
from simulator import PASSWORD  # noqa: E402

APP = REPO / "output" / "TA_firepower_estreamer"
PARAMS = {"fmc_server": "fmc1", "index": "firepower", "start_position": "bookmark",
          "record_families": "connection|intrusion|file|malware|correlation|identity|vpn|"
                             "discovery",
          "packet_data": "1", "intrusion_extra_data": "1", "si_split": "1", "interval": "60"}
SETTINGS = {"advanced": {"flush_interval": "1", "batch_size": "500", "health_interval": "5"},
            "logging": {"loglevel": "INFO"}}
HEALTH = "cisco:firepower:estreamer:health"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    if not (APP / "bin" / "firepower_estreamer.py").exists():
        print(f"demo: {APP} is missing: run `make build` first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="estreamer-demo-") as tmp:
        work = pathlib.Path(tmp)
        pki = fmc_pki.mint(str(work / "pki"), password=PASSWORD)
        with Rig(APP, sys.executable, pki, work) as rig:
            # 64 bundles in flight, as the benchmark runs it: the rate is the input's, not
            # the simulator's flow control
            sim = rig.simulator("--records", args.records, "--families", "all",
                                "--per-second", 20, "--window", 64)
            print(f"demo: FMC simulator on 127.0.0.1:{sim.port} ({args.records} records, "
                  f"every family)")
            splunkd = rig.start_splunkd({"fmc1": rig.fmc_server(sim.port)}, SETTINGS)
            print(f"demo: splunkd double on {splunkd.uri}; running the packaged input "
                  f"firepower_estreamer://demo for {args.seconds:g} s")
            archive = len(sim.manifest_keys())
            run = rig.run("demo", PARAMS)
            flow = Flow(archive)
            while flow.elapsed() < args.seconds and run.proc.poll() is None:
                flow.sample(run.event_count())
                time.sleep(0.05)
            code, took = run.terminate()
            sim.stop()
            events = run.events()
            report(events, flow, splunkd, code, took, run)
            hunted(events)
            return 0 if code == 0 and events else 1


class Flow:
    """When the input's events came: the steady-state rate is measured from its first event
    (start-up, imports and the TLS handshake are behind it) to the moment it had written as
    many events as the simulator's archive holds."""

    def __init__(self, archive: int):
        self.archive = archive
        self.started = time.monotonic()
        self.first = self.full = None  # (seconds since start, events written)
        self.last = (0.0, 0)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def sample(self, count: int) -> None:
        now = self.elapsed()
        if self.first is None and count:
            self.first = (now, count)
        if self.full is None and count >= self.archive:
            self.full = (now, count)
        self.last = (now, count)

    def steady_rate(self):
        """(events/s, seconds to the first event, whether the whole archive flowed)."""
        if self.first is None:
            return None, None, False
        end = self.full or self.last
        seconds = end[0] - self.first[0]
        rate = (end[1] - self.first[1]) / seconds if seconds > 0 else None
        return rate, self.first[0], self.full is not None


def report(events, flow, splunkd, code, took, run):
    seen = set()
    print("\ndemo: one event per sourcetype, as the input wrote it to splunkd:")
    for e in events:
        if e["sourcetype"] in seen:
            continue
        seen.add(e["sourcetype"])
        text = json.dumps(e["event"], separators=(",", ":"))
        print(f"  {e['time']} {e['sourcetype']} index={e['index']} host={e['host']}\n"
              f"    {text[:300]}{'…' if len(text) > 300 else ''}")
    counts = collections.Counter(e["sourcetype"] for e in events)
    size = collections.defaultdict(int)
    for e in events:
        size[e["sourcetype"]] += len(json.dumps(e["event"], separators=(",", ":")))
    print(f"\ndemo: {len(events)} events in {flow.elapsed():.1f} s:")
    for sourcetype, n in counts.most_common():
        print(f"  {n:7d}  {sourcetype}  (mean {size[sourcetype] / n:.0f} bytes)")
    rate, first, whole = flow.steady_rate()
    if rate is not None:
        print(f"demo: steady state: {rate:,.0f} events/s once the archive flowed (its first "
              f"event {first:.1f} s after the start: Python start-up, imports, the TLS "
              f"handshake; {'the whole archive' if whole else 'the part of the archive'} "
              f"of {flow.archive:,} records {'came' if whole else 'that came'} "
              f"in {(flow.full or flow.last)[0] - first:.1f} s)")
    documents = splunkd.documents("TA_firepower_estreamer_checkpointer") or {}
    for key, doc in documents.items():
        bookmark = json.loads(doc["state"])
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(bookmark["timestamp"]))
        print(f"demo: KV-store bookmark of {key}: {when} UTC + {bookmark['count']} "
              f"records of that second")
    explain_lag(events)
    print(f"demo: SIGTERM -> the input flushed, saved its bookmark and exited {code} "
          f"in {took:.2f} s")
    if code != 0:
        print(run.stderr()[-2000:], file=sys.stderr)


def explain_lag(events):
    """The health events' lag is now minus the events' own time: here, the simulator's age."""
    lags = [e["event"]["lag"] for e in events
            if e["sourcetype"] == HEALTH and e["event"].get("scope") == "fmc"
            and "lag" in e["event"]]
    if not lags:
        return
    since = time.strftime("%Y-%m-%d", time.gmtime(START_TIME))
    print(f"demo: the health events report a lag of up to {max(lags):,.0f} s "
          f"({max(lags) / 86400:,.0f} days): lag is the time from an event's own time to its "
          f"delivery, and the simulator's archive is stamped from {since} on, so here it is "
          f"the archive's age. Against a live FMC it is seconds; the *Ingest lag* alert reads "
          f"the field as it is.")


HUNTED_FAMILIES = ("connection", "intrusion", "file", "malware")
HUNTED_SAMPLE = 4000  # events looked at: the model reads every field of each, in Python


def hunted(events):
    """How many of the cases analysts hunt the input's events hold, and one of each."""
    from fmcsim.hunted import HUNTED
    from searchtime import Search, SearchHead
    head = SearchHead(default=APP / "default", lookups=APP / "lookups")
    sample = [e for e in events
              if e["sourcetype"].rsplit(":", 1)[-1] in HUNTED_FAMILIES][:HUNTED_SAMPLE]
    fields = [head.fields({
        "_raw": json.dumps(e["event"], ensure_ascii=False, separators=(",", ":")),
        "_time": float(e["time"]), "host": e["host"], "source": e["source"],
        "sourcetype": e["sourcetype"], "index": e["index"], "splunk_server": "demo",
        "linecount": "1"}) for e in sample]
    print(f"\ndemo: the cases analysts hunt, found with Cisco's field names (ESCU) in the first "
          f"{len(sample)} connection, intrusion, file and malware events:")
    for name, terms, _ in HUNTED:
        search = Search(terms)
        found = [f for f in fields if search(f)]
        example = ""
        if found:
            keys = [k for k in re.findall(r"([A-Za-z_]+)\s*(?:[!<>]?=|>|<| IN )", terms)
                    if k != "EventType"]
            example = "  e.g. " + ", ".join(f"{k}={found[0].get(k)}" for k in dict.fromkeys(
                keys + ["InitiatorIP", "ResponderIP"]))
        print(f"  {len(found):6d}  {name}{example}")


if __name__ == "__main__":
    sys.exit(main())
