"""Connection events (record 71) → CIM Network_Traffic (design §2.1).

Security Intelligence: a connection whose ``securityIntelligenceSourceDestination`` is set was
raised by an SI match (IP, URL or DNS list); it carries ``si_event=1`` — the key the
``cisco_firepower_security_intelligence`` event type matches — and the SI context fields.
"""
from __future__ import annotations

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, connection_id, constants, hex_digest, ip,
                     ip_version, ordered, protocol_fields, seconds, text, uuid)
from .tables import ICMP_PROTOCOLS, RULE_ACTION_NONE, RULE_REASONS, TCP_FLAGS

RECORD_TYPES = (71,)
FIELDS = HEAD_FIELDS + (
    "src", "src_ip", "src_port", "dest", "dest_ip", "dest_port", "protocol_version",
    "protocol_id", "ip_proto", "transport", "protocol", "icmp_type", "icmp_code",
    "action", "rule_action_id", "rule_action", "rule_reason", "rule_id", "rule", "policy",
    "src_zone", "dest_zone", "src_interface", "dest_interface",
    "bytes", "bytes_out", "bytes_in", "packets", "packets_out", "packets_in",
    "first_packet_time", "last_packet_time", "duration", "connection_id", "session_id",
    "app", "app_proto_id", "app_proto", "client_app", "web_app", "user_id", "user", "vlan",
    "tcp_flag",
    "src_translated_ip", "src_translated_port", "dest_translated_ip", "dest_translated_port",
    "url", "url_domain", "http_referrer", "http_user_agent", "http_response", "url_category",
    "url_reputation", "dns_query", "dns_record_type", "dns_response_type", "dns_ttl",
    "si_event", "sec_intel_ip", "sec_intel_layer", "sec_intel_category", "sec_intel_list_id",
    "sinkhole",
    "ssl_actual_action", "ssl_expected_action", "ssl_flow_status", "ssl_version",
    "ssl_cipher_suite", "ssl_server_name", "ssl_cert_fingerprint", "ssl_server_cert_status",
    "src_country", "dest_country", "original_client_ip", "netflow_source", "monitor_rules",
    "ingress_vrf", "egress_vrf", "src_sgt", "dest_sgt", "eve_process", "eve_process_confidence",
    "eve_threat_confidence", "eve_threat_confidence_index",
    "intrusion_event_count", "file_event_count", "ioc_id",
) + CONSTANT_FIELDS

_SI_LISTS = ("securityIntelligenceList1", "securityIntelligenceList2", "securityIntelligenceList3")
_MONITOR_RULES = tuple(f"monitorRule{n}" for n in range(1, 9))


def event_time(r):
    """The discovery header's event time; the FMC leaves it 0 in connection records (the real
    capture), so the first-packet time, then the archive timestamp, stand in."""
    if r["eventSecond"]:
        return seconds(r["eventSecond"], r["eventMicrosecond"])
    return float(r["firstPacketTimestamp"] or r.get("archiveTimestamp") or 0)


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    device_id = r["deviceId"]
    src, dest = ip(r["initiatorIpAddress"]), ip(r["responderIpAddress"])
    e["src"] = e["src_ip"] = src
    e["dest"] = e["dest_ip"] = dest
    e["protocol_version"] = ip_version(src, dest)
    protocol = r["protocol"]
    protocol_fields(e, protocol)
    e["protocol"] = "icmp" if protocol in ICMP_PROTOCOLS else "ip"
    if protocol in ICMP_PROTOCOLS:  # eStreamer carries ICMP type/code in the port fields
        e["icmp_type"], e["icmp_code"] = r["initiatorPort"], r["responderPort"]
    else:
        e["src_port"], e["dest_port"] = r["initiatorPort"], r["responderPort"]

    _rule(r, ctx, e)
    _zones(r, ctx, e)

    # Client perspective (FMC: initiator bytes are "sent"); true zeros are kept (CIM cluster).
    e["bytes_out"], e["bytes_in"] = r["initiatorTransmittedBytes"], r["responderTransmittedBytes"]
    e["bytes"] = e["bytes_out"] + e["bytes_in"]
    e["packets_out"] = r["initiatorTransmittedPackets"]
    e["packets_in"] = r["responderTransmittedPackets"]
    e["packets"] = e["packets_out"] + e["packets_in"]
    first, last = r["firstPacketTimestamp"], r["lastPacketTimestamp"]
    e["first_packet_time"], e["last_packet_time"] = first or None, last or None
    if first and last:
        e["duration"] = last - first
    e["connection_id"] = e["session_id"] = connection_id(
        device_id, r["instanceId"], r["connectionCounter"], first)

    ctx.applications(r, e)
    e["app"] = (e.get("app_proto") or e["ip_proto"]).lower()
    user_id = r["userId"]
    if user_id:
        e["user_id"], e["user"] = user_id, ctx.user(user_id)
    e["vlan"] = r["vlanId"] or None
    flags = r["tcpFlag"]
    if flags:
        e["tcp_flag"] = [name for bit, name in TCP_FLAGS if flags & bit] or None
    _nat(r, e, src, dest)
    _web_and_dns(r, ctx, e)
    _security_intelligence(r, ctx, e)
    _ssl(r, ctx, e)
    e["src_country"] = ctx.country(r["initiatorCountry"])
    e["dest_country"] = ctx.country(r["responderCountry"])
    e["original_client_ip"] = ip(r.get("originalClientIpAddress"))
    e["netflow_source"] = uuid(r["netflowSource"])
    _monitor_rules(r, ctx, e)
    e["ingress_vrf"] = text(r.get("ingressVRFName"))
    e["egress_vrf"] = text(r.get("egressVRFName"))
    e["src_sgt"] = r.get("sourceSecurityGroupTag") or None
    e["dest_sgt"] = r.get("destinationSecurityGroupTag") or None
    e["eve_process"] = text(r.get("eveProcess"))
    e["eve_process_confidence"] = r.get("eveProcessConfidencePercentage") or None
    e["eve_threat_confidence"] = r.get("eveThreatConfidencePercentage") or None
    e["eve_threat_confidence_index"] = r.get("eveThreatConfidenceIndex") or None
    e["intrusion_event_count"] = r["intrusionEventCount"] or None
    e["file_event_count"] = r["fileEventCount"] or None
    e["ioc_id"] = r["iocNumber"] or None
    constants(e)
    return event_time(r), ordered(FIELDS, e)


def _rule(r, ctx, e):
    """Rule action (id → record 120 name → L2 → CIM action), reasons, rule and policy."""
    action_id = r["ruleAction"]
    if action_id:
        e["rule_action_id"] = action_id
        e["rule_action"] = ctx.rule_action_name(action_id)
    else:
        e["rule_action"] = RULE_ACTION_NONE
    e["action"] = ctx.cim_action(e["rule_action"])
    reason = r["ruleReason"]
    if reason:
        e["rule_reason"] = _reasons(ctx, reason)
    revision, rule_id = uuid(r["policyRevision"]), r["ruleId"]
    if revision or rule_id:
        e["rule_id"] = rule_id
        e["rule"] = ctx.rule_name(revision, rule_id)
    if revision:
        e["policy"] = ctx.label(f"policy-{revision}", "accessControlPolicies", r["deviceId"],
                                revision)


def _reasons(ctx, reason):
    """Rule reasons are bits: a name for the exact value when the FMC gave one, else per bit."""
    whole = ctx.cache.name("firewallRuleReasons", reason) or RULE_REASONS.get(reason)
    if whole:
        return [whole]
    names, bit = [], 1
    while bit <= reason:
        if reason & bit:
            names.append(ctx.cache.name("firewallRuleReasons", bit) or RULE_REASONS.get(bit)
                         or f"reason-{bit}")
        bit <<= 1
    return names


def _zones(r, ctx, e):
    """Zones form a CIM cluster: both or neither; a zero side of a zoned flow is ``N/A``."""
    ingress, egress = uuid(r["ingressZone"]), uuid(r["egressZone"])
    if ingress or egress:
        e["src_zone"] = ctx.label_of("zone", "securityZones", ingress) or "N/A"
        e["dest_zone"] = ctx.label_of("zone", "securityZones", egress) or "N/A"
    e["src_interface"] = ctx.label_of("interface", "interfaces", uuid(r["ingressInterface"]))
    e["dest_interface"] = ctx.label_of("interface", "interfaces", uuid(r["egressInterface"]))


def _nat(r, e, src, dest):
    """Translated addresses (block 174+). Both or neither (CIM cluster): an untranslated side
    keeps its real address and port."""
    nat_src, nat_dest = ip(r.get("natInitiatorIp")), ip(r.get("natResponderIp"))
    if not (nat_src or nat_dest):
        return
    e["src_translated_ip"] = nat_src or src
    e["dest_translated_ip"] = nat_dest or dest
    if "src_port" in e:
        e["src_translated_port"] = r.get("natInitiatorPort") or e["src_port"]
        e["dest_translated_port"] = r.get("natResponderPort") or e["dest_port"]


def _web_and_dns(r, ctx, e):
    e["url"] = text(r["clientUrl"])
    e["url_domain"] = text(r["referencedHost"])
    e["http_referrer"] = text(r["httpReferrer"])
    e["http_user_agent"] = text(r["userAgent"])
    e["http_response"] = r["httpResponse"] or None
    e["url_category"] = ctx.label_of("url-category", "urlCategories", r["urlCategory"])
    e["url_reputation"] = ctx.label_of("url-reputation", "urlReputations", r["urlReputation"])
    e["dns_query"] = text(r["dnsQuery"])
    e["dns_record_type"] = ctx.label_of("dns-record-type", "dnsRecordTypes", r["dnsRecordType"])
    e["dns_response_type"] = ctx.label_of("dns-response-type", "dnsResponseTypes",
                                          r["dnsResponseType"])
    e["dns_ttl"] = r["dnsTtl"] or None


def _security_intelligence(r, ctx, e):
    e["sinkhole"] = ctx.label_of("sinkhole", "sinkholes", uuid(r["sinkholeUuid"]))
    source_destination = r["securityIntelligenceSourceDestination"]
    if not source_destination:
        return
    if ctx.options.si_split:
        e["si_event"] = 1
    e["sec_intel_ip"] = ctx.label_of("si-source-destination",
                                     "securityIntelligenceSourceDestination", source_destination)
    e["sec_intel_layer"] = r["securityIntelligenceLayer"]
    revision = r["policyRevision"]
    lists = [r[name] for name in _SI_LISTS if r.get(name)]
    if lists:
        e["sec_intel_list_id"] = lists
        # Category names are per access-control policy (metadata 280 is keyed by list and policy).
        names = (ctx.label(f"si-category-{list_id}", "securityIntelligenceCategories", list_id,
                           revision) for list_id in lists)
        e["sec_intel_category"] = [name for name in names if name] or None


def _ssl(r, ctx, e):
    ctx.ssl(r, e)
    e["ssl_expected_action"] = ctx.label_of("ssl-action", "sslExpectedActions",
                                            r["sslExpectedAction"])
    e["ssl_version"] = ctx.label_of("ssl-version", "sslVersions", r["sslVersion"])
    e["ssl_cipher_suite"] = ctx.label_of("ssl-cipher-suite", "sslCipherSuites",
                                         r["sslCipherSuite"])
    e["ssl_server_name"] = text(r["sslServerName"])
    e["ssl_server_cert_status"] = ctx.label_of("ssl-cert-status", "sslCertificateStatuses",
                                               r["sslServerCertificateStatus"])
    e["ssl_cert_fingerprint"] = hex_digest(r["sslCertificateFingerprint"])


def _monitor_rules(r, ctx, e):
    revision = uuid(r["policyRevision"])
    names = [ctx.rule_name(revision, r[name]) for name in _MONITOR_RULES if r[name]]
    e["monitor_rules"] = [name for name in names if name] or None
