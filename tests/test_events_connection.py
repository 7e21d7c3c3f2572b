"""Connection events (record 71) → Network_Traffic events (docs/event-fields.md:
connection)."""
import re

import pytest

from cim.fixtures import (
    ALLOW,
    BLOCK,
    DEFAULT_ACTION,
    FMC,
    SINKHOLE,
    T0,
    connection,
    decode,
    mapper,
    metadata_cache,
)
from estreamer.events import FIELDS, MapperOptions
from estreamer.events.options import parse_rule_actions


def event(options=None, cache=None, archive=T0 + 66, **fields):
    return mapper(options, cache).map(decode(71, connection(**fields), archive))


def test_an_allowed_tcp_connection_in_full():
    mapped = event()
    assert (mapped.time, mapped.sourcetype, mapped.host) == \
        (float(T0), "cisco:firepower:estreamer:connection", FMC)
    assert mapped.event == {
        "rec_type": 71, "rec_type_desc": "Connection Statistics", "event_type": 1003,
        "event_subtype": 1, "device_id": 1, "dvc": "ftd-branch-1",
        "src": "192.168.50.50", "src_ip": "192.168.50.50", "src_port": 59265,
        "dest": "52.114.128.70", "dest_ip": "52.114.128.70", "dest_port": 443,
        "protocol_version": "ipv4", "protocol_id": 6, "ip_proto": "TCP", "transport": "tcp",
        "protocol": "ip", "action": "allowed", "rule_action_id": ALLOW, "rule_action": "Allow",
        "rule_id": 10, "rule": "allow-web", "policy": "corp-access", "nap_policy": "Balanced NAP",
        "src_zone": "inside", "dest_zone": "outside",
        "src_interface": "GigabitEthernet0/1", "dest_interface": "GigabitEthernet0/0",
        "bytes": 6179, "bytes_out": 1687, "bytes_in": 4492,
        "packets": 18, "packets_out": 10, "packets_in": 8,
        "first_packet_time": T0, "last_packet_time": T0 + 65, "duration": 65,
        "connection_id": f"1:3:98:{T0}", "session_id": f"1:3:98:{T0}", "instance_id": 3,
        "connection_counter": 98,
        "app": "https", "app_proto_id": 1122, "app_proto": "HTTPS", "client_app": "SSL client",
        "web_app": "Microsoft", "user_id": 5, "user": "alice", "tcp_flag": ["SYN", "ACK"],
        "url": "https://www.example.com/index.html", "dest_country": "united states",
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }


def test_keys_come_in_the_declared_order():
    keys = list(event(blockType=174, natInitiatorIp="198.51.100.7").event)
    declared = [name for name in FIELDS["connection"] if name in keys]
    assert keys == declared


def test_time_is_the_header_event_time_with_microseconds_when_the_fmc_sets_it():
    assert event(eventSecond=T0 + 70, eventMicrosecond=123456).time == T0 + 70.123456


def test_time_falls_back_to_the_first_packet_then_the_archive_timestamp():
    assert event(eventSecond=0).time == float(T0)
    assert event(firstPacketTimestamp=0, lastPacketTimestamp=0).time == float(T0 + 66)


def test_a_blocked_flow_keeps_its_zero_counters():
    e = event(protocol=17, ruleAction=BLOCK, ruleId=11, responderTransmittedBytes=0,
              responderTransmittedPackets=0).event
    assert (e["action"], e["rule_action"], e["rule"]) == ("blocked", "Block", "block-bad-udp")
    assert (e["bytes"], e["bytes_out"], e["bytes_in"]) == (1687, 1687, 0)
    assert (e["packets"], e["packets_out"], e["packets_in"]) == (10, 10, 0)
    assert (e["transport"], e["protocol"], e["ip_proto"]) == ("udp", "ip", "UDP")


@pytest.mark.parametrize("protocol, ip_proto, src, dest", [
    (1, "ICMP", "192.168.50.50", "52.114.128.70"),
    (58, "IPv6-ICMP", "2001:db8::50", "2001:db8::1"),
])
def test_icmp_type_and_code_come_from_the_port_fields(protocol, ip_proto, src, dest):
    e = event(protocol=protocol, initiatorIpAddress=src, responderIpAddress=dest,
              initiatorPort=3, responderPort=13, tcpFlag=0).event
    assert (e["icmp_type"], e["icmp_code"]) == (3, 13)
    assert "src_port" not in e and "dest_port" not in e
    assert (e["transport"], e["protocol"], e["ip_proto"]) == ("icmp", "icmp", ip_proto)


def test_ipv6_addresses_are_rfc5952_text_and_the_version_follows_them():
    e = event(initiatorIpAddress="2001:DB8:0:0:0:0:0:5", responderIpAddress="::ffff:10.1.2.3").event
    assert (e["src"], e["src_ip"]) == ("2001:db8::5", "2001:db8::5")
    assert (e["dest"], e["dest_ip"]) == ("10.1.2.3", "10.1.2.3")
    assert e["protocol_version"] == "ipv6"
    assert event().event["protocol_version"] == "ipv4"


def test_zero_addresses_are_omitted():
    e = event(initiatorIpAddress="::", responderIpAddress="0.0.0.0").event
    assert not {"src", "src_ip", "dest", "dest_ip", "protocol_version"} & set(e)


def test_rule_action_names_come_from_record_120_and_map_through_l2():
    assert event(ruleAction=BLOCK).event["action"] == "blocked"
    cache = metadata_cache()
    cache.put("firewallRuleActions", "31", "INTERACTIVE BLOCK WITH RESET")
    e = event(cache=cache, ruleAction=31).event
    assert (e["rule_action"], e["action"]) == ("INTERACTIVE BLOCK WITH RESET", "blocked")


def test_the_default_action_is_what_the_fmc_recorded_for_the_connection():
    # Answered by the responder, no block reason: the default action let it through.
    e = event(ruleId=0, ruleAction=DEFAULT_ACTION).event
    assert (e["rule_id"], e["rule"], e["rule_action"], e["action"]) == \
        (0, "Default Action", "Default Action", "allowed")
    # Nothing came back: the default action blocked it.
    e = event(ruleId=0, ruleAction=DEFAULT_ACTION, responderTransmittedPackets=0,
              responderTransmittedBytes=0).event
    assert e["action"] == "blocked"
    # A rule reason naming a block (Security Intelligence IP block) wins over the packets.
    e = event(ruleId=0, ruleAction=DEFAULT_ACTION, ruleReason=1).event
    assert (e["rule_reason"], e["action"]) == (["IP Block"], "blocked")


def test_a_site_says_what_its_default_action_does():
    site = MapperOptions(rule_actions={"default action": "blocked"})
    assert event(site, ruleId=0, ruleAction=DEFAULT_ACTION).event["action"] == "blocked"
    site = MapperOptions(rule_actions=parse_rule_actions("Default Action = teardown; Monitor=allowed"))
    assert event(site, ruleId=0, ruleAction=DEFAULT_ACTION).event["action"] == "teardown"


@pytest.mark.parametrize("text, problem", [
    ("Default Action", "write <rule action>=<allowed|blocked|teardown>"),
    ("Default Action=flow", "'flow' is not one of allowed, blocked, teardown"),
    ("=blocked", "write <rule action>"),
])
def test_a_rule_action_mapping_that_cannot_be_read_says_why(text, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_rule_actions(text)


def test_the_input_refuses_a_rule_action_mapping_it_cannot_read():
    from estreamer_splunk.params import InputParams
    params = {"fmc_server": "fmc1", "record_families": "connection", "start_position": "now"}
    InputParams.parse(dict(params, rule_actions="Default Action=blocked"))
    with pytest.raises(ValueError, match="'deny' is not one of allowed, blocked, teardown"):
        InputParams.parse(dict(params, rule_actions="Default Action=deny"))


def test_the_input_setting_reaches_the_mapper():
    from estreamer_splunk.params import InputParams
    params = {"fmc_server": "fmc1", "record_families": "connection"}
    options = InputParams.parse(dict(params, rule_actions="Default Action=blocked")).mapper_options()
    assert options.rule_actions == {"default action": "blocked"}
    assert InputParams.parse(params).mapper_options().rule_actions == {}


def test_an_unnamed_rule_action_id_gets_a_label_and_the_recorded_action():
    e = event(ruleAction=77).event
    assert (e["rule_action_id"], e["rule_action"], e["action"]) == (77, "rule-action-77", "allowed")
    e = event(ruleAction=77, responderTransmittedPackets=0, responderTransmittedBytes=0).event
    assert e["action"] == "blocked"


def test_every_connection_gets_one_of_network_traffics_actions():
    from cim.fixtures import simulator_events
    actions = {e.event["action"] for t, e in simulator_events() if t == 71}
    for fields in ({}, {"ruleAction": 0}, {"ruleAction": 77}, {"ruleAction": DEFAULT_ACTION}):
        actions.add(event(**fields).event["action"])
    assert actions == {"allowed", "blocked", "teardown"}


def test_a_site_may_name_rule_action_ids_but_the_fmcs_names_win():
    site = MapperOptions(rule_action_names={77: "Trust", BLOCK: "Allow"})
    assert event(site, ruleAction=77).event["rule_action"] == "Trust"
    assert event(site, ruleAction=77).event["action"] == "allowed"
    assert event(site, ruleAction=BLOCK).event["rule_action"] == "Block"


def test_rule_action_zero_is_na_and_teardown():
    e = event(ruleAction=0).event
    assert (e["rule_action"], e["action"]) == ("N/A", "teardown")
    assert "rule_action_id" not in e


def test_unnamed_rules_and_policies_get_labels_with_their_ids():
    revision = "99999999-0000-4000-8000-000000000001"
    e = event(policyRevision=revision, ruleId=4242).event
    assert (e["rule_id"], e["rule"], e["policy"]) == (4242, "rule-4242", f"policy-{revision}")


def test_netflow_records_have_no_verdict_rule_or_zones():
    e = event(netflowSource="0b5c3a70-9e0e-4c3b-8d8e-4f1de2b10c01", ruleAction=0, ruleId=0,
              policyRevision="", ingressZone="", egressZone="", ingressInterface="",
              egressInterface="").event
    assert e["netflow_source"] == "0b5c3a70-9e0e-4c3b-8d8e-4f1de2b10c01"
    assert (e["rule_action"], e["action"]) == ("N/A", "teardown")
    assert not {"rule_id", "rule", "policy", "src_zone", "dest_zone", "src_interface",
                "dest_interface"} & set(e)


def test_zones_are_both_present_or_both_absent():
    neither = event(ingressZone="", egressZone="").event
    assert "src_zone" not in neither and "dest_zone" not in neither
    one = event(egressZone="").event
    assert (one["src_zone"], one["dest_zone"]) == ("inside", "N/A")


@pytest.mark.parametrize("reason, names", [
    (1, ["IP Block"]), (64, ["Intrusion Block"]), (65, ["IP Block", "Intrusion Block"]),
    (2048, ["reason-2048"])])
def test_rule_reasons_are_named_per_bit(reason, names):
    assert event(ruleReason=reason).event["rule_reason"] == names


def test_the_fmcs_rule_reason_names_win():
    cache = metadata_cache()
    cache.put("firewallRuleReasons", "65", "IP and Intrusion Block")
    assert event(cache=cache, ruleReason=65).event["rule_reason"] == ["IP and Intrusion Block"]


def test_unidentified_applications_fall_back_to_the_ip_protocol():
    e = event(applicationId=0, clientApplicationId=0, webApplicationId=0).event
    assert e["app"] == "tcp"
    assert not {"app_proto_id", "app_proto", "client_app", "web_app"} & set(e)


def test_placeholder_application_names_are_omitted():
    cache = metadata_cache()
    cache.put("appProtocols", "3", "Unknown")
    e = event(cache=cache, applicationId=3).event
    assert (e["app_proto_id"], e["app"]) == (3, "tcp")
    assert "app_proto" not in e


def test_unnamed_application_ids_get_labels():
    e = event(applicationId=31337, clientApplicationId=4040, webApplicationId=5050).event
    assert (e["app_proto"], e["app"]) == ("application-31337", "application-31337")
    assert (e["client_app"], e["web_app"]) == ("client-4040", "web-application-5050")


def test_no_authentication_required_is_not_a_user():
    e = event(userId=9999997).event
    assert e["user_id"] == 9999997 and "user" not in e
    assert not {"user_id", "user"} & set(event(userId=0).event)


def test_tcp_flags_are_cim_names_without_ece_and_cwr():
    assert event(tcpFlag=0xFF).event["tcp_flag"] == ["FIN", "SYN", "RST", "PSH", "ACK", "URG"]
    assert "tcp_flag" not in event(tcpFlag=0xC0).event
    assert "tcp_flag" not in event(tcpFlag=0).event


def test_translated_addresses_and_ports_from_block_174():
    e = event(blockType=174, natInitiatorIp="198.51.100.7", natResponderIp="203.0.113.1",
              natInitiatorPort=61001, natResponderPort=8443).event
    assert (e["src_translated_ip"], e["src_translated_port"]) == ("198.51.100.7", 61001)
    assert (e["dest_translated_ip"], e["dest_translated_port"]) == ("203.0.113.1", 8443)


def test_an_untranslated_side_keeps_its_real_address_and_port():
    e = event(blockType=174, natInitiatorIp="198.51.100.7", natInitiatorPort=61001).event
    assert (e["dest_translated_ip"], e["dest_translated_port"]) == ("52.114.128.70", 443)


def test_no_translation_no_translated_fields():
    for e in (event().event, event(blockType=174).event):
        assert not {k for k in e if "translated" in k}


def test_web_dns_and_url_fields():
    e = event(referencedHost="www.example.com", httpReferrer="https://ref.example/",
              userAgent="curl/8.0", httpResponse=302, urlCategory=28, urlReputation=1,
              dnsQuery="www.example.com", dnsRecordType=1, dnsTtl=300).event
    assert (e["url_domain"], e["http_referrer"], e["http_user_agent"], e["http_response"]) == \
        ("www.example.com", "https://ref.example/", "curl/8.0", 302)
    assert (e["url_category"], e["url_reputation"]) == ("Malware Sites", "High risk")
    assert (e["dns_query"], e["dns_record_type"], e["dns_ttl"]) == ("www.example.com", "A", 300)


def test_unset_web_and_ssl_fields_are_omitted():
    e = event(clientUrl="").event
    assert not {"url", "url_domain", "http_referrer", "http_user_agent", "http_response",
                "url_category", "url_reputation", "dns_query", "dns_record_type", "dns_ttl",
                "ssl_version", "ssl_cipher_suite", "ssl_cert_fingerprint", "sinkhole",
                "src_country"} & set(e)


def test_ssl_fields_are_named():
    cache = metadata_cache()
    cache.put("sslVersions", "4", "TLSv1.2")
    cache.put("sslActions", "1", "Do Not Decrypt")
    e = event(cache=cache, sslVersion=4, sslActualAction=1, sslServerName="www.example.com",
              sslCertificateFingerprint="AB" * 20).event
    assert (e["ssl_version"], e["ssl_actual_action"], e["ssl_server_name"]) == \
        ("TLSv1.2", "Do Not Decrypt", "www.example.com")
    assert e["ssl_cert_fingerprint"] == "ab" * 20


def test_monitor_rules_are_named_through_the_policy():
    e = event(monitorRule1=20, monitorRule3=4242).event
    assert e["monitor_rules"] == ["monitor-guests", "rule-4242"]


# --- Security Intelligence as its own category ---------------------------------------------

SI = dict(ruleId=0, ruleAction=BLOCK, responderIpAddress="198.51.100.66",
          securityIntelligenceSourceDestination=2, securityIntelligenceLayer=1,
          securityIntelligenceList1=7, securityIntelligenceList2=8)


def test_a_security_intelligence_block_carries_its_category_list_and_layer():
    e = event(**SI).event
    assert e["si_event"] == 1
    assert (e["sec_intel_ip"], e["sec_intel_layer"]) == ("Destination", 1)
    assert (e["sec_intel_category"], e["sec_intel_list_id"]) == (["Malware", "CnC"], [7, 8])
    assert e["action"] == "blocked"


def test_si_categories_are_named_per_access_control_policy():
    other_policy = "99999999-0000-4000-8000-000000000001"
    e = event(policyRevision=other_policy, **SI).event
    assert e["sec_intel_category"] == ["si-category-7", "si-category-8"]


def test_ordinary_connections_carry_no_security_intelligence_fields():
    e = event(securityIntelligenceList1=7).event
    assert not {"si_event", "sec_intel_ip", "sec_intel_layer", "sec_intel_category",
                "sec_intel_list_id"} & set(e)


def test_the_si_split_can_be_turned_off_keeping_the_context():
    e = event(MapperOptions(si_split=False), **SI).event
    assert "si_event" not in e
    assert e["sec_intel_category"] == ["Malware", "CnC"]


def test_a_dns_sinkhole_is_named():
    assert event(sinkholeUuid=SINKHOLE).event["sinkhole"] == "corp-sinkhole"

