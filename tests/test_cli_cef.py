"""``python -m estreamer stream``'s outputs: ``--format json|events|cef`` (``--events`` is
``--format events``) and the syslog options, checked before anything connects."""
import json

import jc
import pytest

from estreamer import cli
from simulator import Stream, event_records, records

BASE = ["stream", "--host", "fmc.example.com", "--pkcs12", "client.pkcs12"]


def refused(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit_:
        cli.main(BASE + list(args))
    assert exit_.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("args, message", [
    (["--events", "--format", "cef"],
     "--events is --format events: it cannot go with --format cef"),
    (["--syslog", "tcp://siem:514", "--format", "json"],
     "--syslog sends CEF lines: --format json writes to --output or stdout"),
    (["--syslog", "tcp://siem:514", "--events"],
     "--syslog sends CEF lines: --format events writes to --output or stdout"),
    (["--syslog", "tcp://siem:514", "--output", "out.cef"],
     "--syslog and --output: choose one destination"),
    (["--syslog", "siem:514"],
     "--syslog: 'siem:514': expected udp://HOST:PORT or tcp://HOST:PORT"),
    (["--syslog-format", "rfc3164"],
     "--syslog-format needs --syslog udp://HOST:PORT or tcp://HOST:PORT"),
    (["--format", "cef", "--syslog-max-bytes", "4096"],
     "--syslog-max-bytes needs --syslog udp://HOST:PORT or tcp://HOST:PORT"),
    (["--cef-names", "encore"], "--cef-names applies to --format cef, not --format json"),
    (["--syslog", "tcp://siem:514", "--syslog-max-bytes", "100"],
     "--syslog-max-bytes 100: choose from 480 (what every syslog receiver accepts) to 1048576"),
    (["--syslog", "udp://siem:514", "--syslog-max-bytes", "70000"],
     "--syslog-max-bytes 70000: choose from 480 (what every syslog receiver accepts) to 65507"),
])
def test_output_options_that_do_not_go_together_are_refused_before_connecting(capsys, args,
                                                                              message):
    assert refused(capsys, *args) == f"python -m estreamer stream: error: {message}"


def test_an_unknown_syslog_host_is_named(monkeypatch, capsys, tmp_path):
    pkcs12 = tmp_path / "client.pkcs12"
    pkcs12.write_bytes(b"")
    monkeypatch.setenv(cli.PASSWORD_ENV, "")
    code = cli.main(["stream", "--host", "127.0.0.1", "--pkcs12", str(pkcs12), "--syslog",
                     "tcp://no-such-host.invalid:514", "--monitor", "0"])
    assert code == 2
    assert capsys.readouterr().err.strip().endswith(
        "error: syslog receiver tcp://no-such-host.invalid:514: Name or service not known")


def test_format_cef_writes_one_cef_line_per_event(simulator, pki, tmp_path):
    sim = simulator("--records", 60, "--families", "all")
    out = tmp_path / "out.cef"
    stream = Stream(sim.port, pki.client, out, "--format", "cef", "--monitor", "0")
    events = len([k for k in sim.manifest_keys() if not k.startswith(("2:", "110:"))])
    stream.wait_for(lambda: out.exists() and len(out.read_text().splitlines()) >= events, 60,
                    f"{events} lines")
    assert stream.terminate() == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == events
    parsed = jc.parse("cef", "\n".join(lines), quiet=True)
    assert len(parsed) == events and not any("unparsable" in p for p in parsed)
    assert {p["deviceVendor"] for p in parsed} == {"Cisco"}


def test_events_is_format_events_and_json_stays_the_default(simulator, pki, tmp_path):
    sim = simulator("--records", 30, "--families", "connection")
    outputs = {}
    for name, args in (("alias", ["--events"]), ("format", ["--format", "events"]),
                       ("default", []), ("json", ["--format", "json"])):
        out = tmp_path / f"{name}.jsonl"
        stream = Stream(sim.port, pki.client, out, "--families", "connection", "--monitor", "0",
                        *args)
        stream.wait_for(lambda out=out, name=name: len(
            event_records(out) if name in ("default", "json") else records(out)) >= 30,
            60, "30 events")
        assert stream.terminate() == 0
        outputs[name] = out.read_text()
    assert outputs["alias"] == outputs["format"]
    assert outputs["default"] == outputs["json"]
    assert json.loads(outputs["alias"].splitlines()[0])["sourcetype"] == \
        "cisco:firepower:estreamer:connection"
    assert {json.loads(line)["recordType"] for line in outputs["default"].splitlines()} >= {71}
