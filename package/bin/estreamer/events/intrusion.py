"""Intrusion events (record 400) → CIM Intrusion_Detection, as a table."""
from __future__ import annotations

from .common import Context, seconds
from .profile import FALSY, FLOAT, INT, TEXT, Profile, call, const, formula, key, label, let
from .rows import (
    app_proto,
    applications,
    connection_context,
    constants,
    head,
    ip_version,
    protocol,
    ssl_context,
    zones_and_interfaces,
)
from .tables import (
    BLOCKED_REASONS,
    ICMP_PROTOCOLS,
    IDS_SEVERITY,
    IMPACT_LABELS,
    INLINE_RESULTS,
    impact_from_flags,
)
from .values import ip, text, uuid

RECORD_TYPES = (400,)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event).
FREE_TEXT = ("http_uri",)

# Severity of a (priority, impact) pair the severity table does not hold (defensive).
_SEVERITY_FALLBACK = "informational"


def inline_result(blocked):
    """The inline result and CIM action of the blocked byte"""
    return INLINE_RESULTS.get(blocked, (f"blocked-{blocked}", "allowed"))


def rule_message(ctx: Context, gid, sid):
    """The rule message (metadata 66, keyed by generator and rule id), else gid:sid"""
    return ctx.name("ruleMessages", gid, sid) or f"{gid}:{sid}"


def classification(ctx: Context, classification_id):
    """The classification's name (metadata 67)"""
    if not classification_id:
        return None
    return ctx.label(f"classification-{classification_id}", "classifications",
                     classification_id)


def class_description(ctx: Context, classification_id):
    """The classification's description (metadata 67)"""
    if not classification_id:
        return None
    return ctx.name("classificationDescriptions", classification_id)


def impact(impact_byte, flags):
    """The impact byte, else the level of the impact flags (older blocks)"""
    return impact_byte or impact_from_flags(flags)


def severity(priority_id, impact_level):
    """Severity from priority and impact (the intrusion severity table)"""
    return IDS_SEVERITY.get((priority_id, impact_level)) or IDS_SEVERITY.get(
        (priority_id, 0), _SEVERITY_FALLBACK)


def rule_name(ctx: Context, policy, rule_id):
    """The access-control rule's name (policy, rule id)"""
    return ctx.rule_name(policy, rule_id)


def policy_name(ctx: Context, policy, device_id):
    """The access-control policy's name (device, policy)"""
    if not policy:
        return None
    return ctx.label(f"policy-{policy}", "accessControlPolicies", device_id, policy)


def event_time(second, microsecond):
    """The event's second and microsecond"""
    return seconds(second, microsecond)


PROFILE = Profile("intrusion", RECORD_TYPES, head() + (
    key("event_id", "eventId"),
    key("event_second", "eventSecond", omit=FALSY),
    key("event_microsecond", "eventMicrosecond", omit=FALSY),
    let("_src", ip("sourceIpAddress")),
    let("_dest", ip("destinationIpAddress")),
    let("_icmp", call(ICMP_PROTOCOLS.__contains__, "ipProtocolId",
                      doc="ICMP: eStreamer carries the type and code in the port fields")),
    key("src", "$_src"),
    # CIM wants numeric ports on every network IDS event: port-less protocols get 0.
    key("src_port", formula("0 if {1} else {0}", "sourcePortOrIcmpType", "$_icmp", type_=INT)),
    key("dest", "$_dest"),
    key("dest_port", formula("0 if {1} else {0}", "destinationPortOrIcmpType", "$_icmp",
                             type_=INT)),
    key("ip_version", ip_version("$_src", "$_dest")),
) + protocol("ipProtocolId") + (
    key("icmp_type", "sourcePortOrIcmpType", when="$_icmp"),
    key("icmp_code", "destinationPortOrIcmpType", when="$_icmp"),
    key("ids_type", const("network")),
    let("_inline", call(inline_result, "blocked", memo=True)),
    key("action", formula("{0}[1]", "$_inline", type_=TEXT)),
    key("blocked_id", "blocked"),
    key("inline_result", formula("{0}[0]", "$_inline", type_=TEXT)),
    key("inline_result_reason", call(BLOCKED_REASONS.get, "?blockedReasonId", type_=TEXT,
                                     doc="why it was not blocked")),
    key("inline_result_reason_id", "?blockedReasonId", omit=FALSY),
    let("_gid_sid", formula("f'{{{0}}}:{{{1}}}'", "generatorId", "ruleId", type_=TEXT)),
    key("signature", call(rule_message, "generatorId", "ruleId", context=True, type_=TEXT, memo=True)),
    key("signature_id", "ruleId"),
    key("gid", "generatorId"),
    key("rev", "ruleRevision"),
    key("gid_sid", "$_gid_sid"),
    let("_classification", call(classification, "classificationId", context=True,
                                type_=TEXT, memo=True)),
    key("category", formula("{0} or 'unclassified'", "$_classification", type_=TEXT)),
    key("classification_id", "classificationId", omit=FALSY),
    key("classification", "$_classification"),
    key("class_desc", call(class_description, "classificationId", context=True, type_=TEXT, memo=True)),
    let("_impact", call(impact, "impact", "impactFlags", type_=INT, memo=True)),
    key("severity", call(severity, "priorityId", "$_impact", type_=TEXT, memo=True)),
    key("severity_id", "priorityId"),
    key("priority_id", "priorityId"),
    key("priority", label("priority", "priorities", "priorityId")),
    key("impact", "$_impact"),
    key("impact_flags", "impactFlags", omit=FALSY),
    key("impact_desc", call(IMPACT_LABELS.get, "$_impact", type_=TEXT, doc="the impact level's name")),
    key("user_id", "userId", omit=FALSY),
    key("user", label("user", "users", "userId"), when="userId"),
    app_proto(),
    key("app", formula("({0} or {1}).lower()", "$_app_proto", "$ip_proto", type_=TEXT)),
) + applications() + (
    let("_policy", uuid("accessControlPolicyUuid")),
    let("_ruled", formula("bool({0} or {1})", "$_policy", "accessControlRuleId")),
    key("rule_id", "accessControlRuleId", when="$_ruled"),
    key("rule", call(rule_name, "$_policy", "accessControlRuleId", context=True, type_=TEXT, memo=True),
        when="$_ruled"),
    key("policy", call(policy_name, "$_policy", "deviceId", context=True, type_=TEXT, memo=True)),
    key("policy_uuid", "$_policy"),
    let("_intrusion_policy", uuid("policyUuid")),
    let("_nap", uuid("networkAnalysisPolicyUuid")),
    key("intrusion_policy", label("policy", "policies", "$_intrusion_policy")),
    key("intrusion_policy_uuid", "$_intrusion_policy"),
    key("nap_policy", label("policy", "policies", "$_nap")),
    key("nap_policy_uuid", "$_nap"),
) + zones_and_interfaces("?securityZoneIngressUuid", "?securityZoneEgressUuid",
                         "?interfaceIngressUuid", "?interfaceEgressUuid") + (
    key("src_zone_uuid", uuid("securityZoneIngressUuid")),
    key("dest_zone_uuid", uuid("securityZoneEgressUuid")),
    key("src_interface_uuid", uuid("interfaceIngressUuid")),
    key("dest_interface_uuid", uuid("interfaceEgressUuid")),
    key("vlan", "vlanId", omit=FALSY),
    key("mpls_label", "mplsLabel", omit=FALSY),
) + connection_context("deviceId", "connectionInstanceId", "connectionCounter",
                       "connectionTimestamp") + (
    key("src_country", label("country", "geolocations", "sourceCountry")),
    key("dest_country", label("country", "geolocations", "destinationCountry")),
    key("src_country_id", "sourceCountry", omit=FALSY),
    key("dest_country_id", "destinationCountry", omit=FALSY),
    key("ioc_id", "iocNumber", omit=FALSY),
) + ssl_context() + (
    key("http_response", "httpResponse", omit=FALSY),
    key("http_hostname", text("?httpHostname")),
    key("original_client_ip", ip("?originalSrcIP")),
    key("snort_version", "?snortVersion", omit=FALSY),
    key("ingress_vrf", text("?ingressVRFName")),
    key("egress_vrf", text("?egressVRFName")),
) + constants() + (
    key("http_uri", text("?httpURI")),
), time=call(event_time, "eventSecond", "eventMicrosecond", type_=FLOAT))

FIELDS = PROFILE.keys
