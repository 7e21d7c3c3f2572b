"""Correlation (policy violation) events (record 112) → CIM Alerts, as a table.

Host criticality stays in ``src_criticality``/``dest_criticality``: ``*_priority`` are ES asset
fields an add-on must never set.
"""
from __future__ import annotations

from .common import Context, ip_from_u32
from .common import text as text_value
from .common import uuid as uuid_value
from .profile import FALSY, FLOAT, TEXT, Profile, call, const, formula, key, label, let, lookup
from .rows import constants, head, zones_and_interfaces
from .tables import (
    CORRELATION_EVENT_TYPES,
    CORRELATION_SEVERITY,
    CRITICALITY,
    HOST_TYPES,
    IMPACT_LABELS,
    INLINE_RESULTS,
    PROTOCOLS,
)
from .values import hex_digest, ip, text, uuid

RECORD_TYPES = (112,)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event).
FREE_TEXT = ("description", "url")

TYPE = "alert"
APP = "cisco:firepower:correlation"


def rule_name(ctx: Context, rule_id):
    """The correlation rule's name (metadata 70)"""
    return ctx.label(f"correlation-rule-{rule_id}", "correlationRules", rule_id) \
        or f"correlation-rule-{rule_id}"


def policy_name(ctx: Context, policy_id):
    """The correlation policy's name (metadata 69)"""
    if not policy_id:
        return None
    return ctx.label(f"correlation-policy-{policy_id}", "correlationPolicies", policy_id)


def os_name(ctx: Context, fingerprint):
    """``<name> <version>`` of an OS fingerprint (metadata 54 caches name/vendor/version)"""
    fingerprint = uuid_value(fingerprint)
    if not fingerprint:
        return None
    value = ctx.cache.name("osFingerprints", fingerprint)
    if value is None:
        return f"os-{fingerprint}"
    name, _, rest = value.partition("/")
    version = rest.partition("/")[2]
    return text_value(" ".join(part for part in (name, version) if part))


def ac_rule_name(ctx: Context, revision, rule_id):
    """The access-control rule's name (policy revision, rule id)"""
    return ctx.rule_name(revision, rule_id) if revision else None


def ac_policy_name(ctx: Context, revision, device_id):
    """The access-control policy's name (device, policy revision)"""
    if not revision:
        return None
    return ctx.label(f"policy-{revision}", "accessControlPolicies", device_id, revision)


def inline_result(blocked):
    """The inline result of the blocked byte"""
    return INLINE_RESULTS.get(blocked, (f"blocked-{blocked}",))[0] if blocked else None


def event_time(second, archive_timestamp):
    """The correlation event's second, else the archive timestamp"""
    return float(second or archive_timestamp or 0)


PROFILE = Profile("correlation", RECORD_TYPES, head() + (
    key("id", formula("f'{{{0}}}:{{{1}}}:{{{2}}}'", "deviceId", "eventId",
                      "correlationEventSecond", type_=TEXT, doc="device:event id:second")),
    key("signature_id", "ruleId"),
    let("_signature", call(rule_name, "ruleId", context=True, type_=TEXT, memo=True)),
    key("signature", "$_signature"),
    key("correlation_policy_id", "policyId", omit=FALSY),
    key("correlation_policy", call(policy_name, "policyId", context=True, type_=TEXT, memo=True)),
    key("severity", lookup(CORRELATION_SEVERITY, "priority", default="informational",
                           type_=TEXT, doc="the priority's severity")),
    key("severity_id", "priority"),
    key("priority", "priority"),
    key("type", const(TYPE)),
    key("app", const(APP)),
    let("_src_ip", formula("{0} or {1}", ip("sourceIpv6Address"),
                           call(ip_from_u32, "sourceIp"), type_=TEXT)),
    let("_dest_ip", formula("{0} or {1}", ip("destinationIpv6Address"),
                            call(ip_from_u32, "destinationIp"), type_=TEXT)),
    key("src", formula("{0} or {1}", "$_src_ip", "$dvc", type_=TEXT)),
    key("src_ip", "$_src_ip"),
    key("dest", formula("{0} or {1} or {2}", "$_dest_ip", "$_src_ip", "$dvc", type_=TEXT)),
    key("dest_ip", "$_dest_ip"),
    let("_source_user", label("user", "users", "sourceUserId")),
    let("_destination_user", label("user", "users", "destinationUserId")),
    # absent for host-only rules: a known CIM gap
    key("user", formula("{0} or {1}", "$_source_user", "$_destination_user", type_=TEXT)),
    key("source_user", "$_source_user"),
    key("destination_user", "$_destination_user"),
    key("correlation_event_type", lookup(CORRELATION_EVENT_TYPES, "eventType", type_=TEXT,
                                         doc="the correlation event type's name")),
    key("src_criticality", lookup(CRITICALITY, "sourceCriticality", type_=TEXT,
                                  doc="Low, Medium or High")),
    key("dest_criticality", lookup(CRITICALITY, "destinationCriticality", type_=TEXT,
                                   doc="Low, Medium or High")),
    key("src_host_type", lookup(HOST_TYPES, "sourceHostType", type_=TEXT,
                                doc="Host, Router or Bridge"), when="$_src_ip"),
    key("dest_host_type", lookup(HOST_TYPES, "destinationHostType", type_=TEXT,
                                 doc="Host, Router or Bridge"), when="$_dest_ip"),
    key("src_os", call(os_name, "sourceOperatingSystemFingerprintUuid", context=True,
                       type_=TEXT, memo=True)),
    key("dest_os", call(os_name, "destinationOperatingSystemFingerprintUuid", context=True,
                        type_=TEXT, memo=True)),
    key("src_port", "sourcePort", omit=FALSY),
    key("dest_port", "destinationPort", omit=FALSY),
    key("protocol_id", "ipProtocol", omit=FALSY),
    key("ip_proto", formula("{1}[{0}][0] if {0} else None", "ipProtocol", const(PROTOCOLS),
                            type_=TEXT, doc="the protocol's IANA keyword")),
    key("impact", "impact", omit=FALSY),
    key("impact_desc", lookup(IMPACT_LABELS, "impact", type_=TEXT, doc="the impact level's name")),
    key("impact_flags", "eventImpactFlags", omit=FALSY),
    key("blocked_id", "blocked", omit=FALSY),
    key("inline_result", call(inline_result, "blocked", type_=TEXT, memo=True)),
    key("gid", "signatureGeneratorId", omit=FALSY),
    key("sid", "signatureId", omit=FALSY),
    key("url_category", label("url-category", "urlCategories", "urlCategory")),
    key("url_reputation", label("url-reputation", "urlReputations", "urlReputation")),
    let("_revision", uuid("accessControlPolicyRevision")),
    key("rule_id", "accessControlRuleId", when="$_revision"),
    key("rule", call(ac_rule_name, "$_revision", "accessControlRuleId", context=True,
                     type_=TEXT, memo=True)),
    key("policy", call(ac_policy_name, "$_revision", "deviceId", context=True, type_=TEXT, memo=True)),
    key("intrusion_policy", label("policy", "policies", uuid("intrusionPolicy"))),
) + zones_and_interfaces("?ingressZoneUuid", "?egressZoneUuid", "?ingressIntefaceUuid",
                         "?egressIntefaceUuid") + (
    key("src_vlan", "sourceVlanId", omit=FALSY),
    key("dest_vlan", "destinationVlanId", omit=FALSY),
    key("src_country", label("country", "geolocations", "sourceCountry")),
    key("dest_country", label("country", "geolocations", "destinationCountry")),
    key("ssl_actual_action", label("ssl-action", "sslActions", "sslActualAction")),
    key("ssl_flow_status", label("ssl-flow-status", "sslFlowStatuses", "sslFlowStatus")),
    key("ssl_cert_fingerprint", hex_digest("sslCertificateFingerprint")),
) + constants() + (
    # CIM needs a description; the rule's own description is not cached, its name is.
    key("description", formula("{0} or {1}", text("eventDescription"), "$_signature",
                               type_=TEXT)),
    key("url", text("url")),
), time=call(event_time, "correlationEventSecond", "?archiveTimestamp", type_=FLOAT))

FIELDS = PROFILE.keys
