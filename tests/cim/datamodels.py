"""The CIM data models as pytest-splunk-addon ships them, read as data from its pinned wheel.

The wheel is downloaded once (``pip download --no-deps``) into ``.cache/`` at the repository
root and never installed: 7.x registers pytest plugins that break collection (its plugin fails
on import), and only its JSON and two Python literals are needed.
"""
from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO_ROOT

PIN = "6.4.0"
WHEEL = f"pytest_splunk_addon-{PIN}-py3-none-any.whl"
WHEEL_SHA256 = "bfdbb7a183644588c3b49307d03209c616df9f4bb8b5084da639018eafb04421"
CACHE = REPO_ROOT / ".cache" / "pytest-splunk-addon"
PACKAGE = "pytest_splunk_addon"

# The data models this add-on maps to, each with the sha256 of the JSON it was mapped against.
USED_MODELS = {
    "Network_Traffic": "0f7f9d93c44edcbab31e7b5ba2d6209a8ead47a2e84b6f76f2d8d36afb886b45",
    "Intrusion_Detection": "938dfdd8fef297402c0b65a338014b6d59fb8d5cb0d382ba5cfa15c0c8af48bf",
    "Malware": "c64ac7b682b44aec0d952b013140a0324ac79d688a42857934a6c39f2c126cc5",
    "Alerts": "72346da0e753395afe426a948833593a16fb976f4ef1f9106f35347d1e78fb19",
    "Authentication": "7e3008e4b67518aba669e15b31d37933846fdcaadad97951101a6719e4ba1383",
    "Network_Sessions": "9c0c376b88a24004a08e48abea6d0f00b722af42252f8b995b967f6444c5fa0b",
}
SCHEMA_SHA256 = "ac6c2047f82ba941a3686c7233a9661e5a5c9f6bd71c669a0981aceb1700562e"
COMMON_FIELDS_SHA256 = "b497594e5f1b9a0321586f0dd998ec158412503afb14d478bb6c333e78d79aa7"


def fetch_wheel():
    """``(path, None)`` of the pinned wheel, downloading it on first use; ``(None, reason)``
    when it is not cached and cannot be downloaded."""
    path = CACHE / WHEEL
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        ignore = CACHE.parent / ".gitignore"
        if not ignore.exists():  # a download cache, never part of the repository
            ignore.write_text("*\n")
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", f"{PACKAGE.replace('_', '-')}=={PIN}",
                   "-d", str(CACHE)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=180)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"cannot download {WHEEL}: {exc}"
        if done.returncode != 0 or not path.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, f"cannot download {WHEEL} with pip: {tail[0]}"
    return path, None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DataModels:
    """Everything the offline CIM tests read from the wheel."""

    def __init__(self, wheel: Path):
        self.wheel_sha256 = sha256(wheel.read_bytes())
        with zipfile.ZipFile(wheel) as archive:
            def read(name):
                return archive.read(f"{PACKAGE}/{name}")

            self.raw = {name: read(f"data_models/{name}.json") for name in USED_MODELS}
            self.models = {
                Path(item).stem: json.loads(archive.read(item))
                for item in archive.namelist()
                if item.startswith(f"{PACKAGE}/data_models/") and item.endswith(".json")}
            self.schema_raw = read("cim_tests/DatamodelSchema.json")
            self.common_fields_raw = read("cim_tests/CommonFields.json")
            self.dm_tags = _dm_tag_groups(read("cim_tests/test_templates.py").decode())
            self.recommended = _recommended(read("CIM_Models/datamodel_definition.py").decode())
        self.schema = json.loads(self.schema_raw)
        self.common_fields = frozenset(
            field["name"] for field in json.loads(self.common_fields_raw)["fields"])


def _dm_tag_groups(source: str) -> dict:
    """The data model → tag groups list hard-coded in the "one data model per event type"
    test (test_eventtype_mapped_multiple_cim_datamodel), read as a literal."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "data_models"
                for target in node.targets):
            return {item["name"]: [tuple(group) for group in item["tags"]]
                    for item in ast.literal_eval(node.value)}
    raise LookupError("no data_models list in test_templates.py")


def _recommended(source: str) -> dict:
    """CIM "recommended" fields per model and dataset, ``datamodels["latest"]`` (6.4.0 only):
    one dict literal, then aliases like ``datamodels["6.2.0"] = datamodels["6.1.0"]``."""
    tree = ast.parse(source)
    versions = None
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == "datamodels":
            versions = ast.literal_eval(node.value)
        elif isinstance(target, ast.Subscript) and isinstance(node.value, ast.Subscript):
            versions[ast.literal_eval(target.slice)] = versions[ast.literal_eval(node.value.slice)]
    return versions["latest"]


def validate(instance, schema, root=None, where="$"):
    """Problems of ``instance`` against a JSON schema, for the keywords DatamodelSchema.json
    uses (type, properties, required, items, enum, $ref); any other keyword is reported, so the
    check cannot silently weaken if the schema grows."""
    root = root or schema
    problems = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return validate(instance, root["definitions"][name], root, where)
    known = {"$schema", "title", "description", "type", "definitions", "properties", "required",
             "items", "enum"}
    unknown = set(schema) - known
    if unknown:
        problems.append(f"{where}: schema keywords not understood: {sorted(unknown)}")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    expected = schema.get("type")
    if expected and not isinstance(instance, types[expected]):
        return problems + [f"{where}: expected {expected}, got {type(instance).__name__}"]
    if "enum" in schema and instance not in schema["enum"]:
        problems.append(f"{where}: {instance!r} not in {schema['enum']}")
    if isinstance(instance, dict):
        for name in schema.get("required", ()):
            if name not in instance:
                problems.append(f"{where}: missing {name!r}")
        for name, sub in schema.get("properties", {}).items():
            if name in instance:
                problems += validate(instance[name], sub, root, f"{where}.{name}")
    if isinstance(instance, list) and "items" in schema:
        for position, item in enumerate(instance):
            problems += validate(item, schema["items"], root, f"{where}[{position}]")
    return problems
