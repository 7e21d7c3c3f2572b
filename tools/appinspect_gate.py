"""Gate on splunk-appinspect JSON reports: print each summary, fail on error/failure/future_failure.

Usage: python tools/appinspect_gate.py REPORT.json [REPORT.json ...]
AppInspect's own exit code is 0 even with failures, and --ci fails on warnings that every UCC
add-on has (notes on UCC's static pages and on solnlib/splunktaucclib code), so the JSON
summary is the gate.
"""
import json
import sys

GATED = ("error", "failure", "future_failure")


def main(paths):
    bad = 0
    for path in paths:
        with open(path) as f:
            report = json.load(f)
        summary = report["summary"]
        print("{}: {}".format(path, ", ".join("{} {}".format(k, v) for k, v in summary.items())))
        for app in report["reports"]:
            for group in app["groups"]:
                for check in group["checks"]:
                    result = check["result"]
                    if result in GATED or result == "warning":
                        print("  {:<14} {}".format(result, check["name"]))
                    if result in GATED:
                        for message in check["messages"][:5]:
                            print("      " + message.get("message", "").strip()[:300])
        bad += sum(summary.get(k, 0) for k in GATED)
    if bad:
        print("appinspect gate: FAILED ({} error/failure/future_failure)".format(bad))
        return 1
    print("appinspect gate: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
