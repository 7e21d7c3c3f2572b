"""Test helpers: the FMC simulator and the library's ``stream`` command as real subprocesses."""
import json
import os
import signal
import subprocess
import sys
import time

from conftest import REPO_ROOT

ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "package" / "bin"),
                                                   str(REPO_ROOT)]), PYTHONUNBUFFERED="1")
PASSWORD = "s3cret"


class Simulator:
    """``python -m fmcsim serve`` on a free port; stderr kept in a file for assertions."""

    def __init__(self, pki, tmp_path, *args, manifest=True):
        self.log_path = tmp_path / f"fmcsim-{time.monotonic_ns()}.log"
        self.manifest = tmp_path / f"manifest-{time.monotonic_ns()}.jsonl" if manifest else None
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fmcsim", "serve", "--pki", pki.directory, "--port", "0"]
            + (["--manifest", str(self.manifest)] if manifest else []) + [str(a) for a in args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=ENV, cwd=str(REPO_ROOT))
        line = self.proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line + self.stderr()
        self.port = int(line.rsplit(":", 1)[1])

    def stderr(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text() if self.log_path.exists() else ""

    def manifest_keys(self, types=None):
        entries = [json.loads(line) for line in self.manifest.read_text().splitlines()]
        return [e["key"] for e in entries if types is None or e["type"] in types]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def stream_command(port, pkcs12, *args):
    return [sys.executable, "-m", "estreamer", "stream", "--host", "127.0.0.1", "--port",
            str(port), "--pkcs12", str(pkcs12)] + [str(a) for a in args]


class Subprocess:
    """What the tests wait on: a ``proc`` whose ``stderr()`` explains a failure."""

    label = "the process"

    def wait_for(self, predicate, timeout=60.0, what="the condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.label} exited {self.proc.returncode} before "
                                     f"{what}:\n" + self.stderr()[-3000:])
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n" + self.stderr()[-3000:])


class Stream(Subprocess):
    """``python -m estreamer stream`` writing JSON lines to ``output``."""

    label = "stream"

    def __init__(self, port, pkcs12, output, *args, stdout=subprocess.DEVNULL, password=PASSWORD):
        self.output = output
        self.err_path = output.with_suffix(f".{time.monotonic_ns()}.err")
        self.err = open(self.err_path, "w")
        env = dict(ENV, ESTREAMER_PKCS12_PASSWORD=password)
        self.proc = subprocess.Popen(stream_command(port, pkcs12, "--output", output, *args),
                                     stdout=stdout, stderr=self.err, env=env,
                                     cwd=str(REPO_ROOT))

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        return self.err_path.read_text()

    def terminate(self, timeout=10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.err.close()
        return code

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.err.close()


def records(path, torn=None):
    """The JSON lines of ``path``; a line a kill cut short is skipped (and counted in ``torn``,
    a list) — its record was never confirmed, so the stream sends it again. What follows the
    last newline is a line still being written (a reader may catch a write half done): left
    for the next read."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    out = []
    for line in lines:
        if not line:
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            if torn is None:
                raise
            torn.append(line)
    return out


def event_records(path, torn=None):
    """The records with an archive timestamp (events; metadata has none)."""
    return [r for r in records(path, torn) if "archiveTimestamp" in r]
