"""CEF lines (estreamer.cef), read back by an independent parser: jc's CEF parser (PyPI), which
splits the header, unescapes the extension and names custom fields by their labels.

The CEF standard (ArcSight "Implementing ArcSight CEF"): header fields escape ``|`` and ``\\``;
extension values escape ``=`` and ``\\`` and write line breaks as ``\\n``/``\\r``; a header
cannot hold a line break. jc's header parser also refuses ``\\`` and ``=`` in header fields, so
the header's escaping is checked here against the exact text the standard prescribes.
"""
import re

import jc
import pytest

from cim.fixtures import (
    DEVICE,
    T0,
    connection,
    decode,
    metadata_cache,
    scenario_events,
    simulator_events,
)
from estreamer.catalog.records import FAMILY_OF
from estreamer.cef import TABLES, TRUNCATED, CefFormatter, Key
from estreamer.events import FIELDS, SOURCETYPES, Event, EventMapper
from estreamer.metadata import MetadataCache

STANDARD, ENCORE = CefFormatter(), CefFormatter("encore")
# what jc adds by itself to what the line says
_DERIVED = ("deviceEventClassIdNum", "agentSeverityString", "agentSeverityNum", "CEFVersion")

# The CEF standard's extension keys (ArcSight CEF Implementation Standard, "ArcSight Extension
# Dictionary"): the key names a line may use, besides the labels of custom fields.
CEF_KEYS = {
    "act", "app", "c6a2", "c6a3", "cat", "cnt", "cn1", "cn2", "cs1", "cs2", "cs3", "cs4", "cs5",
    "cs6", "deviceExternalId", "deviceInboundInterface", "deviceOutboundInterface",
    "destinationDnsDomain", "destinationTranslatedAddress", "destinationTranslatedPort",
    "dhost", "dmac", "dpt", "dst", "duser", "dvchost", "dvcpid", "end", "externalId",
    "fileCreateTime", "fileHash", "filePath", "fileType", "fname", "fsize", "in", "msg", "out",
    "outcome", "proto", "reason", "request", "requestClientApplication", "requestContext", "rt",
    "smac", "sntdom", "sourceTranslatedAddress", "sourceTranslatedPort", "sproc", "spt", "src",
    "start", "suser",
    # full names of in/out, which eNcore used as keys
    "bytesIn", "bytesOut",
}


def read(line: str) -> dict:
    """jc's reading of one line, without the fields jc derives (epochs, severity words)."""
    [parsed] = jc.parse("cef", line, quiet=True)
    assert "unparsable" not in parsed, line
    return {k: v for k, v in parsed.items()
            if k not in _DERIVED and not k.endswith(("_epoch", "_epoch_utc"))}


def keys(line: str) -> list:
    """The extension keys of a line, in order, as written (jc's raw mode keeps them)."""
    [parsed] = jc.parse("cef", line, quiet=True, raw=True)
    header = ("deviceVendor", "deviceProduct", "deviceVersion", "deviceEventClassId", "name",
              "agentSeverity", "CEFVersion")
    return [k for k in parsed if k not in header]


EVENTS = {name: event for name, _, event in scenario_events()}
HEADER = {"deviceVendor": "Cisco", "deviceProduct": "Firepower", "deviceVersion": "6.0"}


# --- every family, header and extension ------------------------------------------------------

def test_a_connection():
    assert read(STANDARD.line(EVENTS["connection tcp allowed"])) == {
        **HEADER, "deviceEventClassId": "RNA:1003:1", "name": "CONNECTION STATISTICS",
        "agentSeverity": "3", "rt": "1700000000000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "src": "192.168.50.50", "dst": "52.114.128.70", "spt": 59265,
        "dpt": 443, "proto": "6", "act": "Allow", "reason": "N/A", "app": "HTTPS",
        "requestClientApplication": "SSL client", "suser": "alice", "in": 1687, "out": 4492,
        "start": "1700000000000", "end": "1700000065000", "dvcpid": 3, "externalId": "98",
        "deviceInboundInterface": "GigabitEthernet0/1",
        "deviceOutboundInterface": "GigabitEthernet0/0",
        "request": "https://www.example.com/index.html", "cs5Label": "secIntelCategory",
        "fwPolicy": "corp-access", "fwRule": "allow-web", "ingressZone": "inside",
        "egressZone": "outside", "webApplication": "Microsoft"}


def test_an_intrusion_event():
    assert read(STANDARD.line(EVENTS["intrusion tcp dropped"])) == {
        **HEADER, "deviceEventClassId": "1:2000419",
        "name": "ET POLICY PE EXE or DLL Windows file download", "agentSeverity": "9",
        "rt": "1700000100250", "dvchost": "ftd-branch-1", "deviceExternalId": "1",
        "src": "203.0.113.9", "dst": "192.168.50.50", "spt": 80, "dpt": 49152, "proto": "6",
        "act": "Blocked", "externalId": "4711", "cat": "trojan-activity", "app": "HTTP",
        "suser": "alice", "dvcpid": 3, "start": "1700000099000",
        "deviceInboundInterface": "GigabitEthernet0/0",
        "deviceOutboundInterface": "GigabitEthernet0/1", "cn1Label": "vlan",
        "fwPolicy": "corp-access", "fwRule": "allow-web", "ingressZone": "outside",
        "egressZone": "inside", "ipsPolicy": "Balanced Security and Connectivity",
        "ruleId": "2000419", "impact": 2}


def test_intrusion_context_records():
    device = {"dvchost": "ftd-branch-1", "deviceExternalId": "1", "externalId": "4711"}
    assert read(STANDARD.line(EVENTS["packet"])) == {
        **HEADER, "deviceEventClassId": "PKT:2:1", "name": "Packet Data", "agentSeverity": "7",
        "rt": "1700000100250", **device, "packet": "0050568f1a2b00505601020308004500"}
    assert read(STANDARD.line(EVENTS["impact alert"])) == {
        **HEADER, "deviceEventClassId": "IMPACT:9:1", "name": "Intrusion Impact Alert",
        "agentSeverity": "8", "rt": "1700000100000", **device, "src": "203.0.113.9",
        "dst": "192.168.50.50", "msg": "Vulnerable", "impact": 1}
    assert read(STANDARD.line(EVENTS["extra data xff"])) == {
        **HEADER, "deviceEventClassId": "INTRUSION_EXTRA:110:2",
        "name": "Intrusion Event Extra Data", "agentSeverity": "7", "rt": "1700000100000",
        **device, "originalClientIp": "198.51.100.23"}


def test_a_file_event():
    assert read(STANDARD.line(EVENTS["file 502 download malware"])) == {
        **HEADER, "deviceEventClassId": "FileMalware:502:1", "name": "File Malware Event",
        "agentSeverity": "9", "rt": "1700000203000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "src": "203.0.113.80", "dst": "192.168.50.50", "spt": 80,
        "dpt": 49200, "proto": "6", "act": "Malware Cloud Lookup", "fname": "setup.exe",
        "fileHash": "cdd9dc37f5590aff02aed2b3082c6ee8dd952e217635dfcebc2affaaabadf4fc",
        "fsize": 18234, "fileType": "MSEXE", "cat": "malware",
        "request": "http://files.example.org/setup.exe", "app": "HTTP", "suser": "alice",
        "dvcpid": 3, "start": "1700000200000", "cs3Label": "speroDisposition",
        "filePolicy": "block-malware", "disposition": "Malware",
        "threatName": "W32.Trojan.Sample", "threatScore": 90}


def test_a_malware_event():
    assert read(STANDARD.line(EVENTS["malware quarantined"])) == {
        **HEADER, "deviceEventClassId": "FireAMP:125:553648143", "name": "Threat Quarantined",
        "agentSeverity": "8", "rt": "1700000300000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "dst": "10.20.30.40", "fname": "invoice.exe",
        "fileHash": "cdd9dc37f5590aff02aed2b3082c6ee8dd952e217635dfcebc2affaaabadf4fc",
        "fsize": 73802, "fileType": "MSEXE",
        "filePath": "C:\\Users\\bob\\Downloads\\invoice.exe", "fileCreateTime": "1699996400000",
        "suser": "CORP\\bob", "duser": "bob", "cs5Label": "eventDescription",
        "virusName": "W32.Trojan.Sample", "disposition": "Malware", "detector": "ClamAV"}


def test_a_correlation_event():
    assert read(STANDARD.line(EVENTS["correlation with users"])) == {
        **HEADER, "deviceEventClassId": "PV:112:12:3", "name": "Internal host scanning",
        "agentSeverity": "7", "rt": "1700000400000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "src": "192.168.50.50", "dst": "192.168.50.77", "proto": "1",
        "externalId": "77", "msg": "Host 192.168.50.50 contacted 25 internal hosts",
        "cat": "Intrusion Event", "suser": "alice", "cn1Label": "vlan",
        "policy": "Detect lateral movement", "policyRule": "Internal host scanning",
        "ingressZone": "inside", "egressZone": "inside", "fwPolicy": "corp-access",
        "fwRule": "allow-web"}


def test_a_user_login():
    assert read(STANDARD.line(EVENTS["identity auth type 1"])) == {
        **HEADER, "deviceEventClassId": "RUA:1004:2", "name": "User Login Change Event",
        "agentSeverity": "1", "rt": "1700000500000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "suser": "alice", "src": "192.168.50.50",
        "smac": "00:50:56:ab:cd:ef", "sntdom": "corp.example.net", "outcome": "success",
        "app": "LDAP", "realm": "CORP",
        "authType": "Passive Authentication, AD Agent, or ISE Session", "reportedBy": "ISE-1",
        "securityGroup": "Employees", "email": "alice@corp.example.net"}


def test_a_vpn_logoff():
    assert read(STANDARD.line(EVENTS["vpn logoff"])) == {
        **HEADER, "deviceEventClassId": "VPN:171:1", "name": "VPN session logoff",
        "agentSeverity": "3", "rt": "1700000600000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "suser": "bob", "src": "198.51.100.10", "dst": "172.16.10.5",
        "dmac": "00:1c:42:00:00:08", "act": "ended",
        "requestClientApplication": "AnyConnect 4.10", "in": 73400320, "out": 1048576,
        "duration": 3600, "groupPolicy": "DfltGrpPolicy", "connectionProfile": "RA-VPN",
        "vpnType": "AnyConnect SSL", "clientOS": "Windows 10",
        "authType": "VPN Authorized Authentication"}


def test_a_discovery_event_keeps_its_own_fields_as_json_in_msg():
    assert read(STANDARD.line(EVENTS["discovery tcp port closed"])) == {
        **HEADER, "deviceEventClassId": "RNA:1001:8", "name": "TCP Port Closed",
        "agentSeverity": "1", "rt": "1700000710000", "dvchost": "ftd-branch-1",
        "deviceExternalId": "1", "msg": '{"port":8080}', "Source_IPv6_Address": "2001:db8::50"}


def test_ipv6_addresses_go_to_the_standards_ipv6_keys():
    line = STANDARD.line(EVENTS["connection ipv6 tcp"])
    assert "src" not in keys(line) and "dst" not in keys(line)
    assert "c6a2=2001:db8:10::5 c6a2Label=Source IPv6 Address" in line
    assert "c6a3=2606:4700::6810:84e5 c6a3Label=Destination IPv6 Address" in line


def test_a_discovery_event_counts_the_hits_of_its_server_or_client():
    events = [e for record_type, e in simulator_events(300) if record_type == 11]
    assert events and all(read(STANDARD.line(e))["cnt"] == e.event["host_server"]["hits"]
                          for e in events)


@pytest.mark.parametrize("names", ["standard", "encore"])
def test_every_line_of_a_simulator_stream_parses_with_standard_keys(names):
    formatter, families = CefFormatter(names), set()
    schemes = {
        "connection": r"RNA:1003:1", "intrusion": r"(INTRUSION:400:)?\d+:\d+",
        "intrusion_extra": r"PKT:2:1|IMPACT:9:\d|INTRUSION_EXTRA:110:\d+",
        "file": r"File:500:1|FileMalware:502:1", "malware": r"FireAMP:125:\d+",
        "correlation": r"PV:112:\d+:\d+", "identity": r"RUA:1004:\d+",
        "vpn": r"VPN:17[01]:1|USER:1004:[82]", "discovery": r"RNA:\d+:\d+"}
    for _, event in simulator_events(600):
        family = event.sourcetype.rsplit(":", 1)[1]
        families.add(family)
        line = formatter.line(event)
        parsed = read(line)
        assert re.fullmatch(schemes[family], parsed["deviceEventClassId"]), line
        assert parsed["name"] and 0 <= int(parsed["agentSeverity"]) <= 10
        assert {k for k in keys(line) if not k.endswith("Label")} <= CEF_KEYS, line
    assert families == set(FAMILY_OF)


def test_every_field_a_table_reads_is_a_field_its_family_declares():
    """The tables are built on the events' field names: a renamed event field fails here."""
    for family, sourcetype in SOURCETYPES.items():
        table = TABLES.get(sourcetype)
        if table is None:
            continue
        declared = set(FIELDS[family])
        if family == "discovery":
            declared |= {"event_desc", "host_ip", "host_mac"}
        read_fields = {f for key in table.keys for f in key.reads()}
        assert read_fields <= declared, (family, read_fields - declared)


# --- escaping ---------------------------------------------------------------------------------

def _connection_event(**fields):
    event = EVENTS["connection tcp allowed"]
    return Event(event.time, event.sourcetype, event.host, {**event.event, **fields})


def test_extension_values_with_every_special_character_round_trip():
    # jc unescapes with one str.replace per escape in turn, so a literal backslash followed by
    # one of its escape letters (| = " ] % # n r) would not come back: the values avoid that
    # (the exact escaped text is checked below, and by a one-pass reading after this).
    value = "a|b=c\\d\r\ne\u00e9\u4e2d\U0001f600 f=g|h\\"
    line = STANDARD.line(_connection_event(url=value, user="\u00e5sa = \\ |"))
    assert read(line)["request"] == value
    assert read(line)["suser"] == "\u00e5sa = \\ |"
    assert _unescape(line.split(" request=", 1)[1].split(" requestContext=")[0]
                     .split(" cs1=")[0]) == value


def _unescape(escaped: str) -> str:
    """A one-pass reading of the standard's value escapes (\\\\ \\= \\n \\r)."""
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)),
                  escaped)


def test_backslashes_before_escape_letters_read_back_in_one_pass():
    value = "C:\\new\\=x\\|\\r"
    line = STANDARD.line(_connection_event(url=value))
    assert _unescape(line.split(" request=", 1)[1].split(" cs1=")[0]) == value


def test_extension_values_escape_backslash_equals_and_line_breaks_only():
    line = STANDARD.line(_connection_event(url="a|b=c\\d\r\ne\u00e9"))
    assert " request=a|b\\=c\\\\d\\r\\ne\u00e9 " in line
    assert "\n" not in line and "\r" not in line


def test_characters_other_readers_take_for_line_ends_become_spaces():
    line = STANDARD.line(_connection_event(url="a\x0bb\x0cc\x1cd\x85e\u2028f\u2029g",
                                           rule="r\x1e1"))
    assert " request=a b c d e f g " in line and "cs2=r 1 " in line
    assert len(line.splitlines()) == 1


def test_values_that_come_from_records_round_trip_through_the_mapper():
    cache = metadata_cache()
    cache.put("users", "5", "J\u00fcrgen \\ Admin=1")
    record = decode(71, connection(clientUrl="https://x.example/?q=a|b&r=\\x\n"), T0 + 66)
    parsed = read(STANDARD.line(EventMapper(cache, "fmc").map(record)))
    assert parsed["suser"] == "J\u00fcrgen \\ Admin=1"
    assert parsed["request"] == "https://x.example/?q=a|b&r=\\x\n"


def test_header_fields_escape_pipe_and_backslash_and_turn_line_breaks_into_spaces():
    event = EVENTS["intrusion tcp dropped"]
    odd = Event(event.time, event.sourcetype, event.host,
                {**event.event, "signature": "a|b\\c\nd=e"})
    assert STANDARD.line(odd).startswith(
        "CEF:0|Cisco|Firepower|6.0|1:2000419|a\\|b\\\\c d=e|9|rt=")


def test_non_ascii_text_is_utf8_on_the_wire():
    data = STANDARD.encode(_connection_event(user="\u00e9l\u00e8ve"))
    assert b"suser=\xc3\xa9l\xc3\xa8ve " in data


# --- placeholders, zeros, names ------------------------------------------------------------------

def test_placeholders_stand_where_encore_showed_them():
    line = STANDARD.line(EVENTS["connection tcp allowed"])
    assert "reason=N/A" in line  # no rule reason
    assert "cs5Label=secIntelCategory" in line and "cs5=" not in line  # no SI category


def test_absent_empty_and_zero_values_are_left_out():
    line = STANDARD.line(_connection_event(bytes_in=0, url="", user=None))
    assert not {"out", "request", "suser"} & set(keys(line))


def test_encore_names_keys_as_encore_did_sorted():
    line = ENCORE.line(EVENTS["connection tcp allowed"])
    parsed = read(line)
    assert parsed["bytesOut"] == "1687" and parsed["bytesIn"] == "4492"  # initiator, responder
    assert "in" not in parsed and "out" not in parsed
    assert keys(line) == sorted(keys(line))


def test_encore_signature_ids():
    assert read(ENCORE.line(EVENTS["intrusion tcp dropped"]))["deviceEventClassId"] == \
        "INTRUSION:400:1:2000419"
    assert read(ENCORE.line(EVENTS["malware quarantined"]))["deviceEventClassId"] == \
        "FireAMP:125:1"
    assert read(ENCORE.line(EVENTS["vpn login"]))["deviceEventClassId"] == "USER:1004:8"
    assert read(ENCORE.line(EVENTS["connection tcp allowed"]))["deviceEventClassId"] == \
        "RNA:1003:1"


def test_an_unknown_names_choice_is_refused():
    with pytest.raises(ValueError, match="standard, encore"):
        CefFormatter("arcsight")


def test_a_record_its_mapper_could_not_map_still_makes_a_line():
    event = Event(T0, SOURCETYPES["correlation"], "fmc",
                  {"rec_type": 112, "rec_type_desc": "Correlation Event",
                   "mapping_error": "KeyError: 'deviceId'", "priority_id": 3})
    assert read(STANDARD.line(event)) == {
        **HEADER, "deviceEventClassId": "ESTREAMER:112", "name": "Correlation Event",
        "agentSeverity": "5", "rt": "1700000000000", "reason": "KeyError: 'deviceId'",
        "msg": '{"priority_id":3}'}


def test_a_value_its_table_cannot_read_sends_the_event_with_the_error(caplog):
    odd = _connection_event(first_packet_time="soon")
    with caplog.at_level("WARNING", logger="estreamer.cef"):
        parsed = read(STANDARD.line(odd))
    assert parsed["deviceEventClassId"] == "ESTREAMER:71"
    assert parsed["reason"] == "ValueError: could not convert string to float: 'soon'"
    assert '"first_packet_time":"soon"' in parsed["msg"]
    assert [r.getMessage() for r in caplog.records] == [
        "an event of cisco:firepower:estreamer:connection did not fit its CEF table (ValueError: "
        "could not convert string to float: 'soon'); sent with its fields in msg and the error "
        "in reason"]


# --- eNcore's troubleshooting-guide line -----------------------------------------------------

# Cisco's eNcore troubleshooting guide quotes this line for an allowed STUN flow over UDP from
# zone INSIDE to OUTSIDE under access policy "test", default action (its tail elided there).
ENCORE_LINE = (
    "CEF:0|Cisco|Firepower|6.0|RNA:1003:1|CONNECTION STATISTICS|3|act=Allow app=STUN "
    "bytesOut=820 cs1=test cs1Label=fwPolicy cs2=Default Action cs2Label=fwRule cs3=INSIDE "
    "cs3Label=ingressZone cs4=OUTSIDE cs4Label=egressZone cs5Label=secIntelCategory "
    "deviceExternalId=1 deviceInboundInterface=inside deviceOutboundInterface=outside dpt=9000 "
    "dst=216.151.129.103 dvchost=10.48.26.45 dvcpid=2 end=1590497212000 externalId=50850 "
    "proto=17 reason=N/A requestClientApplication=")


def _stun_connection():
    """The guide's connection, as an FMC sends it: metadata records, then record 71."""
    policy = "00000000-0000-0ed3-0000-012884902340"
    inside_zone, outside_zone = "2ad2d4ca-0a7c-11ea-a9d8-f5d3a52b8a5e", \
        "37e67b84-0a7c-11ea-a9d8-f5d3a52b8a5e"
    inside_if, outside_if = "cbf93a3c-0a7b-11ea-9a7e-e5d3a52b8a5e", \
        "cbfb3ae2-0a7b-11ea-9a7e-e5d3a52b8a5e"
    cache = MetadataCache()
    for record_type, values in (
            (123, {"id": DEVICE, "name": "10.48.26.45"}), (120, {"id": 2, "name": "Allow"}),
            (145, {"uuid": policy, "sensorId": DEVICE, "name": "test"}),
            (115, {"uuid": inside_zone, "name": "INSIDE"}),
            (115, {"uuid": outside_zone, "name": "OUTSIDE"}),
            (116, {"uuid": inside_if, "name": "inside"}),
            (116, {"uuid": outside_if, "name": "outside"}),
            (63, {"id": 3711, "name": "STUN"}), (55, {"id": 3712, "name": "STUN client"})):
        assert cache.learn(decode(record_type, values))
    record = decode(71, connection(
        policyRevision=policy, ruleId=0, ruleAction=2, ruleReason=0, protocol=17,
        ingressZone=inside_zone, egressZone=outside_zone, ingressInterface=inside_if,
        egressInterface=outside_if, initiatorIpAddress="10.48.26.100", initiatorPort=54321,
        responderIpAddress="216.151.129.103", responderPort=9000, instanceId=2,
        connectionCounter=50850, firstPacketTimestamp=1590497212,
        lastPacketTimestamp=1590497212, initiatorTransmittedBytes=820,
        responderTransmittedBytes=0, initiatorTransmittedPackets=1,
        responderTransmittedPackets=0, tcpFlag=0, userId=0, applicationId=3711,
        clientApplicationId=3712, webApplicationId=0, clientUrl="", responderCountry=0),
        1590497213)
    return EventMapper(cache, "fmc").map(record)


def test_the_troubleshooting_guide_connection_reads_as_the_encore_line():
    line = ENCORE.line(_stun_connection())
    assert line.startswith(ENCORE_LINE)
    quoted = read(ENCORE_LINE[:-len(" requestClientApplication=")])
    ours = read(line)
    assert {k: ours.get(k) for k in quoted} == quoted
    assert ours["requestClientApplication"] == "STUN client"


def test_the_troubleshooting_guide_connection_with_the_standards_names():
    parsed = read(STANDARD.line(_stun_connection()))
    assert parsed["in"] == 820 and "out" not in parsed and "bytesOut" not in parsed
    assert parsed["act"] == "Allow" and parsed["fwRule"] == "Default Action"


# --- fitting a size ---------------------------------------------------------------------------

def test_a_long_value_is_cut_with_a_marker_and_the_line_keeps_its_other_keys():
    event = _connection_event(url="https://example.com/" + "a" * 20000)
    data = STANDARD.encode(event, 1000)
    assert len(data) <= 1000
    parsed = read(data.decode("utf-8"))
    assert parsed["request"].startswith("https://example.com/aaa")
    assert parsed["request"].endswith(TRUNCATED)
    assert set(keys(data.decode())) == set(keys(STANDARD.line(event)))


def test_a_cut_never_splits_a_character_or_an_escape():
    for value in ("\u00e9" * 5000, "=" * 5000, "\\" * 5000, "\n" * 5000):
        for budget in (997, 998, 999, 1000):
            data = STANDARD.encode(_connection_event(url=value), budget)
            assert len(data) <= budget
            request = read(data.decode("utf-8"))["request"]  # strict UTF-8
            assert request.endswith(TRUNCATED)
            assert set(request[:-len(TRUNCATED)]) == set(value)


def test_the_longest_values_are_cut_first():
    data = STANDARD.encode(_connection_event(url="u" * 3000, user="s" * 2000), 2000)
    parsed = read(data.decode())
    assert len(data) <= 2000 and parsed["suser"].endswith(TRUNCATED)
    assert len(parsed["request"]) == len(parsed["suser"])  # cut to the same length


def test_a_tiny_budget_drops_keys_from_the_end_rather_than_overflow():
    data = STANDARD.encode(_connection_event(url="u" * 3000), 300)
    assert len(data) <= 300
    assert read(data.decode())["deviceEventClassId"] == "RNA:1003:1"


def test_a_line_that_fits_is_left_alone():
    event = EVENTS["connection tcp allowed"]
    assert STANDARD.encode(event, 8192) == STANDARD.line(event).encode()


def test_keys_are_declared_once_per_name_and_label():
    for table in TABLES.values():
        labelled = [key for key in table.keys if isinstance(key, Key) and key.always_label]
        assert all(key.label for key in labelled)


def test_records_with_random_values_make_lines_a_parser_reads():
    """Flipped bytes in every family's records (those that still decode and map): each event
    still makes one CEF line, within its size, that jc reads."""
    import random

    from estreamer.decoder import RecordDecoder
    from estreamer.layout import ParseError
    from estreamer.wire import ALL_FAMILIES, Subscription
    from fmcsim.traffic import record_bodies
    decoder, cache, rng, lines = RecordDecoder(), MetadataCache(), random.Random(18), 0
    events = EventMapper(cache, "fmc")
    for body in record_bodies(Subscription(families=ALL_FAMILIES), 100):
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
            continue
        for _ in range(10):
            mutated = bytearray(body)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(16, len(body))] = rng.randrange(256)
            try:
                event = events.map(decoder.decode(bytes(mutated)))
            except ParseError:
                continue
            if event is not None:
                data = STANDARD.encode(event, 2048)
                assert len(data) <= 2048
                read(data.decode("utf-8"))
                lines += 1
    assert lines > 500
