"""The CIM lookup tables (estreamer.events.tables): the shipped CSVs are the mappers' own tables,
with their file names and columns, full key coverage and only CIM-valid outputs; and the ESCU
compatibility layer's tables (Cisco Security Cloud's vocabulary: the README's "Cisco Security
Cloud's field names")."""
import csv

import pytest

from conftest import REPO_ROOT
from estreamer.events import tables
from estreamer.events.tables import LOOKUPS, PLACEHOLDERS

LOOKUP_DIR = REPO_ROOT / "package" / "lookups"

# The design's file names and exact header rows.
DESIGN_HEADERS = {
    "cisco_firepower_ip_protocols.csv": ["protocol_id", "ip_proto", "transport", "protocol"],
    "cisco_firepower_ac_rule_actions.csv": ["rule_action", "action"],
    "cisco_firepower_ids_inline_results.csv": ["blocked_id", "inline_result", "action"],
    "cisco_firepower_ids_severity.csv": ["priority_id", "impact", "severity"],
    "cisco_firepower_correlation_priority.csv": ["priority", "severity"],
    "cisco_firepower_file_actions.csv": ["file_action_id", "file_action", "action"],
    "cisco_firepower_file_dispositions.csv":
        ["disposition_id", "disposition", "category", "severity"],
    "cisco_firepower_malware_event_types.csv":
        ["malware_event_type_id", "malware_event_type", "is_threat", "action"],
    "cisco_firepower_identity_auth_types.csv":
        ["auth_type_id", "auth_type", "is_authentication", "action", "app",
         "authentication_method"],
    "cisco_firepower_vpn_records.csv": ["rec_type", "action", "signature"],
}
# The ESCU compatibility layer's search-time tables: file name and header.
ESCU_HEADERS = {
    "cisco_firepower_escu_inline_results.csv": ["blocked_id", "InlineResult"],
    "cisco_firepower_escu_impacts.csv": ["impact", "Impact", "impact_desc"],
    "cisco_firepower_file_types.csv": ["file_type", "file_type_desc"],
}
SEVERITIES = {"critical", "high", "medium", "low", "informational"}
# CIM output columns and the values their data model accepts.
CIM_OUTPUTS = {
    "cisco_firepower_ac_rule_actions.csv": {"action": {"allowed", "blocked", "teardown"}},
    "cisco_firepower_ids_inline_results.csv": {"action": {"allowed", "blocked"}},
    "cisco_firepower_ids_severity.csv": {"severity": SEVERITIES},
    "cisco_firepower_correlation_priority.csv": {"severity": SEVERITIES},
    "cisco_firepower_file_actions.csv": {"action": {"allowed", "blocked", "deferred"}},
    "cisco_firepower_file_dispositions.csv": {"severity": SEVERITIES, "category": None},
    "cisco_firepower_malware_event_types.csv": {"action": {"allowed", "blocked", "deferred"}},
    "cisco_firepower_identity_auth_types.csv":
        {"action": {"success", "failure", "pending", "error"}, "app": None,
         "authentication_method": None},
    "cisco_firepower_vpn_records.csv": {"action": {"started", "ended", "blocked"},
                                        "signature": None},
    "cisco_firepower_ip_protocols.csv": {"protocol": {"ip", "icmp"}, "transport": None},
}
KEY_COVERAGE = {
    "cisco_firepower_ip_protocols.csv": [(n,) for n in range(256)],
    "cisco_firepower_ids_inline_results.csv": [(n,) for n in range(15)],
    "cisco_firepower_ids_severity.csv": [(p, i) for p in range(5) for i in range(6)],
    "cisco_firepower_correlation_priority.csv": [(n,) for n in range(6)],
    "cisco_firepower_file_actions.csv": [(n,) for n in range(12)],
    "cisco_firepower_file_dispositions.csv": [(n,) for n in range(6)],
    "cisco_firepower_malware_event_types.csv": [(n,) for n in (
        0, 1, 2, 553648143, 553648145, 553648146, 553648147, 553648149, 553648150, 553648154,
        553648155, 553648168, 554696714, 554696715, 1090519054, 1091567628, 2164260880,
        2164260884, 2164260892, 2164260893, 2165309453)],
    "cisco_firepower_identity_auth_types.csv": [(n,) for n in range(6)],
    "cisco_firepower_vpn_records.csv": [(170,), (171,)],
    "cisco_firepower_escu_inline_results.csv": [(n,) for n in range(15)],
    "cisco_firepower_escu_impacts.csv": [(n,) for n in range(6)],
}
BY_FILE = {table.filename: table for table in LOOKUPS}


def read_csv(filename):
    with open(LOOKUP_DIR / filename, newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("table", LOOKUPS, ids=lambda t: t.filename)
def test_shipped_csv_is_rendered_from_the_table(table):
    assert (LOOKUP_DIR / table.filename).read_text() == table.csv_text()


def test_every_design_and_escu_lookup_ships_and_nothing_else():
    shipped = sorted(DESIGN_HEADERS) + sorted(ESCU_HEADERS)
    assert sorted(path.name for path in LOOKUP_DIR.glob("*.csv")) == sorted(shipped)
    assert sorted(BY_FILE) == sorted(shipped)


@pytest.mark.parametrize("filename", sorted(DESIGN_HEADERS) + sorted(ESCU_HEADERS))
def test_header_is_the_designs(filename):
    assert read_csv(filename)[0] == {**DESIGN_HEADERS, **ESCU_HEADERS}[filename]


def test_escu_impact_is_1_to_5_and_no_impact_is_the_gray_unknown_level():
    header, *rows = read_csv("cisco_firepower_escu_impacts.csv")
    assert {row[0]: row[1] for row in rows} == {"0": "5", "1": "1", "2": "2", "3": "3",
                                                 "4": "4", "5": "5"}
    assert [row[2] for row in rows if row[0] in ("0", "5")] == ["Gray (unknown impact)"] * 2


def test_escu_inline_results_give_ciscos_would_block_for_id_5():
    rows = dict(read_csv("cisco_firepower_escu_inline_results.csv")[1:])
    assert rows["5"] == "Would block" and rows["1"] == "Blocked"
    assert all(text for text in rows.values())


def test_escu_file_types_hold_the_codes_escu_detections_name():
    codes = [row[0] for row in read_csv("cisco_firepower_file_types.csv")[1:]]
    assert len(codes) == len(set(codes))
    # the codes ESCU's detections and its file-type lookup use as literals
    assert {"EICAR", "ELF", "MACHO", "MSEXE", "PDF", "ZIP", "ISHIELD_MSI", "BINHEX",
            "BINARY_DATA", "JARPACK", "TORRENT", "AUTORUN", "LNK", "SCR", "UNIX_SCRIPT"} <= set(codes)
    assert all(code == code.upper() for code in codes)


@pytest.mark.parametrize("filename", sorted(KEY_COVERAGE))
def test_keys_are_unique_and_cover_the_designs_range(filename):
    header, *rows = read_csv(filename)
    width = len(KEY_COVERAGE[filename][0])
    keys = [tuple(int(cell) for cell in row[:width]) for row in rows]
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(KEY_COVERAGE[filename])


def test_rule_action_names_are_unique_without_case():
    names = [row[0].lower() for row in read_csv("cisco_firepower_ac_rule_actions.csv")[1:]]
    assert len(names) == len(set(names))
    assert {"allow", "block", "trust", "n/a"} <= set(names)
    # "Default Action" has no row: its action is what the FMC recorded for each connection.
    assert "default action" not in names


@pytest.mark.parametrize("filename", sorted(CIM_OUTPUTS))
def test_cim_outputs_are_valid_and_never_placeholders(filename):
    header, *rows = read_csv(filename)
    for column, allowed in CIM_OUTPUTS[filename].items():
        position = header.index(column)
        for row in rows:
            cell = row[position]
            if filename == "cisco_firepower_identity_auth_types.csv" and row[0] == "0":
                assert cell == ""  # auth type 0 is no authentication: no CIM values
                continue
            assert cell.lower() not in PLACEHOLDERS, (filename, row)
            if allowed is not None:
                assert cell in allowed, (filename, row)


def test_ip_protocol_transport_follows_the_keyword_rule():
    for protocol_id, keyword, transport, protocol in tables.IP_PROTOCOL_TABLE.rows:
        if protocol_id in (1, 58):
            assert (transport, protocol) == ("icmp", "icmp")
        elif protocol_id in (84, 107):  # keywords with "/": spelt out in the table
            assert (keyword, transport) in {("TTP/IPTM", "ttp"), ("A/N", "a")}
        elif keyword.startswith("PROTO-"):
            assert transport == f"proto-{protocol_id}" and protocol == "ip"
        else:
            assert transport == keyword.lower().replace(" ", "-") and protocol == "ip"


def test_ip_protocols_unassigned_numbers_have_no_keyword():
    unassigned = [row[0] for row in tables.IP_PROTOCOL_TABLE.rows if row[1].startswith("PROTO-")]
    assert unassigned == [61, 63, 68, 99, 114] + list(range(146, 256))


def test_ids_severity_follows_priority_raised_by_impact_1_lowered_by_impact_3():
    severity = tables.IDS_SEVERITY
    assert [severity[(1, impact)] for impact in range(6)] == \
        ["high", "critical", "high", "medium", "high", "high"]
    assert [severity[(p, 1)] for p in range(5)] == ["low", "critical", "high", "medium", "low"]
    assert severity[(3, 3)] == "informational"


def test_malware_threat_types_are_the_designs_nine():
    threats = sorted(row[0] for row in tables.MALWARE_EVENT_TYPE_TABLE.rows if row[2] == 1)
    assert threats == [1, 2, 553648143, 553648145, 553648155, 553648168, 1090519054,
                       2164260880, 2164260893]
    deferred = sorted(row[0] for row in tables.MALWARE_EVENT_TYPE_TABLE.rows if row[3] == "deferred")
    assert deferred == [553648143, 553648155]


@pytest.mark.parametrize("flags, impact", [
    (0x00, 0), (0x01, 4), (0x02, 3), (0x03, 3), (0x06, 2), (0x07, 2), (0x08, 1), (0x10, 1),
    (0x40, 1), (0x80, 1), (0x20, 0), (0xFF, 1)])
def test_impact_from_flags(flags, impact):
    assert tables.impact_from_flags(flags) == impact


def test_write_csvs_renders_every_table(tmp_path):
    tables.write_csvs(str(tmp_path))
    for table in LOOKUPS:
        assert (tmp_path / table.filename).read_text() == table.csv_text()
