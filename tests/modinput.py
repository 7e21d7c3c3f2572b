"""Runs the packaged modular input exactly as splunkd does: ``python bin/firepower_estreamer.py``
with the input's XML on stdin, events read from its XML stream on stdout. :class:`Rig` sets up
the FMC simulator, the splunkd double and the packaged input together, the one way the
modular-input tests, ``make demo`` and the benchmark do it."""
import base64
import json
import os
import pathlib
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from simulator import PASSWORD, Simulator, Subprocess
from splunkd_double import SplunkdDouble, ucc_state

INPUT = "firepower_estreamer"
_EVENT = re.compile(rb"<event\b.*?</event>", re.S)
_END = b"</event>"


def input_xml(server_uri, session_key, checkpoint_dir, name, params):
    stanza = "".join(f"<param name={quoteattr(k)}>{escape(str(v))}</param>"
                     for k, v in params.items())
    return (f"<input><server_host>test-host</server_host><server_uri>{escape(server_uri)}"
            f"</server_uri><session_key>{escape(session_key)}</session_key>"
            f"<checkpoint_dir>{escape(str(checkpoint_dir))}</checkpoint_dir><configuration>"
            f"<stanza name=\"{INPUT}://{name}\">{stanza}</stanza></configuration></input>")


def fmc_server(pki, port, password):
    with open(pki.client, "rb") as f:
        pkcs12 = base64.b64encode(f.read()).decode("ascii")
    return {"host": "127.0.0.1", "port": str(port), "pkcs12_file": pkcs12,
            "pkcs12_password": password, "verify_server_cert": "1", "connect_timeout": "5",
            "response_timeout": "10"}


class PackagedInput(Subprocess):
    """One run of the built input; stdout goes to a file so a killed run leaves what it wrote."""

    label = "the input"

    def __init__(self, app_dir, python, xml, workdir, env=None):
        self.out_path = workdir / f"stream-{time.monotonic_ns()}.xml"
        self.err_path = self.out_path.with_suffix(".err")
        self.out, self.err = open(self.out_path, "wb"), open(self.err_path, "wb")
        environment = dict(os.environ, TA_LOG_DIR=str(workdir / "log"))
        environment.pop("PYTHONPATH", None)
        environment.update(env or {})
        self.proc = subprocess.Popen([python, str(app_dir / "bin" / f"{INPUT}.py")],
                                     stdin=subprocess.PIPE, stdout=self.out, stderr=self.err,
                                     cwd=str(app_dir / "bin"), env=environment)
        self.proc.stdin.write(xml.encode("utf-8"))
        self.proc.stdin.close()
        self._scanned, self._counted, self._tail = 0, 0, b""

    def raw(self) -> bytes:
        return self.out_path.read_bytes()

    def event_count(self) -> int:
        """Events written so far, counted over the new bytes only (cheap to poll at speed)."""
        with open(self.out_path, "rb") as f:
            f.seek(self._scanned)
            data = f.read()
        self._scanned += len(data)
        data = self._tail + data  # an end tag split between two reads
        self._counted += data.count(_END)
        self._tail = data[1 - len(_END):]
        return self._counted

    def events(self):
        return parse_events(self.raw())

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def terminate(self, timeout=10.0):
        """SIGTERM, as splunkd stops an input; returns (exit code, seconds it took)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._close()
        return code, time.monotonic() - started

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self._close()

    def _close(self):
        self.out.close()
        self.err.close()


def parse_events(raw: bytes):
    """The complete ``<event>`` elements of a (possibly unfinished) stream, as dicts."""
    events = []
    for chunk in _EVENT.findall(raw):
        element = ET.fromstring(chunk)
        event = {child.tag: child.text for child in element}
        event["stanza"] = element.get("stanza")
        event["event"] = json.loads(event.pop("data"))
        events.append(event)
    return events


class Rig:
    """FMC simulators, the splunkd double and runs of the packaged input (``app_dir``, run by
    ``python``), set up together and torn down together (:meth:`close`, or ``with``). The
    simulators use ``pki`` (minted with ``simulator.PASSWORD``); files go to ``workdir``; the
    input's checkpoint dir is :attr:`checkpoints`."""

    def __init__(self, app_dir, python, pki, workdir):
        self.app_dir, self.python, self.pki = app_dir, python, pki
        self.workdir = pathlib.Path(workdir)
        self.checkpoints = self.workdir / "checkpoints"
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        self.sims, self.runs, self.doubles = [], [], []
        self.splunkd = None

    def simulator(self, *args):
        """``python -m fmcsim serve`` with ``args``."""
        sim = Simulator(self.pki, self.workdir, *args)
        self.sims.append(sim)
        return sim

    def fmc_server(self, port, **fields):
        """An FMC server stanza for the simulator on ``port`` (its PKCS12 and password), with
        ``fields`` set besides."""
        return dict(fmc_server(self.pki, port, PASSWORD), **fields)

    def start_splunkd(self, servers, settings=None, **state):
        """The splunkd double holding the FMC server stanzas ``servers`` ({name: stanza}) and
        the add-on's ``settings`` ([advanced], [logging]); ``state`` adds to its seed."""
        seed = ucc_state(servers=servers, settings=settings or {})
        seed.update(state)
        self.splunkd = SplunkdDouble(seed).start()
        self.doubles.append(self.splunkd)
        return self.splunkd

    def input_xml(self, name, params):
        """What splunkd hands the input ``firepower_estreamer://<name>`` with ``params`` on
        stdin (the splunkd double's address and session key, the checkpoint dir)."""
        return input_xml(self.splunkd.uri, self.splunkd.session_key, self.checkpoints, name,
                         params)

    def run(self, name, params, python=None):
        """One run of the packaged input ``firepower_estreamer://<name>`` with ``params``."""
        run = PackagedInput(self.app_dir, python or self.python, self.input_xml(name, params),
                            self.workdir)
        self.runs.append(run)
        return run

    def close(self):
        for run in self.runs:
            if run.proc.poll() is None:
                run.kill()
        for sim in self.sims:
            sim.stop()
        for double in self.doubles:
            double.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
