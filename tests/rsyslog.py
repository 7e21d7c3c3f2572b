"""A real rsyslog (Debian package ``rsyslog``) as the test's syslog receiver: started with its own
configuration on loopback ports, no system configuration, writing every message it receives, as
received, one per line, to a file in the test's directory."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

RSYSLOGD = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd"
                                        if os.access("/usr/sbin/rsyslogd", os.X_OK) else None)

CONFIG = """\
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
template(name="received" type="string" string="%rawmsg%\\n")
ruleset(name="cef") {{
  action(type="omfile" file="{received}" template="received")
}}
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="{tcp_port_file}"
      ruleset="cef")
input(type="imudp" address="127.0.0.1" port="{udp_port}" rcvbufSize="8m" ruleset="cef")
"""


def rsyslogd():
    """The binary, or a skip that says how to get it (CI installs it: a missing one fails)."""
    if RSYSLOGD is None:
        if os.environ.get("CI"):
            pytest.fail("rsyslogd is missing: .ci/run installs the Debian package rsyslog")
        pytest.skip("rsyslogd not found: `apt-get install rsyslog` runs the syslog end-to-end "
                    "tests")
    return RSYSLOGD


def _free_udp_port() -> int:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class Rsyslog:
    """``rsyslogd -n`` on 127.0.0.1: ``tcp_port`` (imtcp, octet counting on), ``udp_port``."""

    def __init__(self, directory):
        binary = rsyslogd()
        work = directory / "rsyslog-work"
        work.mkdir()
        self.received = directory / "received.log"
        self.udp_port = _free_udp_port()
        tcp_port_file = directory / "rsyslog-tcp.port"
        config = directory / "rsyslog.conf"
        config.write_text(CONFIG.format(work=work, received=self.received,
                                        tcp_port_file=tcp_port_file, udp_port=self.udp_port))
        self.log_path = directory / "rsyslogd.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "-n", "-f", str(config),
                                      "-i", str(directory / "rsyslogd.pid")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not (tcp_port_file.exists() and tcp_port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("rsyslogd did not start:\n" + self.output())
            time.sleep(0.05)
        self.tcp_port = int(tcp_port_file.read_text())

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def lines(self) -> list:
        """Every message received so far (whole lines only: omfile may be mid-write)."""
        if not self.received.exists():
            return []
        data = self.received.read_bytes()
        return data[:data.rfind(b"\n") + 1].decode("utf-8").splitlines()

    def pause(self):
        """SIGSTOP, returning once every thread of rsyslog is stopped: the signal is delivered
        asynchronously, and a thread inside a write() finishes it first."""
        self.proc.send_signal(signal.SIGSTOP)
        tasks = f"/proc/{self.proc.pid}/task"
        deadline = time.monotonic() + 10
        while not all(_state(f"{tasks}/{task}/stat") in "Tt" for task in os.listdir(tasks)):
            assert time.monotonic() < deadline, "rsyslogd did not stop on SIGSTOP"
            time.sleep(0.05)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _state(stat_path) -> str:
    """The state letter of a task (proc(5): the field after the parenthesised command name)."""
    try:
        with open(stat_path) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:  # a thread that ended meanwhile
        return "T"
