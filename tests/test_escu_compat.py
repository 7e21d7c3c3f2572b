"""Splunk's own Cisco Secure Firewall detections (ESCU) run on our events: the compatibility layer
of props.conf gives the connection, intrusion, file and malware sourcetypes Cisco Security
Cloud's field names, types and vocabulary (README: "Cisco Security Cloud's field names"), at
search time.

Everything runs through the model of Splunk's search time (tests/searchtime) on events of every
family: the simulator's stream in both event generations (FMC 7 and FMC 6.2 blocks), the design's
scenarios (edge cases: ICMP, no zones, NetFlow, unknown applications …) and the real FMC capture.
Detections group with ``stats … BY`` without filling nulls, so every text field of a data
source is present on every event of it ("unknown" where eStreamer has no value); numeric fields
without a value stay absent.
"""
import functools
import ipaddress
import json
import re

import pytest

from cim.capture import capture_events
from cim.fixtures import SCENARIOS, scenario_events, simulator_events
from conftest import REPO_ROOT
from estreamer.events.tables import (
    BLOCKED_REASONS,
    DISPOSITION_TABLE,
    ESCU_INLINE_RESULT_TABLE,
    FILE_ACTION_TABLE,
    FILE_TYPE_TABLE,
    IP_PROTOCOL_TABLE,
    RULE_ACTION_TABLE,
)
from fmcsim import world
from fmcsim.hunted import HUNTED
from searchtime import Pipeline, SearchHead, indexed, number, read_conf
from searchtime.evaluate import _tokens

PREFIX = "cisco:firepower:estreamer:"
UNKNOWN = "unknown"
# ESCU's instruction: point its macro at our events (README, setup page)
ESCU_MACRO = "(index=<yours> sourcetype=cisco:firepower:estreamer:*)"


def names(text):
    return tuple(name.strip() for name in text.split(",") if name.strip())


# --- the three data sources of ESCU's detections: raw FQE keys and search-time names ------------

DATA_SOURCES = {
    "connection": {
        "sourcetypes": (PREFIX + "connection",),
        "EventType": "ConnectionEvent",
        # the FQE connection event's keys, and ClientApplicationVersion (detections use it)
        "raw": names("""AC_RuleAction, Application, ClientAppDetector, ClientApplication,
            ConnectionDuration, ConnectionID, DeviceUUID, EgressInterface, EgressVRF, EgressZone,
            EVE_Fingerprint, EVE_Process, EVE_ProcessConfidencePct, EVE_ThreatConfidenceIndex,
            EVE_ThreatConfidencePct, EventType, FirewallPolicy, FirewallRule, FirstPacketSecond,
            IngressInterface, IngressVRF, IngressZone, InitiatorBytes, InitiatorIP,
            InitiatorPackets, InitiatorPort, InstanceID, LastPacketSecond, NAP_Policy,
            NAT_InitiatorIP, NAT_InitiatorPort, NAT_ResponderIP, NAT_ResponderPort,
            PrefilterPolicy, Protocol, ResponderBytes, ResponderIP, ResponderPackets,
            ResponderPort, SSL_ActualAction, SSL_CertFingerprint, SSL_CipherSuite,
            SSL_ExpectedAction, SSL_FlowStatus, SSL_Policy, SSL_ServerCertStatus, SSL_Version,
            URL, WebApplication, ClientApplicationVersion"""),
        "lower": names("""action, app, bytes_in, bytes_out, connection_id, dest, dest_interface,
            dest_ip, dest_port, dest_zone, device_id, dvc, instance_id, packets_in, packets_out,
            rule, src, src_interface, src_ip, src_port, src_zone, ssl_hash, ssl_policies,
            ssl_signature_algorithm, ssl_version, transport, url, vendor_product"""),
        "numbers": names("""ConnectionDuration, ConnectionID, EVE_ProcessConfidencePct,
            EVE_ThreatConfidenceIndex, EVE_ThreatConfidencePct, FirstPacketSecond,
            InitiatorBytes, InitiatorPackets, InitiatorPort, InstanceID, LastPacketSecond,
            NAT_InitiatorPort, NAT_ResponderPort, ResponderBytes, ResponderPackets,
            ResponderPort, bytes_in, bytes_out, dest_port, device_id, instance_id, packets_in,
            packets_out, src_port"""),
        # numbers every event of the data source has
        "always": names("""InitiatorBytes, ResponderBytes, InitiatorPackets, ResponderPackets,
            bytes_in, bytes_out, packets_in, packets_out, device_id"""),
    },
    "intrusion": {
        "sourcetypes": (PREFIX + "intrusion",),
        "EventType": "IntrusionEvent",
        "raw": names("""Application, ApplicationID, ApplicationProductivityIndex,
            ApplicationRiskIndex, Classification, ClientApplication, ClientApplicationID,
            ClientApplicationProductivityIndex, ClientApplicationRiskIndex, ConnectionID, Device,
            DeviceIP, DeviceSerialNumber, DeviceUUID, EgressInterface, EgressInterfaceUUID,
            EgressVRF, EgressZone, EgressZoneUUID, EventID, EventMicrosecond, EventSecond,
            EventType, FirewallPolicy, FirewallPolicyUUID, FirewallRule, FirewallRuleID,
            FirstPacketSecond, GeneratorID, HTTP_Hostname, HTTP_URI, Hostname, ICMP_Code,
            ICMP_Type, Impact, IngressInterface, IngressInterfaceUUID, IngressVRF, IngressZone,
            IngressZoneUUID, InitiatorContinent, InitiatorContinentCode, InitiatorCountry,
            InitiatorCountryCode, InitiatorCountryID, InitiatorIP, InitiatorPort, InlineResult,
            InlineResultID, InlineResultReason, InlineResultReasonID, InstanceID,
            IntrusionPolicy, IntrusionPolicyRevUUID, IntrusionPolicyUUID, IntrusionRuleMessage,
            MitreAttackGroups, NAP_Policy, NAP_PolicyUUID, PriorityID, Protocol, ProtocolID,
            RealmID, RealmName, ResponderContinent, ResponderContinentCode, ResponderCountry,
            ResponderCountryCode, ResponderCountryID, ResponderIP, ResponderPort,
            SSL_ActualAction, SSL_ActualActionID, SSL_Cert, SSL_CertFingerprint, SSL_FlowStatus,
            SSL_FlowStatusID, SensorID, SignatureID, SignatureRevision, SnortRuleGroups,
            SnortVersionID, UserID, WebApplication, WebApplicationHTTP, WebApplicationID,
            WebApplicationProductivityIndex"""),
        "lower": names("""app, class_desc, connection_id, date, dest, dest_interface, dest_ip,
            dest_port, dest_zone, device_id, dvc, event_id, http_referrer, id, impact_desc,
            instance_id, rule, sensor_name, severity_id, signature, signature_id,
            signature_version, src, src_interface, src_ip, src_port, src_zone, ssl_hash,
            transport, vendor_product"""),
        "numbers": names("""ApplicationID, ApplicationProductivityIndex, ApplicationRiskIndex,
            ClientApplicationID, ClientApplicationProductivityIndex, ClientApplicationRiskIndex,
            ConnectionID, EventID, EventMicrosecond, EventSecond, FirewallRuleID,
            FirstPacketSecond, GeneratorID, ICMP_Code, ICMP_Type, Impact, InitiatorCountryID,
            InitiatorPort, InlineResultID, InlineResultReasonID, InstanceID, PriorityID,
            ProtocolID, RealmID, ResponderCountryID, ResponderPort, SSL_ActualActionID,
            SSL_FlowStatusID, SensorID, SignatureID, SignatureRevision, SnortVersionID, UserID,
            WebApplicationID, WebApplicationProductivityIndex, date, dest_port, device_id,
            event_id, id, instance_id, severity_id, signature_id, signature_version,
            src_port"""),
        "always": names("""EventSecond, EventID, SignatureID, GeneratorID, SignatureRevision,
            PriorityID, Impact, InlineResultID, InitiatorPort, ResponderPort, ProtocolID,
            SensorID, signature_id, signature_version, severity_id, date, id, event_id,
            src_port, dest_port"""),
    },
    "file": {
        "sourcetypes": (PREFIX + "file", PREFIX + "malware"),
        "EventType": "FileEvent",
        "raw": names("""Application, ClientApplication, ConnectionID, Device, DeviceIP,
            DeviceSerialNumber, DeviceUUID, EgressVRF, EventSecond, EventType, FileAction,
            FileDirection, FileName, FilePolicy, FileSandboxStatus, FileSHA256, FileSize,
            FileStorageStatus, FileType, FirstPacketSecond, IngressVRF, InitiatorIP,
            InitiatorPort, InstanceID, Protocol, ResponderIP, ResponderPort, SHA_Disposition,
            SperoDisposition, ThreatName, ThreatScore, URI, WebApplication"""),
        "lower": names("""app, connection_id, date, dest, dest_ip, dest_port, device_id, dvc,
            file_hash, file_name, file_size, instance_id, sensor_name, src_ip, src_port,
            transport, uri, vendor_product"""),
        "numbers": names("""ConnectionID, EventSecond, FileSize, FirstPacketSecond,
            InitiatorPort, InstanceID, ResponderPort, ThreatScore, date, dest_port, device_id,
            file_size, instance_id, src_port"""),
        "always": names("EventSecond, date, device_id"),
    },
}
# CIM fields computed at ingest that apply only where the event has them (conditional or
# required in the event's data model): the layer never fills them with "unknown".
CIM_AT_INGEST = {"dest", "src", "dest_ip", "src_ip", "dest_zone", "src_zone", "file_name"}


def data_source_of(sourcetype):
    return next((name for name, source in DATA_SOURCES.items()
                 if sourcetype in source["sourcetypes"]), None)


# --- the events ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def head():
    return SearchHead()


@functools.lru_cache(maxsize=None)
def event_set(name):
    """``[(ingested event, search-time fields)]`` of one set, the four ESCU families only."""
    if name == "simulator FMC 7":
        events = [e for _, e in simulator_events(900, generation="7.0")]
    elif name == "simulator FMC 6.2":
        events = [e for _, e in simulator_events(900, generation="6.2")]
    elif name == "scenarios":
        events = [e for _, _, e in scenario_events()]
    else:
        events = [e for _, e in capture_events("fmc-2020.example.net") if e is not None]
    return tuple((event, head().fields(indexed(event))) for event in events
                 if data_source_of(event.sourcetype))


EVENT_SETS = ("simulator FMC 7", "simulator FMC 6.2", "scenarios", "real capture")
CASES = [(source, events) for source in DATA_SOURCES for events in EVENT_SETS
         if not (events == "real capture" and source != "connection")]  # the capture: 71s only


def events_of(source, events):
    found = [(e, f) for e, f in event_set(events) if data_source_of(e.sourcetype) == source]
    assert found, f"no {source} events in the {events}"
    return found


def single_text(value):
    return isinstance(value, str) and value != ""


# --- every field, its type and its vocabulary -----------------------------------------------------

@pytest.mark.parametrize("source, events", CASES)
def test_every_text_field_of_the_data_source_is_present_on_every_event(source, events):
    spec = DATA_SOURCES[source]
    texts = [name for name in spec["raw"] + spec["lower"]
             if name not in spec["numbers"] and name not in CIM_AT_INGEST]
    problems = []
    for event, fields in events_of(source, events):
        for name in texts:
            if not single_text(fields.get(name)):
                problems.append((event.event.get("rec_type"), name, fields.get(name)))
    assert not problems, problems[:20]


@pytest.mark.parametrize("source, events", CASES)
def test_numeric_fields_are_single_numbers_and_absent_without_a_value(source, events):
    spec = DATA_SOURCES[source]
    problems = []
    for event, fields in events_of(source, events):
        for name in spec["numbers"]:
            value = fields.get(name)
            if value is None:
                if name in spec["always"]:
                    problems.append((name, "missing"))
            elif isinstance(value, list) or number(value) is None:
                problems.append((name, value))
        if event.event.get("transport") in ("tcp", "udp"):
            for name in ("InitiatorPort", "ResponderPort", "src_port", "dest_port"):
                if number(fields.get(name)) is None:
                    problems.append((name, "missing on a tcp/udp event"))
    assert not problems, problems[:20]


@pytest.mark.parametrize("source, events", CASES)
def test_cim_fields_computed_at_ingest_are_untouched(source, events):
    # search time adds names; it never changes what the input wrote
    for event, fields in events_of(source, events):
        for name in CIM_AT_INGEST | {"action", "app", "transport", "signature", "rule"}:
            if name in event.event:
                assert fields.get(name) == str(event.event[name]), name
        assert UNKNOWN not in event.event.values()  # "unknown" is search time's only


def is_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
IANA_KEYWORDS = {keyword.lower() for _, keyword, _, _ in IP_PROTOCOL_TABLE.rows}
CLASSIFICATION_TEXTS = {description for _, description in world.CLASSIFICATIONS.values()} | {
    "A Network Trojan was Detected", "Misc activity"}  # the scenarios' metadata 67
VOCABULARY = {
    "Protocol": lambda v: v == v.lower() and v in IANA_KEYWORDS,
    "AC_RuleAction": lambda v: v in {name for name, _ in RULE_ACTION_TABLE.rows} | {"Default Action"},
    "SSL_CertFingerprint": lambda v: re.fullmatch(r"[0-9a-f]{40}", v),
    "ssl_hash": lambda v: re.fullmatch(r"[0-9a-f]{40}", v),
    "FileSHA256": lambda v: re.fullmatch(r"[0-9a-f]{64}", v),
    "file_hash": lambda v: re.fullmatch(r"[0-9a-f]{64}", v),
    "FileType": lambda v: v in {code for code, _ in FILE_TYPE_TABLE.rows},
    "Classification": lambda v: v in CLASSIFICATION_TEXTS,
    "class_desc": lambda v: v in CLASSIFICATION_TEXTS,
    "Impact": lambda v: number(v) in (1, 2, 3, 4, 5),
    "InlineResult": lambda v: v in {text for _, text in ESCU_INLINE_RESULT_TABLE.rows},
    "InlineResultReason": lambda v: v in BLOCKED_REASONS.values(),
    "SHA_Disposition": lambda v: v in {name for _, name, _, _ in DISPOSITION_TABLE.rows},
    "FileDirection": lambda v: v in ("Download", "Upload"),
    "FileAction": lambda v: v in {name for _, name, _ in FILE_ACTION_TABLE.rows},
    "PriorityID": lambda v: number(v) in (1, 2, 3, 4),
    "EVE_ProcessConfidencePct": lambda v: 0 <= number(v) <= 100,
    "EVE_ThreatConfidencePct": lambda v: 0 <= number(v) <= 100,
    "InitiatorPort": lambda v: 0 <= number(v) <= 65535,
    "ResponderPort": lambda v: 0 <= number(v) <= 65535,
    **{name: is_ip for name in ("InitiatorIP", "ResponderIP", "NAT_InitiatorIP",
                                "NAT_ResponderIP", "src_ip", "dest_ip")},
    **{name: UUID.match for name in ("FirewallPolicyUUID", "IntrusionPolicyUUID",
                                     "NAP_PolicyUUID", "IngressZoneUUID", "EgressZoneUUID",
                                     "IngressInterfaceUUID", "EgressInterfaceUUID")},
}


@pytest.mark.parametrize("source, events", CASES)
def test_values_follow_ciscos_types_and_vocabulary(source, events):
    spec, problems = DATA_SOURCES[source], []
    for _, fields in events_of(source, events):
        assert fields["EventType"] == spec["EventType"]
        for name, valid in VOCABULARY.items():
            value = fields.get(name)
            if value is None or value == UNKNOWN:
                continue
            if isinstance(value, list) or not valid(value):
                problems.append((name, value))
    assert not problems, problems[:20]


def test_the_vocabulary_checks_see_real_values():
    # "unknown" everywhere would pass the vocabulary test: each checked field has real values
    seen = {name: set() for name in VOCABULARY}
    for events in EVENT_SETS:
        for _, fields in event_set(events):
            for name in VOCABULARY:
                if fields.get(name) not in (None, UNKNOWN):
                    seen[name].add(fields[name])
    assert not [name for name, values in seen.items() if not values]
    assert seen["Protocol"] >= {"tcp", "udp", "icmp"}
    assert {"A Network Trojan was Detected", "Known malware command and control traffic"} <= \
        seen["Classification"]
    assert seen["Impact"] == {"1", "2", "3", "4", "5"}
    assert {"Blocked", "Would block"} <= seen["InlineResult"]
    assert {"ELF", "MSEXE", "EICAR", "PDF"} <= seen["FileType"]
    assert {"Malware", "Clean"} <= seen["SHA_Disposition"]


def test_fmc_7_events_carry_eve_nat_and_vrf_and_fmc_6_events_say_unknown():
    seven = [f for e, f in event_set("simulator FMC 7") if e.sourcetype == PREFIX + "connection"]
    six = [f for e, f in event_set("simulator FMC 6.2") if e.sourcetype == PREFIX + "connection"]
    assert any(f["EVE_Process"] not in (UNKNOWN, None) for f in seven)
    assert any((number(f.get("EVE_ThreatConfidencePct")) or 0) >= 80 for f in seven)
    assert any(is_ip(f["NAT_InitiatorIP"]) and number(f.get("NAT_InitiatorPort")) for f in seven)
    assert {f["IngressVRF"] for f in seven} == {"Global"}
    assert {(f["EVE_Process"], f["NAT_InitiatorIP"], f["IngressVRF"]) for f in six} == \
        {(UNKNOWN, UNKNOWN, UNKNOWN)}
    assert not any("EVE_ThreatConfidencePct" in f or "NAT_InitiatorPort" in f for f in six)


def test_a_connection_without_a_rule_or_url_gets_unknown_for_both():
    netflow = next(f for e, f in event_set("scenarios")
                   if e.sourcetype == PREFIX + "connection" and "rule" not in e.event)
    assert (netflow["rule"], netflow["url"], netflow["FirewallRule"], netflow["URL"]) == \
        (UNKNOWN,) * 4


def test_intrusion_fields_match_the_record():
    record = dict(SCENARIOS["intrusion impact 4"][1])
    fields = next(f for e, f in event_set("scenarios")
                  if e.event.get("event_id") == record["eventId"])
    assert (fields["SignatureID"], fields["GeneratorID"], fields["SignatureRevision"]) == \
        (str(record["ruleId"]), "1", str(record["ruleRevision"]))
    assert fields["IntrusionRuleMessage"] == "ET POLICY PE EXE or DLL Windows file download"
    assert fields["Classification"] == fields["class_desc"] == "A Network Trojan was Detected"
    assert (fields["PriorityID"], fields["Impact"], fields["impact_desc"]) == \
        ("2", "4", "Blue (unknown target)")
    assert (fields["InlineResultID"], fields["InlineResult"]) == ("5", "Would block")
    assert fields["InlineResultReason"] == 'Intrusion Policy in "Detection" Inspection Mode'
    assert (fields["HTTP_Hostname"], fields["HTTP_URI"]) == ("www.example.com", "/setup.exe")
    assert fields["signature_version"] == fields["SignatureRevision"]
    assert fields["Protocol"] == "tcp" and fields["InitiatorIP"] == "203.0.113.9"


def test_no_impact_is_cisco_gray_unknown_impact():
    fields = next(f for e, f in event_set("scenarios") if e.event.get("event_id") == 5000)
    assert (fields["Impact"], fields["impact_desc"]) == ("5", "Gray (unknown impact)")


def test_classic_intrusions_have_no_reason_groups_or_mitre_text():
    fields = next(f for e, f in event_set("scenarios") if e.event.get("rec_type") == 400
                  and "inline_result_reason" not in e.event)
    assert (fields["InlineResultReason"], fields["MitreAttackGroups"],
            fields["SnortRuleGroups"]) == (UNKNOWN,) * 3


def test_a_clean_file_has_threat_name_unknown_and_a_malware_download_its_threat():
    files = [(e, f) for e, f in event_set("simulator FMC 7") if e.sourcetype == PREFIX + "file"]
    clean = [f for e, f in files if e.event["rec_type"] == 500]
    malware = [f for e, f in files if e.event["rec_type"] == 502]
    assert {f["ThreatName"] for f in clean} == {UNKNOWN}
    assert {f["ThreatName"] for f in malware} == set(world.MALWARE_TYPES_BY_FILE.values())
    assert {f["SHA_Disposition"] for f in malware} == {"Malware"}
    assert {f["SperoDisposition"] for f in clean} == {"Spero detection not performed on file"}


def test_the_real_capture_connections_give_ciscos_fields():
    first = events_of("connection", "real capture")[0][1]
    assert (first["InitiatorIP"], first["ResponderIP"], first["InitiatorPort"],
            first["ResponderPort"], first["Protocol"]) == (
        "192.168.50.50", "52.114.128.70", "59265", "443", "tcp")
    assert (first["AC_RuleAction"], first["FirewallRule"], first["FirewallPolicy"]) == (
        "Allow", "allow-all", "basic-ac")
    assert (first["IngressZone"], first["EgressZone"], first["NAP_Policy"]) == (
        "inside", "outside", "Balanced Security and Connectivity")
    assert (first["InitiatorBytes"], first["ResponderBytes"], first["ConnectionID"],
            first["InstanceID"]) == ("1687", "4492", "98", "3")
    assert (first["ClientApplication"], first["Application"], first["WebApplication"]) == (
        "SSL client", "HTTPS", "Microsoft")
    assert first["URL"] == first["url"] == "https://v10.vortex-win.data.microsoft.com"


# --- detections: the macro, stats BY without fillnull -----------------------------------------------

DETECTION_SEARCHES = {
    "connection": "EventType=ConnectionEvent | stats count BY src dest dest_port transport rule "
                  "action app url AC_RuleAction IngressZone EgressZone ClientApplication "
                  "ClientApplicationVersion EVE_Process ssl_hash",
    "intrusion": "EventType=IntrusionEvent | stats count BY src dest dest_port signature "
                 "signature_id class_desc impact_desc rule transport app Classification "
                 "InlineResult InlineResultReason MitreAttackGroups",
    # (numbers without a value stay absent: endpoint malware events have no ports to group by)
    "file": "EventType=FileEvent | stats count BY dest FileDirection FileType file_hash "
            "SHA_Disposition ThreatName uri connection_id src_ip transport",
}


@pytest.mark.parametrize("source", sorted(DETECTION_SEARCHES))
@pytest.mark.parametrize("events", ("simulator FMC 7", "simulator FMC 6.2"))
def test_a_detection_grouping_without_fillnull_keeps_every_event(source, events):
    macro = ESCU_MACRO.replace("<yours>", "firepower")
    indexed_events = [indexed(e) for e, _ in event_set(events)]
    results = Pipeline(head()).run(f"{macro} {DETECTION_SEARCHES[source]}",
                                   events=indexed_events)
    assert results.dropped == []
    expected = len([1 for e, _ in event_set(events) if data_source_of(e.sourcetype) == source])
    assert sum(int(row["count"]) for row in results.rows) == expected > 0


@pytest.mark.parametrize("case, terms, generation", HUNTED, ids=[c[0] for c in HUNTED])
def test_the_simulator_produces_the_hunted_case(case, terms, generation):
    macro = ESCU_MACRO.replace("<yours>", "firepower")
    for events in ("simulator FMC 7",) + (("simulator FMC 6.2",) if generation != "7.0" else ()):
        results = Pipeline(head()).run(f"{macro} {terms}",
                                       events=[indexed(e) for e, _ in event_set(events)])
        assert results.rows, (case, events)


# --- the layer's own rules ----------------------------------------------------------------------

PROPS = read_conf(REPO_ROOT / "package" / "default" / "props.conf")
ESCU_SOURCETYPES = [st for source in DATA_SOURCES.values() for st in source["sourcetypes"]]
ALLOWED_FUNCTIONS = {"coalesce", "if", "case", "lower", "upper", "tostring", "tonumber",
                     "isnull", "isnotnull"}
ALLOWED_OPERATORS = {"==", "!=", ".", "(", ")", ","}


def escu_settings():
    for sourcetype in ESCU_SOURCETYPES:
        for key, value in PROPS[sourcetype].items():
            if key.startswith(("EVAL-", "FIELDALIAS-escu_", "LOOKUP-escu_")):
                yield sourcetype, key, value


def test_every_sourcetype_of_the_three_data_sources_has_the_layer():
    for sourcetype in ESCU_SOURCETYPES:
        assert PROPS[sourcetype].get("EVAL-EventType"), sourcetype


def test_evals_use_only_the_vocabulary_the_issue_allows():
    # field references, string and number literals, coalesce, if, case, lower, upper,
    # tostring, tonumber, isnull, isnotnull, ==, != and .
    for sourcetype, key, value in escu_settings():
        if not key.startswith("EVAL-"):
            continue
        tokens = _tokens(value)
        for position, (kind, text) in enumerate(tokens):
            following = tokens[position + 1] if position + 1 < len(tokens) else (None, None)
            if kind == "op":
                assert text in ALLOWED_OPERATORS, (sourcetype, key, text)
            elif kind == "word" and following == ("op", "("):
                assert text in ALLOWED_FUNCTIONS, (sourcetype, key, text)


def test_an_eval_of_a_field_the_input_writes_only_fills_its_absence():
    # e.g. EVAL-rule = coalesce(rule, "unknown"): a value the input wrote is never changed
    from estreamer.events import FIELDS
    for sourcetype, key, value in escu_settings():
        target = key[len("EVAL-"):]
        family = sourcetype[len(PREFIX):]
        if key.startswith("EVAL-") and target in FIELDS[family]:
            assert value == f'coalesce({target}, "unknown")', (sourcetype, key, value)


def test_unknown_goes_only_to_fields_no_data_model_tests_for_values():
    # pytest-splunk-addon checks negative values ("unknown" among them) in the required and
    # conditional fields of an event's dataset; the layer fills only others
    from cim.checker import load_checker
    checker, reason = load_checker()
    if checker is None:
        pytest.skip(reason)
    datasets = {"connection": ("Network_Traffic",), "intrusion": ("Intrusion_Detection",),
                "file": ("Malware",), "malware": ("Malware",)}
    for sourcetype, key, value in escu_settings():
        if not key.startswith("EVAL-") or UNKNOWN not in value:
            continue
        target = key[len("EVAL-"):]
        for model in datasets[sourcetype[len(PREFIX):]]:
            for root in checker.models.models[model]["objects"]:
                tested = {f["name"] for f in root["fields"]
                          if f["type"] in ("required", "conditional")}
                assert target not in tested, (sourcetype, key, model)


def test_our_props_apply_to_our_sourcetypes_only():
    # side by side with Cisco Security Cloud: nothing of ours touches cisco:sfw:estreamer
    for stanza, settings in PROPS.items():
        if any(key.startswith(("EVAL-", "FIELDALIAS-", "LOOKUP-", "EXTRACT-", "REPORT-"))
               for key in settings):
            assert stanza.startswith(PREFIX), stanza
    assert "cisco:sfw:estreamer" not in PROPS and "default" not in PROPS


CISCO_CONNECTION_EVENT = {
    "EventType": "ConnectionEvent", "FirstPacketSecond": 1743500734, "ConnectionID": 259,
    "AC_RuleAction": "Block", "InitiatorIP": "172.16.3.110", "ResponderIP": "142.250.191.196",
    "InitiatorPort": 62296, "ResponderPort": 443, "Protocol": "tcp", "FirewallRule": "NasBlock"}


def test_a_cisco_security_cloud_event_is_left_to_its_own_add_on():
    # an FQE connection event as Cisco's add-on indexes it: our knowledge objects add nothing
    event = {"_raw": json.dumps(CISCO_CONNECTION_EVENT), "_time": 1743500734.0,
             "host": "fmc", "source": "sbg_fw_estreamer_input://fmc",
             "sourcetype": "cisco:sfw:estreamer", "index": "cisco_secure_fw",
             "splunk_server": "sh1", "linecount": "1"}
    fields = head().fields(event)
    assert set(fields) == set(event)


# --- setup: the ESCU macro ---------------------------------------------------------------------

def test_the_add_on_ships_no_macro_named_cisco_secure_firewall():
    macros = read_conf(REPO_ROOT / "package" / "default" / "macros.conf")
    assert not [name for name in macros if name.split("(")[0] == "cisco_secure_firewall"]


def test_readme_and_setup_page_say_how_to_set_the_escu_macro():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "`cisco_secure_firewall`" in readme and ESCU_MACRO in readme
    config = json.loads((REPO_ROOT / "globalConfig.json").read_text())
    text = config["pages"]["inputs"]["subDescription"]["text"]
    assert "cisco_secure_firewall" in text and ESCU_MACRO in text
