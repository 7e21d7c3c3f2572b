"""Correlation events (112) → Alerts (docs/event-fields.md: correlation)."""
import pytest

from cim.fixtures import T0, correlation, decode, mapper
from estreamer.events import FIELDS


def event(**fields):
    return mapper().map(decode(112, correlation(**fields)))


def test_a_correlation_event_with_users_in_full():
    mapped = event()
    assert (mapped.time, mapped.sourcetype) == (float(T0 + 400),
                                                "cisco:firepower:estreamer:correlation")
    assert mapped.event == {
        "rec_type": 112, "rec_type_desc": "Correlation Event", "device_id": 1,
        "dvc": "ftd-branch-1", "id": f"1:77:{T0 + 400}", "signature_id": 12,
        "signature": "Internal host scanning", "correlation_policy_id": 3,
        "correlation_policy": "Detect lateral movement",
        "description": "Host 192.168.50.50 contacted 25 internal hosts", "severity": "high",
        "severity_id": 2, "priority": 2, "type": "alert", "app": "cisco:firepower:correlation",
        "src": "192.168.50.50", "src_ip": "192.168.50.50", "dest": "192.168.50.77",
        "dest_ip": "192.168.50.77", "user": "alice", "source_user": "alice",
        "correlation_event_type": "Intrusion Event", "src_criticality": "Medium",
        "src_host_type": "Host", "dest_host_type": "Host", "src_os": "Windows 10",
        "protocol_id": 1, "ip_proto": "ICMP", "impact": 1, "impact_desc": "Red (vulnerable)",
        "gid": 1, "sid": 384, "rule_id": 10, "rule": "allow-web", "policy": "corp-access",
        "intrusion_policy": "Balanced Security and Connectivity", "src_zone": "inside",
        "dest_zone": "inside",
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }
    assert list(mapped.event) == [name for name in FIELDS["correlation"] if name in mapped.event]


@pytest.mark.parametrize("priority, severity", [
    (0, "informational"), (1, "critical"), (2, "high"), (3, "medium"), (4, "low"),
    (5, "informational"), (17, "informational")])
def test_severity_follows_the_rule_priority(priority, severity):
    e = event(priority=priority).event
    assert (e["severity"], e["severity_id"], e["priority"]) == (severity, priority, priority)


def test_the_user_is_the_source_user_else_the_destination_user():
    assert event(sourceUserId=0, destinationUserId=6).event["user"] == "bob"
    e = event(sourceUserId=5, destinationUserId=6).event
    assert (e["user"], e["source_user"], e["destination_user"]) == ("alice", "alice", "bob")


def test_without_users_there_is_no_user():
    e = event(sourceUserId=0, destinationUserId=0).event
    assert not {"user", "source_user", "destination_user"} & set(e)


def test_addresses_fall_back_to_the_legacy_fields_and_then_the_device():
    legacy = event(sourceIpv6Address="", destinationIpv6Address="", sourceIp=0xC0A8320A,
                   destinationIp=0).event
    assert (legacy["src"], legacy["src_ip"], legacy["dest"]) == \
        ("192.168.50.10", "192.168.50.10", "192.168.50.10")
    assert "dest_ip" not in legacy
    host_less = event(sourceIpv6Address="", destinationIpv6Address="").event
    assert (host_less["src"], host_less["dest"]) == ("ftd-branch-1", "ftd-branch-1")
    assert not {"src_ip", "dest_ip", "src_host_type", "dest_host_type"} & set(host_less)


def test_the_description_falls_back_to_the_rule_name():
    assert event(eventDescription="").event["description"] == "Internal host scanning"


def test_unnamed_rules_and_policies_get_labels():
    e = event(ruleId=404, policyId=505).event
    assert (e["signature"], e["correlation_policy"]) == \
        ("correlation-rule-404", "correlation-policy-505")


def test_criticality_never_becomes_an_asset_priority():
    e = event(sourceCriticality=3, destinationCriticality=1).event
    assert (e["src_criticality"], e["dest_criticality"]) == ("High", "Low")
    assert not {"src_priority", "dest_priority"} & set(e)
