"""Test-suite wiring: import the shipped code from package/bin, find the shared wire vectors, and
build the add-on once per run for the tests that inspect the built app."""
import glob
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = REPO_ROOT.parent / "shared" / "vectors"
CAPTURE = VECTORS / "fmc-capture-2020"
APP = "TA_firepower_estreamer"
BUILD_VENV = REPO_ROOT / ".venv-build"

for path in (REPO_ROOT / "package" / "bin", REPO_ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def _makefile_var(name):
    """The version and the pip pin live in the Makefile only."""
    text = (REPO_ROOT / "Makefile").read_text()
    match = re.search(r"^{}\s*[?:]?=\s*(\S+)".format(name), text, re.M)
    assert match, "{} not found in the Makefile".format(name)
    return match.group(1)


VERSION = _makefile_var("VERSION")
PIP_VERSION = _makefile_var("PIP_VERSION")  # ucc-gen 6.6.0 breaks with pip 26.3


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A real ucc-gen build of the add-on in a temporary directory (the working tree is untouched)."""
    ucc = BUILD_VENV / "bin" / "ucc-gen"
    if not ucc.exists():
        pytest.skip(".venv-build does not exist: run `make venv` to build the add-on in tests")
    tmp = tmp_path_factory.mktemp("ucc")
    config = tmp / "globalConfig.json"
    shutil.copy(REPO_ROOT / "globalConfig.json", config)  # ucc-gen may rewrite (migrate) its config
    proc = subprocess.run(
        [str(ucc), "build", "--source", str(REPO_ROOT / "package"), "--config", str(config),
         "--ta-version", VERSION, "--pip-version", PIP_VERSION,
         "--python-binary-name", str(BUILD_VENV / "bin" / "python"),
         "--output", str(tmp / "output")],
        cwd=str(tmp), capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, "ucc-gen build failed:\n" + proc.stdout[-4000:] + proc.stderr[-4000:]
    return {"app": tmp / "output" / APP, "config": config}


def _interpreter(version):
    """A Python ``version`` interpreter (PYTHON39 / PYTHON313 may name one), or None."""
    env = "PYTHON" + version.replace(".", "")
    candidates = [os.environ.get(env), shutil.which("python" + version)]
    candidates += sorted(glob.glob(os.path.expanduser(
        "~/.pyenv/versions/{}.*/bin/python{}".format(version, version))))
    for exe in filter(None, candidates):
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.startswith("Python " + version + "."):
            return exe
    return None


# Splunk's Pythons: 3.9 (the oldest Splunk 9 ships) and 3.13 (Splunk 10)
PY39, PY313 = _interpreter("3.9"), _interpreter("3.13")
SPLUNK_PYTHONS = {"3.9": PY39, "3.13": PY313}


def splunk_python(version):
    """A venv of that Python whose only extra package is cryptography, as Splunk bundles it
    (kept in .venv-py39 / .venv-py313); skips the test when the interpreter is absent."""
    exe = SPLUNK_PYTHONS[version]
    if exe is None:
        pytest.skip("no Python {} interpreter found (set PYTHON{})".format(
            version, version.replace(".", "")))
    venv = REPO_ROOT / ".venv-py{}".format(version.replace(".", ""))
    python = venv / "bin" / "python"
    if not (venv / ".stamp").exists():
        subprocess.run([exe, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        pin = [line for line in (REPO_ROOT / "requirements" / "test.txt").read_text().splitlines()
               if line.startswith("cryptography==")]
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q"] + pin,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        (venv / ".stamp").touch()
    return str(python)


@pytest.fixture(scope="session")
def python39_with_cryptography():
    return splunk_python("3.9")


@pytest.fixture(scope="session")
def python313_with_cryptography():
    return splunk_python("3.13")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The FMC simulator's CA, server certificate and client PKCS12 files (password
    ``simulator.PASSWORD``)."""
    from fmcsim import pki as fmc_pki
    from simulator import PASSWORD
    return fmc_pki.mint(str(tmp_path_factory.mktemp("pki")), password=PASSWORD)


@pytest.fixture
def simulator(pki, tmp_path):
    """``simulator(*serve_args)`` starts ``python -m fmcsim serve``; all are stopped after the test."""
    from simulator import Simulator
    started = []

    def start(*args):
        sim = Simulator(pki, tmp_path, *args)
        started.append(sim)
        return sim
    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def splunkd():
    """A running splunkd double seeded with an empty UCC state; tests seed it through ``store``
    or build their own with ``SplunkdDouble`` and ``ucc_state``."""
    from splunkd_double import SplunkdDouble, ucc_state
    with SplunkdDouble(ucc_state()) as double:
        yield double
