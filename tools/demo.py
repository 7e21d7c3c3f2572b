"""``make demo``: the add-on's main job on its embedded default, no Splunk and no FMC needed.

Starts the FMC simulator (every record family, several devices) and the splunkd REST double
(an FMC server stanza with a fresh PKCS12, an input), runs the *packaged* modular input exactly
as splunkd would for about 20 seconds, prints a sample of the events it wrote and a summary,
then stops it with SIGTERM as splunkd does.
"""
import argparse
import collections
import json
import pathlib
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "package" / "bin"), str(REPO)]

from fmcsim import pki as fmc_pki  # noqa: E402
from modinput import PackagedInput, fmc_server, input_xml  # noqa: E402
from simulator import PASSWORD, Simulator  # noqa: E402
from splunkd_double import SplunkdDouble, ucc_state  # noqa: E402

APP = REPO / "output" / "TA_firepower_estreamer"
PARAMS = {"fmc_server": "fmc1", "index": "firepower", "start_position": "bookmark",
          "record_families": "connection|intrusion|file|malware|correlation|identity|vpn|"
                             "discovery",
          "packet_data": "1", "intrusion_extra_data": "1", "si_split": "1", "interval": "60"}
SETTINGS = {"advanced": {"flush_interval": "1", "batch_size": "500", "health_interval": "5"},
            "logging": {"loglevel": "INFO"}}


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
        sim = Simulator(pki, work, "--records", args.records, "--families", "all",
                        "--per-second", 20)
        print(f"demo: FMC simulator on 127.0.0.1:{sim.port} ({args.records} records, "
              f"every family)")
        state = ucc_state(servers={"fmc1": fmc_server(pki, sim.port, PASSWORD)},
                          settings=SETTINGS)
        with SplunkdDouble(state) as splunkd:
            print(f"demo: splunkd double on {splunkd.uri}; running the packaged input "
                  f"firepower_estreamer://demo for {args.seconds:g} s")
            (work / "checkpoints").mkdir()
            xml = input_xml(splunkd.uri, splunkd.session_key, work / "checkpoints", "demo",
                            PARAMS)
            run = PackagedInput(APP, sys.executable, xml, work)
            started = time.monotonic()
            try:
                while time.monotonic() - started < args.seconds and run.proc.poll() is None:
                    time.sleep(0.5)
                code, took = run.terminate()
            finally:
                if run.proc.poll() is None:
                    run.kill()
                sim.stop()
            events = run.events()
            report(events, time.monotonic() - started, splunkd, code, took, run)
            return 0 if code == 0 and events else 1


def report(events, elapsed, splunkd, code, took, run):
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
    print(f"\ndemo: {len(events)} events in {elapsed:.1f} s "
          f"({len(events) / elapsed:.0f} events/s, start-up included):")
    for sourcetype, n in counts.most_common():
        print(f"  {n:7d}  {sourcetype}  (mean {size[sourcetype] / n:.0f} bytes)")
    documents = splunkd.documents("TA_firepower_estreamer_checkpointer") or {}
    for key, doc in documents.items():
        bookmark = json.loads(doc["state"])
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(bookmark["timestamp"]))
        print(f"demo: KV-store bookmark of {key}: {when} UTC + {bookmark['count']} "
              f"records of that second")
    print(f"demo: SIGTERM -> the input flushed, saved its bookmark and exited {code} "
          f"in {took:.2f} s")
    if code != 0:
        print(run.stderr()[-2000:], file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
