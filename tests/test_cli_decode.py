"""``python -m estreamer decode FILE...`` run as a real process on the real FMC capture: one JSON
object per record on stdout, in wire order; damage is reported on stderr in one line that names
the file and the byte offset, the exit status is non-zero, and every record before the damage
is still printed."""
import json
import os
import re
import struct
import subprocess
import sys

import pytest

from conftest import CAPTURE, REPO_ROOT

INDEX = json.loads((CAPTURE / "index.json").read_text())
BUNDLES = [entry for entry in INDEX["files"] if entry["type"] == 4002]
LOG_LINES = (CAPTURE / "expected-encore-splunk.log").read_text(encoding="utf-8").splitlines()

def decode(*paths):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "package" / "bin"))
    return subprocess.run([sys.executable, "-m", "estreamer", "decode", *map(str, paths)],
                          capture_output=True, text=True, env=env, cwd=str(REPO_ROOT), timeout=60)


def records_of(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


def inner_offsets(data: bytes):
    """File offsets of the inner Event Data messages of the bundle file ``data``."""
    offsets, off = [], 16
    while off < len(data):
        offsets.append(off)
        off += 8 + struct.unpack_from(">I", data, off + 4)[0]
    return offsets


# --- whole capture files -------------------------------------------------------------------------

@pytest.mark.parametrize("entry", BUNDLES, ids=lambda e: e["file"])
def test_a_capture_bundle_decodes_to_one_json_object_per_record_in_wire_order(entry):
    proc = decode(CAPTURE / entry["file"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    records = records_of(proc)
    assert all(isinstance(record, dict) for record in records)
    assert [record["recordType"] for record in records] == entry["record_types"]


def test_several_files_decode_in_the_order_given():
    proc = decode(*(CAPTURE / entry["file"] for entry in BUNDLES))
    assert proc.returncode == 0, proc.stderr
    assert [r["recordType"] for r in records_of(proc)] == \
        [t for entry in BUNDLES for t in entry["record_types"]]


def test_every_stdout_line_is_exactly_one_compact_json_object():
    proc = decode(CAPTURE / "bundle-1.bin")
    lines = proc.stdout.splitlines()
    assert len(lines) == len(BUNDLES[0]["record_types"])
    assert all(line.startswith("{") and line.endswith("}") and json.loads(line) for line in lines)


def test_the_printed_connection_record_carries_the_values_encore_printed():
    first_connection = next(r for r in records_of(decode(CAPTURE / "bundle-1.bin"))
                            if r["recordType"] == 71)
    first_line = next(line for line in LOG_LINES if line.startswith("rec_type=71 "))
    encore = dict(re.findall(r'(\w+)=("[^"]*"|\S*)', first_line))
    ours = {"src_ip": first_connection["initiatorIpAddress"],
            "dest_ip": first_connection["responderIpAddress"],
            "src_port": first_connection["initiatorPort"],
            "dest_port": first_connection["responderPort"],
            "src_bytes": first_connection["initiatorTransmittedBytes"],
            "dest_bytes": first_connection["responderTransmittedBytes"],
            "first_pkt_sec": first_connection["firstPacketTimestamp"],
            "last_pkt_sec": first_connection["lastPacketTimestamp"],
            "event_sec": first_connection["archiveTimestamp"],
            "url": first_connection["clientUrl"]}
    assert {key: str(value) for key, value in ours.items()} == {key: encore[key] for key in ours}


def test_a_file_without_event_data_prints_no_records_and_succeeds():
    proc = decode(CAPTURE / "streaming-info.bin")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_a_missing_file_is_named_on_stderr_and_fails(tmp_path):
    missing = tmp_path / "nothing.bin"
    proc = decode(missing, CAPTURE / "bundle-1.bin")
    assert proc.returncode != 0
    assert proc.stderr.startswith(f"{missing}: cannot read")
    assert len(records_of(proc)) == len(BUNDLES[0]["record_types"])


def test_events_are_what_the_modular_input_hands_splunk_one_json_object_each():
    files = [CAPTURE / entry["file"] for entry in BUNDLES]
    proc = decode("--events", *files)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    connections = sum(entry["record_types"].count(71) for entry in BUNDLES)
    assert len(lines) == connections  # metadata names the events and makes none of its own
    for line in lines:
        assert list(line) == ["time", "sourcetype", "host", "event"]
        assert line["sourcetype"] == "cisco:firepower:estreamer:connection"
        assert isinstance(line["time"], float) and line["event"]["rec_type"] == 71
    assert lines[-1]["event"]["dvc"] != "device-1"  # resolved through the capture's metadata


# --- damaged files --------------------------------------------------------------------------------

def truncated_stream(tmp_path):
    """streaming-info + bundle 1 whole, then bundle 2 cut inside its fifth inner message.
    Returns the path, the offset where bundle 2 starts, the number of whole records in it."""
    head = (CAPTURE / "streaming-info.bin").read_bytes() + (CAPTURE / "bundle-1.bin").read_bytes()
    second = (CAPTURE / "bundle-2.bin").read_bytes()
    cut = inner_offsets(second)[4] + 11
    path = tmp_path / "truncated.bin"
    path.write_bytes(head + second[:cut])
    return path, len(head), 4


def bad_inner_header(tmp_path):
    """bundle 2 with inner header version 2 on its fifth inner message."""
    data = bytearray((CAPTURE / "bundle-2.bin").read_bytes())
    offset = inner_offsets(data)[4]
    data[offset:offset + 2] = b"\x00\x02"
    path = tmp_path / "bad-inner-header.bin"
    path.write_bytes(bytes(data))
    return path, offset, 4


def bad_record_length(tmp_path):
    """bundle 2 whose fourth record (a connection event) declares a wrong record length."""
    data = bytearray((CAPTURE / "bundle-2.bin").read_bytes())
    offset = inner_offsets(data)[3] + 8 + 4  # the record-length field of the record header
    struct.pack_into(">I", data, offset, 999)
    path = tmp_path / "bad-record-length.bin"
    path.write_bytes(bytes(data))
    return path, offset, 3


DAMAGE = {"truncated": truncated_stream, "bad-inner-header": bad_inner_header,
          "bad-record-length": bad_record_length}


def test_a_truncated_file_still_prints_every_record_of_the_whole_messages_before_the_cut(tmp_path):
    path, _, _ = truncated_stream(tmp_path)
    types = [r["recordType"] for r in records_of(decode(path))]
    assert types[:len(BUNDLES[0]["record_types"])] == BUNDLES[0]["record_types"]


def test_a_truncated_bundle_still_prints_its_whole_records_before_the_cut(tmp_path):
    path, _, whole = truncated_stream(tmp_path)
    types = [r["recordType"] for r in records_of(decode(path))]
    assert types == BUNDLES[0]["record_types"] + BUNDLES[1]["record_types"][:whole]


def test_a_bad_inner_header_still_prints_the_records_before_it(tmp_path):
    path, _, before = bad_inner_header(tmp_path)
    types = [r["recordType"] for r in records_of(decode(path))]
    assert types == BUNDLES[1]["record_types"][:before]


def test_a_bad_record_is_skipped_and_every_other_record_printed(tmp_path):
    path, _, bad = bad_record_length(tmp_path)
    types = [r["recordType"] for r in records_of(decode(path))]
    expected = BUNDLES[1]["record_types"]
    assert types == expected[:bad] + expected[bad + 1:]


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_is_reported_in_one_stderr_line_naming_the_file(tmp_path, damage):
    path, _, _ = DAMAGE[damage](tmp_path)
    lines = decode(path).stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: ")


@pytest.mark.parametrize("damage", [
    "truncated",
    "bad-inner-header",
    "bad-record-length",
])
def test_damage_is_reported_at_its_byte_offset_in_the_file(tmp_path, damage):
    path, offset, _ = DAMAGE[damage](tmp_path)
    line = decode(path).stderr.strip()
    assert re.search(rf"\boffset {offset}\b", line), line


@pytest.mark.parametrize("damage", [
    "truncated",
    "bad-inner-header",
    "bad-record-length",
])
def test_a_damaged_file_exits_non_zero(tmp_path, damage):
    path, _, _ = DAMAGE[damage](tmp_path)
    assert decode(path).returncode != 0
