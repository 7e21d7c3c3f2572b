"""Intrusion events (record 400) → CIM Intrusion_Detection (design §2.2)."""
from __future__ import annotations

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, constants, ip, ip_version, ordered,
                     protocol_fields, seconds, text, uuid)
from .tables import (BLOCKED_REASONS, ICMP_PROTOCOLS, IDS_SEVERITY, IMPACT_LABELS,
                     INLINE_RESULTS, impact_from_flags)

RECORD_TYPES = (400,)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event).
FREE_TEXT = ("http_uri",)
FIELDS = HEAD_FIELDS + (
    "event_id", "event_second", "event_microsecond", "src", "src_port", "dest", "dest_port",
    "ip_version", "protocol_id", "ip_proto", "transport", "icmp_type", "icmp_code", "ids_type",
    "action", "blocked_id", "inline_result", "inline_result_reason", "inline_result_reason_id",
    "signature", "signature_id", "gid", "rev", "gid_sid", "category", "classification_id",
    "classification", "class_desc", "severity", "severity_id", "priority_id", "priority",
    "impact", "impact_flags", "impact_desc", "user_id", "user", "app", "app_proto_id",
    "app_proto", "client_app", "client_app_id", "web_app", "web_app_id", "rule_id", "rule",
    "policy", "policy_uuid", "intrusion_policy", "intrusion_policy_uuid", "nap_policy",
    "nap_policy_uuid", "src_zone", "dest_zone", "src_interface", "dest_interface",
    "src_zone_uuid", "dest_zone_uuid", "src_interface_uuid", "dest_interface_uuid", "vlan",
    "mpls_label", "connection_id", "first_packet_time", "instance_id", "connection_counter",
    "src_country", "dest_country", "src_country_id", "dest_country_id", "ioc_id",
    "ssl_actual_action", "ssl_actual_action_id", "ssl_flow_status", "ssl_flow_status_id",
    "ssl_cert_fingerprint", "http_response", "http_hostname", "original_client_ip",
    "snort_version", "ingress_vrf", "egress_vrf",
) + CONSTANT_FIELDS + FREE_TEXT

# Severity of a (priority, impact) pair the design's matrix does not hold (defensive).
_SEVERITY_FALLBACK = "informational"


def event_time(r):
    return seconds(r["eventSecond"], r["eventMicrosecond"])


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    device_id = r["deviceId"]
    e["event_id"] = r["eventId"]
    e["event_second"], e["event_microsecond"] = r["eventSecond"] or None, \
        r["eventMicrosecond"] or None
    src, dest = ip(r["sourceIpAddress"]), ip(r["destinationIpAddress"])
    e["src"], e["dest"] = src, dest
    e["ip_version"] = ip_version(src, dest)
    protocol = r["ipProtocolId"]
    protocol_fields(e, protocol)
    source_port, destination_port = r["sourcePortOrIcmpType"], r["destinationPortOrIcmpType"]
    if protocol in ICMP_PROTOCOLS:
        # CIM wants numeric ports on every network IDS event: port-less protocols get 0.
        e["icmp_type"], e["icmp_code"] = source_port, destination_port
        e["src_port"] = e["dest_port"] = 0
    else:
        e["src_port"], e["dest_port"] = source_port, destination_port
    e["ids_type"] = "network"

    blocked = r["blocked"]
    inline_result, action = INLINE_RESULTS.get(blocked, (f"blocked-{blocked}", "allowed"))
    e["action"], e["blocked_id"], e["inline_result"] = action, blocked, inline_result
    reason = r.get("blockedReasonId")
    e["inline_result_reason"] = BLOCKED_REASONS.get(reason)
    e["inline_result_reason_id"] = reason or None

    _signature(r, ctx, e)
    _severity(r, ctx, e)

    user_id = r["userId"]
    if user_id:
        e["user_id"], e["user"] = user_id, ctx.user(user_id)
    ctx.applications(r, e)
    e["app"] = (e.get("app_proto") or e["ip_proto"]).lower()
    policy = uuid(r["accessControlPolicyUuid"])
    rule_id = r["accessControlRuleId"]
    if policy or rule_id:
        e["rule_id"], e["rule"] = rule_id, ctx.rule_name(policy, rule_id)
    if policy:
        e["policy"] = ctx.label(f"policy-{policy}", "accessControlPolicies", device_id, policy)
        e["policy_uuid"] = policy
    intrusion_policy, nap = uuid(r["policyUuid"]), uuid(r["networkAnalysisPolicyUuid"])
    e["intrusion_policy"] = ctx.label_of("policy", "policies", intrusion_policy)
    e["intrusion_policy_uuid"] = intrusion_policy
    e["nap_policy"] = ctx.label_of("policy", "policies", nap)
    e["nap_policy_uuid"] = nap
    ctx.zone_and_interface_names(r, e, "securityZoneIngressUuid", "securityZoneEgressUuid",
                                 "interfaceIngressUuid", "interfaceEgressUuid")
    e["src_zone_uuid"] = uuid(r["securityZoneIngressUuid"])
    e["dest_zone_uuid"] = uuid(r["securityZoneEgressUuid"])
    e["src_interface_uuid"] = uuid(r["interfaceIngressUuid"])
    e["dest_interface_uuid"] = uuid(r["interfaceEgressUuid"])
    e["vlan"] = r["vlanId"] or None
    e["mpls_label"] = r["mplsLabel"] or None
    ctx.connection_context(e, device_id, r["connectionInstanceId"], r["connectionCounter"],
                           r["connectionTimestamp"])
    e["src_country"] = ctx.country(r["sourceCountry"])
    e["dest_country"] = ctx.country(r["destinationCountry"])
    e["src_country_id"] = r["sourceCountry"] or None
    e["dest_country_id"] = r["destinationCountry"] or None
    e["ioc_id"] = r["iocNumber"] or None
    ctx.ssl(r, e)
    e["http_response"] = r["httpResponse"] or None
    e["http_hostname"] = text(r.get("httpHostname"))
    e["http_uri"] = text(r.get("httpURI"))
    e["original_client_ip"] = ip(r.get("originalSrcIP"))
    e["snort_version"] = r.get("snortVersion") or None
    e["ingress_vrf"] = text(r.get("ingressVRFName"))
    e["egress_vrf"] = text(r.get("egressVRFName"))
    constants(e)
    return event_time(r), ordered(FIELDS, e)


def _signature(r, ctx, e):
    """Rule message (metadata 66, keyed by generator and rule id); the numeric SID is the
    record's rule id (the rendered SID of record 66 is not in the metadata cache)."""
    gid, sid = r["generatorId"], r["ruleId"]
    e["gid"], e["signature_id"], e["rev"] = gid, sid, r["ruleRevision"]
    e["gid_sid"] = f"{gid}:{sid}"
    message = ctx.cache.name("ruleMessages", gid, sid)
    e["signature"] = text(message) or e["gid_sid"]
    classification_id = r["classificationId"]
    classification = None
    if classification_id:
        e["classification_id"] = classification_id
        classification = e["classification"] = ctx.label(
            f"classification-{classification_id}", "classifications", classification_id)
        e["class_desc"] = ctx.name("classificationDescriptions", classification_id)
    e["category"] = classification or "unclassified"


def _severity(r, ctx, e):
    """Severity from priority and impact (L4). The impact byte wins; older blocks only carry
    the impact flags (T1)."""
    priority_id, flags = r["priorityId"], r["impactFlags"]
    impact = r["impact"] or impact_from_flags(flags)
    e["priority_id"] = e["severity_id"] = priority_id
    e["priority"] = ctx.label_of("priority", "priorities", priority_id)
    e["impact"], e["impact_flags"] = impact, flags or None
    e["impact_desc"] = IMPACT_LABELS.get(impact)
    e["severity"] = IDS_SEVERITY.get((priority_id, impact)) or IDS_SEVERITY.get(
        (priority_id, 0), _SEVERITY_FALLBACK)
