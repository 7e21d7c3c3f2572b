"""Package smoke tests: the UCC build of the add-on, the built modular input, Python 3.9 compatibility.

The build runs ucc-gen from .venv-build (created by `make venv`) into a temporary directory, so the
working tree is left alone and no `make` target has to run first.
"""
import json
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import APP, PY39, VERSION, splunk_python
from conftest import REPO_ROOT as REPO
from searchtime import read_conf

INPUT = "firepower_estreamer"
INTERPRETERS = [pytest.param(sys.executable, id="test-venv-python")] + (
    [pytest.param(PY39, id="python3.9")] if PY39 else []
)


def test_ucc_build_layout(built):
    app = built["app"]
    for rel in (
        "bin/{}.py".format(INPUT),
        "bin/{}_helper.py".format(INPUT),
        "bin/import_declare_test.py",
        "bin/{}_rh_fmc_server.py".format(APP),
        "bin/{}_rh_settings.py".format(APP),
        "bin/{}_rh_{}.py".format(APP, INPUT),
        "bin/estreamer/__init__.py",
        "default/restmap.conf",
        "default/web.conf",
        "README/ta_firepower_estreamer_fmc_server.conf.spec",
        "README/inputs.conf.spec",
        "app.manifest",
        "static/appIcon.png",
        "static/appIcon_2x.png",
    ):
        assert (app / rel).is_file(), rel
    # our helper, not the dummy one ucc-gen generates when the helper is missing
    assert "InputParams.parse" in (app / "bin" / "{}_helper.py".format(INPUT)).read_text()

    app_conf = read_conf(app / "default" / "app.conf")
    assert app_conf["package"]["id"] == APP
    assert app_conf["package"]["check_for_updates"] == "false"
    assert app_conf["id"]["version"] == VERSION

    inputs = read_conf(app / "default" / "inputs.conf")
    assert inputs[INPUT]["python.required"] == "3.9, 3.13"
    restmap = read_conf(app / "default" / "restmap.conf")
    handlers = {k: v for k, v in restmap.items() if k.startswith("admin_external:")}
    assert handlers and all(v.get("python.required") == "3.9, 3.13" for v in handlers.values())


def test_lib_has_no_binaries(built):
    app = built["app"]
    assert (app / "lib" / "solnlib").is_dir() and (app / "lib" / "splunklib").is_dir()
    assert not (app / "lib" / "grpc").exists()
    assert not (app / "lib" / "google").exists()
    binaries = [str(p.relative_to(app)) for p in app.rglob("*") if p.suffix in (".so", ".pyd", ".dll")]
    assert binaries == []


def test_global_config_is_committed_migrated(built):
    """ucc-gen rewrites globalConfig.json (schema migration, meta.version = VERSION): the committed
    one must already be what `make build` leaves behind."""
    assert built["config"].read_text() == (REPO / "globalConfig.json").read_text()


VALIDATE_XML = (
    "<items><server_host>t</server_host><server_uri>https://127.0.0.1:1</server_uri>"
    "<session_key>K</session_key><checkpoint_dir>{ckpt}</checkpoint_dir>"
    '<item name="in1">{params}</item></items>'
)


def _params(**kw):
    return "".join('<param name="{}">{}</param>'.format(k, v) for k, v in kw.items())


@pytest.mark.parametrize("python", INTERPRETERS)
def test_built_modular_input_runs(built, python, tmp_path):
    """The built input runs as splunkd runs it: --scheme, then --validate-arguments (ok / rejected)."""
    script = str(built["app"] / "bin" / "{}.py".format(INPUT))

    def run(*args, stdin=""):
        return subprocess.run([python, script] + list(args), input=stdin, capture_output=True,
                              text=True, timeout=60, cwd=str(tmp_path))

    scheme = run("--scheme")
    assert scheme.returncode == 0, scheme.stderr
    assert "<title>{}</title>".format(INPUT) in scheme.stdout
    for arg in ("fmc_server", "record_families", "start_position", "si_split", "raw_unknown"):
        assert 'name="{}"'.format(arg) in scheme.stdout

    good = VALIDATE_XML.format(ckpt=tmp_path, params=_params(
        fmc_server="fmc1", record_families="connection|intrusion", start_position="bookmark"))
    ok = run("--validate-arguments", stdin=good)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    bad = VALIDATE_XML.format(ckpt=tmp_path, params=_params(
        fmc_server="fmc1", record_families="connection|bogus", start_position="bookmark"))
    rejected = run("--validate-arguments", stdin=bad)
    assert rejected.returncode == 1
    assert "bogus" in rejected.stdout


def test_shipped_code_is_python39_compatible():
    """vermin: nothing in package/bin needs a Python newer than 3.9 (Splunk's oldest)."""
    vermin = pathlib.Path(sys.executable).parent / "vermin"  # vermin has no `python -m` entry
    if not vermin.exists():
        pytest.skip("vermin is not installed next to this interpreter: run the tests from .venv-test")
    proc = subprocess.run(
        [str(vermin), "--no-tips", "--violations", "-t=3.9-",
         str(REPO / "package" / "bin")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_library_imports_on_splunks_pythons(version):
    """Import every module of the library under a real 3.9 (catches `X | Y` in annotations) and
    3.13 (catches modules removed from the standard library), each with only cryptography."""
    python = splunk_python(version)
    code = (
        "import importlib, pkgutil, estreamer, firepower_estreamer_helper\n"
        "for m in pkgutil.walk_packages(estreamer.__path__, 'estreamer.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
    )
    proc = subprocess.run([python, "-c", code],
                          cwd=str(REPO / "package" / "bin"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_manifest_targets_forwarders_too():
    # the input runs on heavy forwarders; knowledge objects on search heads and indexers
    manifest = json.loads((REPO / "package" / "app.manifest").read_text())
    assert set(manifest["targetWorkloads"]) == {"_search_heads", "_indexers", "_forwarders"}


def access(stanza):
    """``read : [ a, b ], write : [ c ]`` → {"read": {"a", "b"}, "write": {"c"}}."""
    return {kind: {role.strip() for role in roles.split(",")}
            for kind, roles in re.findall(r"(read|write)\s*:\s*\[([^\]]*)\]", stanza["access"])}


def test_only_what_other_apps_need_is_exported_and_fmc_credentials_are_for_admins(built):
    meta = read_conf(built["app"] / "metadata" / "default.meta")
    exported = {name for name, stanza in meta.items() if stanza.get("export") == "system"}
    assert exported == {"eventtypes", "tags", "props", "transforms", "lookups", "macros"}
    assert meta[""]["export"] == "none"
    assert meta["views"]["export"] == meta["savedsearches"]["export"] == "none"
    assert access(meta[""]) == {"read": {"*"}, "write": {"admin", "sc_admin"}}
    for secret in ("passwords", "ta_firepower_estreamer_fmc_server"):
        assert access(meta[secret]) == {"read": {"admin", "sc_admin"},
                                        "write": {"admin", "sc_admin"}}, secret


def test_the_shipped_readme_says_what_where_how_and_where_the_log_is():
    text = (REPO / "package" / "README.txt").read_text()
    assert "not functional" not in text
    for heading in ("What it is", "Where to install it", "First three steps",
                    "Where its log and health events are"):
        assert "\n" + heading + "\n" in text, heading
    assert "ta_firepower_estreamer_<input>.log" in text
    assert "cisco:firepower:estreamer:health" in text
    assert "cisco_firepower_index" in text
