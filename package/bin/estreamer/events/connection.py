"""Connection events (record 71) → CIM Network_Traffic (design §2.1).

Security Intelligence: a connection whose ``securityIntelligenceSourceDestination`` is set was
raised by an SI match (IP, URL or DNS list); it carries ``si_event=1`` — the key the
``cisco_firepower_security_intelligence`` event type matches — and the SI context fields.
"""
from __future__ import annotations

from ..record import picker
from .common import (CONSTANT_FIELDS, CONSTANTS, HEAD_FIELDS, connection_id, hex_digest, ip,
                     ip_version, record_name, seconds, text, uuid)
from .tables import (ICMP_PROTOCOLS, PROTOCOLS, RULE_ACTION_NONE, RULE_REASONS, TCP_FLAGS,
                     recorded_action)

RECORD_TYPES = (71,)
# Texts of unbounded length, written last: Splunk extracts only an event's first 5,000 bytes
# (limits.conf [spath] extraction_cutoff), so a long URL must not push other fields past it.
FREE_TEXT = ("url", "http_user_agent", "http_referrer")
FIELDS = HEAD_FIELDS + (
    "src", "src_ip", "src_port", "dest", "dest_ip", "dest_port", "protocol_version",
    "protocol_id", "ip_proto", "transport", "protocol", "icmp_type", "icmp_code",
    "action", "rule_action_id", "rule_action", "rule_reason", "rule_id", "rule", "policy",
    "nap_policy", "src_zone", "dest_zone", "src_interface", "dest_interface",
    "bytes", "bytes_out", "bytes_in", "packets", "packets_out", "packets_in",
    "first_packet_time", "last_packet_time", "duration", "connection_id", "session_id",
    "instance_id", "connection_counter", "app", "app_proto_id", "app_proto", "client_app",
    "client_app_version", "web_app", "user_id", "user", "vlan",
    "tcp_flag",
    "src_translated_ip", "src_translated_port", "dest_translated_ip", "dest_translated_port",
    "url_domain", "http_response", "url_category",
    "url_reputation", "dns_query", "dns_record_type", "dns_response_type", "dns_ttl",
    "si_event", "sec_intel_ip", "sec_intel_layer", "sec_intel_category", "sec_intel_list_id",
    "sinkhole", "ssl_policy",
    "ssl_actual_action", "ssl_expected_action", "ssl_flow_status", "ssl_version",
    "ssl_cipher_suite", "ssl_server_name", "ssl_cert_fingerprint", "ssl_server_cert_status",
    "src_country", "dest_country", "original_client_ip", "netflow_source", "monitor_rules",
    "ingress_vrf", "egress_vrf", "src_sgt", "dest_sgt", "eve_process", "eve_process_confidence",
    "eve_threat_confidence", "eve_threat_confidence_index", "client_app_detector_id",
    "intrusion_event_count", "file_event_count", "ioc_id",
) + CONSTANT_FIELDS + FREE_TEXT

_MONITOR_RULES = tuple(f"monitorRule{n}" for n in range(1, 9))

# The record's fields, unpacked into locals in this order (one itemgetter call per record).
_PICK = picker((
    "recordType", "eventSubtype", "eventType", "deviceId", "eventSecond", "eventMicrosecond",
    "archiveTimestamp", "initiatorIpAddress", "responderIpAddress", "protocol", "initiatorPort",
    "responderPort", "ruleAction", "ruleReason", "policyRevision", "ruleId", "ingressZone",
    "egressZone", "ingressInterface", "egressInterface", "initiatorTransmittedBytes",
    "responderTransmittedBytes", "initiatorTransmittedPackets", "responderTransmittedPackets",
    "firstPacketTimestamp", "lastPacketTimestamp", "instanceId", "connectionCounter",
    "applicationId", "clientApplicationId", "webApplicationId", "userId", "vlanId", "tcpFlag",
    "natInitiatorIp", "natResponderIp", "natInitiatorPort", "natResponderPort",
    "clientUrl", "referencedHost", "httpReferrer", "userAgent", "httpResponse", "urlCategory",
    "urlReputation", "dnsQuery", "dnsRecordType", "dnsResponseType", "dnsTtl",
    "securityIntelligenceSourceDestination", "securityIntelligenceLayer",
    "securityIntelligenceList1", "securityIntelligenceList2", "securityIntelligenceList3",
    "sinkholeUuid", "sslActualAction", "sslExpectedAction", "sslFlowStatus", "sslVersion",
    "sslCipherSuite", "sslServerName", "sslCertificateFingerprint", "sslServerCertificateStatus",
    "initiatorCountry", "responderCountry", "originalClientIpAddress", "netflowSource",
    "ingressVRFName", "egressVRFName", "sourceSecurityGroupTag", "destinationSecurityGroupTag",
    "eveProcess", "eveProcessConfidencePercentage", "eveThreatConfidencePercentage",
    "eveThreatConfidenceIndex", "intrusionEventCount", "fileEventCount", "iocNumber",
    "networkAnalysisPolicyRevision", "clientApplicationVersion", "sslPolicyId",
    "clientAppDectectorId") + _MONITOR_RULES)
_DESCRIPTION = record_name(71)
# The metadata tables a connection event names: (fallback name, cache table), in the order
# map_record unpacks them.
_TABLES = (
    ("zone", "securityZones"), ("interface", "interfaces"), ("application", "appProtocols"),
    ("client", "clientApps"), ("web-application", "payloads"), ("user", "users"),
    ("url-category", "urlCategories"), ("url-reputation", "urlReputations"),
    ("dns-record-type", "dnsRecordTypes"), ("dns-response-type", "dnsResponseTypes"),
    ("sinkhole", "sinkholes"), ("ssl-action", "sslActions"), ("ssl-action", "sslExpectedActions"),
    ("ssl-flow-status", "sslFlowStatuses"), ("ssl-version", "sslVersions"),
    ("ssl-cipher-suite", "sslCipherSuites"), ("ssl-cert-status", "sslCertificateStatuses"),
    ("country", "geolocations"), ("policy", "policies"), ("ssl-policy", "sslPolicies"))


def map_record(r, ctx):
    """The event of one connection record. Keys are written in ``FIELDS`` order, None values
    left out as they go: this runs for every connection an FMC logs, so it is one straight
    function over locals rather than helpers over the record."""
    (record_type, event_subtype, event_type, device_id, event_second, event_microsecond,
     archive_timestamp, initiator_ip, responder_ip, protocol, initiator_port, responder_port,
     action_id, reason, policy_revision, rule_id, ingress_zone, egress_zone, ingress_interface,
     egress_interface, bytes_out, bytes_in, packets_out, packets_in, first, last, instance,
     counter, app_id, client_app_id, web_app_id, user_id, vlan, flags, nat_initiator_ip,
     nat_responder_ip, nat_initiator_port, nat_responder_port, client_url, referenced_host,
     referrer, user_agent, http_response, url_category, url_reputation, dns_query,
     dns_record_type, dns_response_type, dns_ttl, si_source_destination, si_layer, si_list1,
     si_list2, si_list3, sinkhole, ssl_actual_action, ssl_expected_action, ssl_flow_status,
     ssl_version, ssl_cipher_suite, ssl_server_name, ssl_fingerprint, ssl_cert_status,
     initiator_country, responder_country, original_client_ip, netflow_source, ingress_vrf,
     egress_vrf, src_sgt, dest_sgt, eve_process, eve_process_confidence, eve_threat_confidence,
     eve_threat_index, intrusion_count, file_count, ioc, nap_revision, client_app_version,
     ssl_policy, client_app_detector, *monitor_rules) = _PICK(r)
    (zones, interfaces, applications, clients, web_apps, users, url_categories, url_reputations,
     dns_record_types, dns_response_types, sinkholes, ssl_actions, ssl_expected_actions,
     ssl_flow_statuses, ssl_versions, ssl_cipher_suites, ssl_cert_statuses,
     countries, policies, ssl_policies) = ctx.tables(_TABLES)
    e = {"rec_type": record_type, "rec_type_desc": _DESCRIPTION}
    if event_subtype is not None:  # the discovery header
        e["event_type"] = event_type
        e["event_subtype"] = event_subtype
    if device_id is not None:
        e["device_id"] = device_id
        if (value := ctx.devices[device_id]) is not None:
            e["dvc"] = value

    src, dest = ip(initiator_ip), ip(responder_ip)
    icmp = protocol in ICMP_PROTOCOLS  # eStreamer carries ICMP type/code in the port fields
    if src is not None:
        e["src"] = e["src_ip"] = src
    if not icmp:
        e["src_port"] = initiator_port
    if dest is not None:
        e["dest"] = e["dest_ip"] = dest
    if not icmp:
        e["dest_port"] = responder_port
    version = ip_version(src, dest)
    if version is not None:
        e["protocol_version"] = version
    ip_proto, transport, _ = PROTOCOLS[protocol & 0xFF]
    e["protocol_id"] = protocol
    if ip_proto is not None:
        e["ip_proto"] = ip_proto
    if transport is not None:
        e["transport"] = transport
    if icmp:
        e["protocol"] = "icmp"
        e["icmp_type"], e["icmp_code"] = initiator_port, responder_port
    else:
        e["protocol"] = "ip"

    # Rule action: id → record 120 name → site/L2 → CIM action, else what the FMC recorded
    # (tables.recorded_action); then reasons, rule and policy.
    rule_action = ctx.rule_action_name(action_id) if action_id else RULE_ACTION_NONE
    reasons = _reasons(ctx, reason) if reason else None
    e["action"] = ctx.cim_action(rule_action) or recorded_action(reasons, packets_in)
    if action_id:
        e["rule_action_id"] = action_id
    if rule_action is not None:
        e["rule_action"] = rule_action
    if reasons:
        e["rule_reason"] = reasons
    revision = uuid(policy_revision)
    if revision or rule_id:
        e["rule_id"] = rule_id
        rule = ctx.rule_name(revision, rule_id)
        if rule is not None:
            e["rule"] = rule
    if revision:
        policy = ctx.label(f"policy-{revision}", "accessControlPolicies", device_id, revision)
        if policy is not None:
            e["policy"] = policy
    if (value := policies[uuid(nap_revision)]) is not None:
        e["nap_policy"] = value

    # Zones form a CIM cluster: both or neither; a zero side of a zoned flow is "N/A".
    if uuid(ingress_zone) or uuid(egress_zone):
        e["src_zone"] = zones[ingress_zone] or "N/A"
        e["dest_zone"] = zones[egress_zone] or "N/A"
    if (value := interfaces[ingress_interface]) is not None:
        e["src_interface"] = value
    if (value := interfaces[egress_interface]) is not None:
        e["dest_interface"] = value

    # Client perspective (FMC: initiator bytes are "sent"); true zeros are kept (CIM cluster).
    e["bytes"] = bytes_out + bytes_in
    e["bytes_out"], e["bytes_in"] = bytes_out, bytes_in
    e["packets"] = packets_out + packets_in
    e["packets_out"], e["packets_in"] = packets_out, packets_in
    if first:
        e["first_packet_time"] = first
    if last:
        e["last_packet_time"] = last
    if first and last:
        e["duration"] = last - first
    if first:
        e["connection_id"] = e["session_id"] = connection_id(device_id, instance, counter, first)
        e["instance_id"], e["connection_counter"] = instance, counter

    app_proto = applications[app_id] if app_id else None
    e["app"] = (app_proto or ip_proto).lower()
    if app_id:
        e["app_proto_id"] = app_id
        if app_proto is not None:
            e["app_proto"] = app_proto
    if (value := clients[client_app_id]) is not None:
        e["client_app"] = value
    if (value := text(client_app_version)) is not None:
        e["client_app_version"] = value
    if (value := web_apps[web_app_id]) is not None:
        e["web_app"] = value
    if user_id:
        e["user_id"] = user_id
        if (value := users[user_id]) is not None:
            e["user"] = value
    if vlan:
        e["vlan"] = vlan
    if flags:
        names = _tcp_flags(flags)
        if names:
            e["tcp_flag"] = names

    # Translated addresses (block 174+). Both or neither (CIM cluster): an untranslated side
    # keeps its real address and port.
    nat_src, nat_dest = ip(nat_initiator_ip), ip(nat_responder_ip)
    if nat_src or nat_dest:
        if (value := nat_src or src) is not None:
            e["src_translated_ip"] = value
        if not icmp:
            e["src_translated_port"] = nat_initiator_port or initiator_port
        if (value := nat_dest or dest) is not None:
            e["dest_translated_ip"] = value
        if not icmp:
            e["dest_translated_port"] = nat_responder_port or responder_port

    if (value := text(referenced_host)) is not None:
        e["url_domain"] = value
    if http_response:
        e["http_response"] = http_response
    if (value := url_categories[url_category]) is not None:
        e["url_category"] = value
    if (value := url_reputations[url_reputation]) is not None:
        e["url_reputation"] = value
    if (value := text(dns_query)) is not None:
        e["dns_query"] = value
    if (value := dns_record_types[dns_record_type]) is not None:
        e["dns_record_type"] = value
    if (value := dns_response_types[dns_response_type]) is not None:
        e["dns_response_type"] = value
    if dns_ttl:
        e["dns_ttl"] = dns_ttl

    if si_source_destination:
        _security_intelligence(ctx, e, si_source_destination, si_layer, policy_revision,
                               (si_list1, si_list2, si_list3))
    if (value := sinkholes[uuid(sinkhole)]) is not None:
        e["sinkhole"] = value
    if (value := ssl_policies[uuid(ssl_policy)]) is not None:
        e["ssl_policy"] = value

    if (value := ssl_actions[ssl_actual_action]) is not None:
        e["ssl_actual_action"] = value
    if (value := ssl_expected_actions[ssl_expected_action]) is not None:
        e["ssl_expected_action"] = value
    if (value := ssl_flow_statuses[ssl_flow_status]) is not None:
        e["ssl_flow_status"] = value
    if (value := ssl_versions[ssl_version]) is not None:
        e["ssl_version"] = value
    if (value := ssl_cipher_suites[ssl_cipher_suite]) is not None:
        e["ssl_cipher_suite"] = value
    if (value := text(ssl_server_name)) is not None:
        e["ssl_server_name"] = value
    if (value := hex_digest(ssl_fingerprint)) is not None:
        e["ssl_cert_fingerprint"] = value
    if (value := ssl_cert_statuses[ssl_cert_status]) is not None:
        e["ssl_server_cert_status"] = value

    if (value := countries[initiator_country]) is not None:
        e["src_country"] = value
    if (value := countries[responder_country]) is not None:
        e["dest_country"] = value
    if (value := ip(original_client_ip)) is not None:
        e["original_client_ip"] = value
    if (value := uuid(netflow_source)) is not None:
        e["netflow_source"] = value
    if any(monitor_rules):
        names = [ctx.rule_name(revision, rule) for rule in monitor_rules if rule]
        names = [name for name in names if name]
        if names:
            e["monitor_rules"] = names
    if (value := text(ingress_vrf)) is not None:
        e["ingress_vrf"] = value
    if (value := text(egress_vrf)) is not None:
        e["egress_vrf"] = value
    if src_sgt:
        e["src_sgt"] = src_sgt
    if dest_sgt:
        e["dest_sgt"] = dest_sgt
    if (value := text(eve_process)) is not None:
        e["eve_process"] = value
    if eve_process_confidence:
        e["eve_process_confidence"] = eve_process_confidence
    if eve_threat_confidence:
        e["eve_threat_confidence"] = eve_threat_confidence
    if eve_threat_index:
        e["eve_threat_confidence_index"] = eve_threat_index
    if client_app_detector:
        e["client_app_detector_id"] = client_app_detector
    if intrusion_count:
        e["intrusion_event_count"] = intrusion_count
    if file_count:
        e["file_event_count"] = file_count
    if ioc:
        e["ioc_id"] = ioc
    e.update(CONSTANTS)
    if (value := text(client_url)) is not None:
        e["url"] = value
    if (value := text(user_agent)) is not None:
        e["http_user_agent"] = value
    if (value := text(referrer)) is not None:
        e["http_referrer"] = value

    # The discovery header's event time; the FMC leaves it 0 in connection records (the real
    # capture), so the first-packet time, then the archive timestamp, stand in.
    if event_second:
        return seconds(event_second, event_microsecond), e
    return float(first or archive_timestamp or 0), e


def _reasons(ctx, reason):
    """Rule reasons are bits: a name for the exact value when the FMC gave one, else per bit."""
    def resolve():
        whole = ctx.cache.name("firewallRuleReasons", reason) or RULE_REASONS.get(reason)
        if whole:
            return (whole,)
        names, bit = [], 1
        while bit <= reason:
            if reason & bit:
                names.append(ctx.cache.name("firewallRuleReasons", bit) or RULE_REASONS.get(bit)
                             or f"reason-{bit}")
            bit <<= 1
        return tuple(names)
    return list(ctx.remembered(("rule-reasons", reason), resolve))  # each event owns its list


_TCP_FLAG_NAMES = {}


def _tcp_flags(flags: int) -> list:
    names = _TCP_FLAG_NAMES.get(flags)
    if names is None:
        names = _TCP_FLAG_NAMES[flags] = [name for bit, name in TCP_FLAGS if flags & bit]
    return list(names)  # each event owns its list


def _security_intelligence(ctx, e, source_destination, layer, revision, lists):
    """A connection raised by a Security Intelligence match (IP, URL or DNS list)."""
    if ctx.options.si_split:
        e["si_event"] = 1
    sources = ctx.labels("si-source-destination", "securityIntelligenceSourceDestination")
    if (value := sources[source_destination]) is not None:
        e["sec_intel_ip"] = value
    if (value := layer) is not None:
        e["sec_intel_layer"] = value
    lists = [list_id for list_id in lists if list_id]
    if lists:
        # Category names are per access-control policy (metadata 280 is keyed by list and policy).
        names = (ctx.label(f"si-category-{list_id}", "securityIntelligenceCategories", list_id,
                           revision) for list_id in lists)
        names = [name for name in names if name]
        if names:
            e["sec_intel_category"] = names
        e["sec_intel_list_id"] = lists
