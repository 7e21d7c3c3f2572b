"""Intrusion events (400) → Intrusion_Detection, and their context records 2, 9, 110
(docs/event-fields.md: intrusion)."""
import pytest

from cim.fixtures import (
    AC_POLICY,
    DEVICE,
    FMC,
    INSIDE_IF,
    INSIDE_ZONE,
    IPS_POLICY,
    NAP_POLICY,
    OUTSIDE_IF,
    OUTSIDE_ZONE,
    T0,
    decode,
    intrusion,
    mapper,
    metadata_cache,
)
from estreamer.events import FIELDS


def event(cache=None, **fields):
    return mapper(cache=cache).map(decode(400, intrusion(**fields), T0 + 101))


def test_a_dropped_tcp_intrusion_in_full():
    mapped = event()
    assert (mapped.time, mapped.sourcetype, mapped.host) == \
        (T0 + 100.250001, "cisco:firepower:estreamer:intrusion", FMC)
    assert mapped.event == {
        "rec_type": 400, "rec_type_desc": "Intrusion Event", "device_id": 1,
        "dvc": "ftd-branch-1", "event_id": 4711, "event_second": T0 + 100,
        "event_microsecond": 250001, "src": "203.0.113.9", "src_port": 80,
        "dest": "192.168.50.50", "dest_port": 49152, "ip_version": "ipv4", "protocol_id": 6,
        "ip_proto": "TCP", "transport": "tcp", "ids_type": "network", "action": "blocked",
        "blocked_id": 1, "inline_result": "Yes",
        "signature": "ET POLICY PE EXE or DLL Windows file download", "signature_id": 2000419,
        "gid": 1, "rev": 18, "gid_sid": "1:2000419", "category": "trojan-activity",
        "classification_id": 3, "classification": "trojan-activity",
        "class_desc": "A Network Trojan was Detected", "severity": "high",
        "severity_id": 1, "priority_id": 1, "priority": "high", "impact": 2,
        "impact_desc": "Orange (potentially vulnerable)", "user_id": 5, "user": "alice",
        "app": "http", "app_proto_id": 676, "app_proto": "HTTP", "rule_id": 10,
        "rule": "allow-web", "policy": "corp-access", "policy_uuid": AC_POLICY,
        "intrusion_policy": "Balanced Security and Connectivity",
        "intrusion_policy_uuid": IPS_POLICY, "nap_policy": "Balanced NAP",
        "nap_policy_uuid": NAP_POLICY,
        "src_zone": "outside", "dest_zone": "inside", "src_interface": "GigabitEthernet0/0",
        "dest_interface": "GigabitEthernet0/1", "src_zone_uuid": OUTSIDE_ZONE,
        "dest_zone_uuid": INSIDE_ZONE, "src_interface_uuid": OUTSIDE_IF,
        "dest_interface_uuid": INSIDE_IF, "connection_id": f"1:3:120:{T0 + 99}",
        "first_packet_time": T0 + 99, "instance_id": 3, "connection_counter": 120,
        "src_country": "netherlands", "src_country_id": 528,
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }
    assert list(mapped.event) == [name for name in FIELDS["intrusion"] if name in mapped.event]


@pytest.mark.parametrize("blocked, inline_result, action", [
    (0, "No", "allowed"), (1, "Yes", "blocked"), (2, "Would", "allowed"),
    (7, "Drop", "blocked"), (8, "Would Drop", "allowed"), (14, "Would be Rewritten", "allowed"),
    (99, "blocked-99", "allowed")])
def test_action_follows_the_inline_result(blocked, inline_result, action):
    e = event(blocked=blocked).event
    assert (e["blocked_id"], e["inline_result"], e["action"]) == (blocked, inline_result, action)


def test_why_an_event_was_not_blocked_comes_with_block_85():
    e = event(blockType=85, blocked=5, blockedReasonId=1).event
    assert e["inline_result_reason"] == "Interface in Passive or Tap mode"
    assert "inline_result_reason" not in event().event


@pytest.mark.parametrize("protocol", [1, 58])
def test_icmp_events_carry_type_and_code_and_zero_ports(protocol):
    e = event(ipProtocolId=protocol, sourcePortOrIcmpType=3, destinationPortOrIcmpType=1).event
    assert (e["icmp_type"], e["icmp_code"], e["src_port"], e["dest_port"]) == (3, 1, 0, 0)
    assert e["transport"] == "icmp"


def test_port_less_protocols_keep_numeric_zero_ports():
    e = event(ipProtocolId=47, sourcePortOrIcmpType=0, destinationPortOrIcmpType=0).event
    assert (e["src_port"], e["dest_port"], e["transport"], e["ip_proto"]) == (0, 0, "gre", "GRE")


@pytest.mark.parametrize("priority, impact, severity", [
    (1, 0, "high"), (1, 1, "critical"), (1, 3, "medium"), (2, 1, "high"), (2, 5, "medium"),
    (3, 3, "informational"), (4, 1, "low"), (0, 0, "informational"), (9, 1, "informational")])
def test_severity_combines_priority_and_impact(priority, impact, severity):
    e = event(priorityId=priority, impact=impact).event
    assert (e["severity"], e["severity_id"], e["priority_id"]) == (severity, priority, priority)


def test_impact_comes_from_the_flags_when_the_impact_byte_is_zero():
    e = event(impact=0, impactFlags=0x08, priorityId=2).event
    assert (e["impact"], e["impact_flags"], e["impact_desc"]) == (1, 8, "Red (vulnerable)")
    assert e["severity"] == "high"


def test_unknown_rule_messages_fall_back_to_gid_and_sid():
    e = event(generatorId=3, ruleId=19187).event
    assert (e["signature"], e["gid_sid"], e["signature_id"]) == ("3:19187", "3:19187", 19187)


def test_category_is_the_classification_or_unclassified():
    assert event(classificationId=0).event["category"] == "unclassified"
    assert "classification" not in event(classificationId=0).event
    e = event(classificationId=77).event
    assert (e["classification"], e["category"]) == ("classification-77", "classification-77")


def test_unset_connection_and_policy_context_is_omitted():
    e = event(connectionTimestamp=0, accessControlPolicyUuid="", accessControlRuleId=0,
              policyUuid="", networkAnalysisPolicyUuid="", userId=0, sourceCountry=0,
              securityZoneIngressUuid="", interfaceEgressUuid="").event
    assert not {"connection_id", "rule_id", "rule", "policy", "intrusion_policy", "nap_policy",
                "user_id", "user", "src_country", "src_zone", "dest_interface"} & set(e)
    assert (e["dest_zone"], e["src_interface"]) == ("inside", "GigabitEthernet0/0")


def test_snort_3_fields_of_block_85():
    e = event(blockType=85, httpHostname="www.example.com", httpURI="/a.exe", snortVersion=3,
              originalSrcIP="::ffff:198.51.100.23", ingressVRFName="blue").event
    assert (e["http_hostname"], e["http_uri"], e["snort_version"]) == \
        ("www.example.com", "/a.exe", 3)
    assert (e["original_client_ip"], e["ingress_vrf"]) == ("198.51.100.23", "blue")


def test_the_fmcs_rule_message_names_the_signature():
    cache = metadata_cache()
    cache.put("ruleMessages", "1/2000419", "ET POLICY renamed")
    assert event(cache).event["signature"] == "ET POLICY renamed"


# --- context records → cisco:firepower:estreamer:intrusion_extra ------------------------------

def extra(record_type, values):
    return mapper().map(decode(record_type, values, T0 + 101))


def test_a_packet_links_to_its_event_and_keeps_the_frame_as_hex():
    mapped = extra(2, {"deviceId": DEVICE, "eventId": 4711, "eventSecond": T0 + 100,
                       "packetSecond": T0 + 100, "packetMicrosecond": 7, "linkType": 1,
                       "packetData": bytes.fromhex("0050568f1a2bff00")})
    assert (mapped.sourcetype, mapped.time) == ("cisco:firepower:estreamer:intrusion_extra",
                                                T0 + 100.000007)
    assert mapped.event == {
        "rec_type": 2, "rec_type_desc": "Packet Data", "device_id": 1, "dvc": "ftd-branch-1",
        "event_id": 4711, "event_second": T0 + 100, "link_type": 1, "packet_len": 8,
        "packet": "0050568f1a2bff00",
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }


def test_a_frame_that_happens_to_be_text_is_still_hex():
    frame = bytes.fromhex("0001020304050a0b0c0d0e0f08004500")
    e = extra(2, {"deviceId": DEVICE, "eventId": 1, "eventSecond": T0, "packetSecond": T0,
                  "linkType": 1, "packetData": frame}).event
    assert e["packet"] == frame.hex()


def test_an_impact_alert_decodes_its_impact_bits_and_description():
    e = extra(9, {"blockType": 153, "eventId": 4711, "deviceId": DEVICE, "eventSecond": T0,
                  "impact": 0x06, "sourceIpAddress": "203.0.113.9",
                  "destinationIpAddress": "2001:db8::9",
                  "description": "[Impact: Potentially Vulnerable] Snort event"}).event
    assert (e["impact"], e["impact_flags"], e["description"]) == (2, 6, "Potentially Vulnerable")
    assert (e["src"], e["dest"]) == ("203.0.113.9", "2001:db8::9")


@pytest.mark.parametrize("blob, address", [
    (bytes(10) + b"\xff\xff" + bytes([198, 51, 100, 23]), "198.51.100.23"),
    (bytes(12) + bytes([10, 0, 0, 1]), "10.0.0.1"),
    (bytes.fromhex("20010db8000000000000000000000042"), "2001:db8::42")])
def test_extra_data_xff_is_the_original_client_address(blob, address):
    e = extra(110, {"blockType": 4, "deviceId": DEVICE, "eventId": 4711, "eventSecond": T0,
                    "type": 2, "blob": blob}).event
    assert (e["extra_type"], e["original_client_ip"]) == ("XFF Client (Ipv6)", address)


def test_other_extra_data_stays_text():
    e = extra(110, {"blockType": 4, "deviceId": DEVICE, "eventId": 4711, "eventSecond": T0,
                    "type": 9, "blob": b"/index.php?id=1"}).event
    assert (e["extra_type_id"], e["extra_type"], e["extra_data"]) == \
        (9, "HTTP URI", "/index.php?id=1")
