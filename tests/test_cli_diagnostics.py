"""``python -m estreamer test``: each failure the field knows ends in a verdict naming the cause
and the fix; a working FMC ends in the all-clear with the first records by type."""
import re
import socket
import subprocess
import sys

from simulator import ENV, PASSWORD


def diagnose(port, pkcs12, *args, password=PASSWORD, host="127.0.0.1"):
    proc = subprocess.run(
        [sys.executable, "-m", "estreamer", "test", "--host", host, "--port", str(port),
         "--pkcs12", str(pkcs12), "--wait", "3", "--timeout", "3"] + [str(a) for a in args],
        capture_output=True, text=True, timeout=60,
        env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=password))
    verdict = [line for line in proc.stdout.splitlines() if line.startswith("verdict: ")]
    assert len(verdict) == 1, proc.stdout + proc.stderr
    return proc.returncode, verdict[0], proc.stdout


def test_a_working_fmc_gets_the_all_clear_with_the_records_by_type(simulator, pki):
    sim = simulator("--records", 50, "--families", "all")
    code, verdict, out = diagnose(sim.port, pki.client, "--records", 20)
    assert code == 0
    received = re.match(r"verdict: OK - the FMC streams to this client \((\d+) records received\)$",
                        verdict)
    assert received and int(received.group(1)) >= 20, verdict  # whole bundles are read
    for step in ("ok   PKCS12: client certificate ", "CN=127.0.0.1, SAN 127.0.0.1",
                 "ok   TCP connect", "ok   TLS handshake: TLSv1.",
                 "ok   streaming information: services 5001, 5000, 6667", "ok   records: "):
        assert step in out, out


def test_a_closed_port_says_estreamer_is_not_listening(pki):
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    code, verdict, _ = diagnose(port, pki.client)
    assert code == 1
    assert "refused the connection: eStreamer is not enabled on that FMC or the port" in verdict


def test_an_unknown_host_name_says_to_check_the_name(pki):
    code, verdict, _ = diagnose(8302, pki.client, host="fmc.invalid")
    assert code == 1 and "cannot resolve the FMC host 'fmc.invalid'" in verdict


def test_a_wrong_password_is_named(simulator, pki):
    sim = simulator("--records", 5)
    code, verdict, _ = diagnose(sim.port, pki.client, password="nope")
    assert code == 1 and verdict == "verdict: FAILED - the PKCS12 password is wrong"


def test_a_certificate_for_another_address_names_both_addresses(simulator, pki):
    sim = simulator("--records", 5)
    code, verdict, out = diagnose(sim.port, pki.client_wrong_ip)
    assert code == 1
    assert ("the client certificate is for 10.9.9.9 but this host connects from 127.0.0.1"
            in verdict)
    assert "warning: this host connects from 127.0.0.1 but the certificate is for 10.9.9.9" in out


def test_an_fmc_the_pkcs12_ca_did_not_sign_is_refused(simulator, pki):
    sim = simulator("--records", 5)
    code, verdict, _ = diagnose(sim.port, pki.client_other_ca)
    assert code == 1 and "is not signed by the CA in the PKCS12" in verdict


def test_an_fmc_closing_after_the_request_is_reported(simulator, pki):
    sim = simulator("--records", 5, "--fault", "close-after-request")
    code, verdict, _ = diagnose(sim.port, pki.client)
    assert code == 1 and "the FMC closed the connection after the request" in verdict


def test_an_fmc_sending_nothing_for_the_families_says_which(simulator, pki):
    sim = simulator("--records", 5, "--fault", "silent")
    code, verdict, _ = diagnose(sim.port, pki.client, "--families", "vpn")
    assert code == 1
    assert "the FMC sent no records for vpn within 3 s" in verdict


# --- an HA pair: test --standby -----------------------------------------------------------------

def run_test(port, pkcs12, *args):
    return subprocess.run(
        [sys.executable, "-m", "estreamer", "test", "--host", "127.0.0.1", "--port", str(port),
         "--pkcs12", str(pkcs12), "--wait", "3", "--timeout", "3"] + [str(a) for a in args],
        capture_output=True, text=True, timeout=60,
        env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD))


def closed_port():
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def test_standby_checks_both_fmcs_and_says_which_answered(simulator, pki):
    primary, standby = simulator("--records", 30), simulator("--records", 30, "--archive-skew", 7)
    proc = run_test(primary.port, pki.client, "--standby", f"127.0.0.1:{standby.port}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"primary FMC 127.0.0.1:{primary.port}:\n" in proc.stdout
    assert f"standby FMC 127.0.0.1:{standby.port}:\n" in proc.stdout
    assert proc.stdout.count("verdict: OK - ") == 2
    assert proc.stdout.splitlines()[-1] == (
        f"HA pair: the primary FMC 127.0.0.1:{primary.port} answered; "
        f"the standby FMC 127.0.0.1:{standby.port} answered")


def test_a_standby_that_is_down_fails_the_test_and_is_named(simulator, pki):
    primary, port = simulator("--records", 30), closed_port()
    proc = run_test(primary.port, pki.client, "--standby", f"127.0.0.1:{port}")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == (
        f"HA pair: the primary FMC 127.0.0.1:{primary.port} answered; "
        f"the standby FMC 127.0.0.1:{port} failed")


def test_standby_takes_the_ipv6_bracket_form(pki):
    port = closed_port()
    proc = run_test(closed_port(), pki.client, "--standby", f"[::1]:{port}")
    assert f"standby FMC [::1]:{port}:\n" in proc.stdout, proc.stdout + proc.stderr


def test_a_standby_in_no_address_form_is_refused_by_the_parser(pki):
    proc = run_test(8302, pki.client, "--standby", "https://fmc2/")
    assert proc.returncode == 2
    assert "--standby: 'https://fmc2/' is not an address" in proc.stderr
