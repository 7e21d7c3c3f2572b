"""Correlation (policy violation) events (record 112) → CIM Alerts (design §2.5).

Host criticality stays in ``src_criticality``/``dest_criticality``: ``*_priority`` are ES asset
fields an add-on must never set.
"""
from __future__ import annotations

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, constants, hex_digest, ip, ip_from_u32,
                     ordered, text, uuid)
from .tables import (CORRELATION_EVENT_TYPES, CORRELATION_SEVERITY, CRITICALITY, HOST_TYPES,
                     IMPACT_LABELS, INLINE_RESULTS, PROTOCOLS)

RECORD_TYPES = (112,)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event).
FREE_TEXT = ("description", "url")
FIELDS = HEAD_FIELDS + (
    "id", "signature_id", "signature", "correlation_policy_id", "correlation_policy",
    "severity", "severity_id", "priority", "type", "app", "src", "src_ip", "dest",
    "dest_ip", "user", "source_user", "destination_user", "correlation_event_type",
    "src_criticality", "dest_criticality", "src_host_type", "dest_host_type", "src_os",
    "dest_os", "src_port", "dest_port", "protocol_id", "ip_proto", "impact", "impact_desc",
    "impact_flags", "blocked_id", "inline_result", "gid", "sid", "url_category",
    "url_reputation", "rule_id", "rule", "policy", "intrusion_policy", "src_zone", "dest_zone",
    "src_interface", "dest_interface", "src_vlan", "dest_vlan", "src_country", "dest_country",
    "ssl_actual_action", "ssl_flow_status", "ssl_cert_fingerprint",
) + CONSTANT_FIELDS + FREE_TEXT

TYPE = "alert"
APP = "cisco:firepower:correlation"


def event_time(r):
    return float(r["correlationEventSecond"] or r.get("archiveTimestamp") or 0)


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    device_id, second = r["deviceId"], r["correlationEventSecond"]
    e["id"] = f"{device_id}:{r['eventId']}:{second}"
    rule_id, policy_id = r["ruleId"], r["policyId"]
    e["signature_id"] = rule_id
    e["signature"] = ctx.label(f"correlation-rule-{rule_id}", "correlationRules", rule_id) \
        or f"correlation-rule-{rule_id}"
    if policy_id:
        e["correlation_policy_id"] = policy_id
        e["correlation_policy"] = ctx.label(f"correlation-policy-{policy_id}",
                                            "correlationPolicies", policy_id)
    # CIM needs a description; the rule's own description is not cached, its name is.
    e["description"] = text(r["eventDescription"]) or e["signature"]
    priority = r["priority"]
    e["priority"] = e["severity_id"] = priority
    e["severity"] = CORRELATION_SEVERITY.get(priority, "informational")
    e["type"], e["app"] = TYPE, APP

    src_ip = ip(r["sourceIpv6Address"]) or ip_from_u32(r["sourceIp"])
    dest_ip = ip(r["destinationIpv6Address"]) or ip_from_u32(r["destinationIp"])
    e["src_ip"], e["dest_ip"] = src_ip, dest_ip
    e["src"] = src_ip or e["dvc"]
    e["dest"] = dest_ip or src_ip or e["dvc"]
    source_user = ctx.user(r["sourceUserId"])
    destination_user = ctx.user(r["destinationUserId"])
    e["source_user"], e["destination_user"] = source_user, destination_user
    e["user"] = source_user or destination_user  # absent for host-only rules: a known CIM gap

    e["correlation_event_type"] = CORRELATION_EVENT_TYPES.get(r["eventType"])
    e["src_criticality"] = CRITICALITY.get(r["sourceCriticality"])
    e["dest_criticality"] = CRITICALITY.get(r["destinationCriticality"])
    if src_ip:
        e["src_host_type"] = HOST_TYPES.get(r["sourceHostType"])
    if dest_ip:
        e["dest_host_type"] = HOST_TYPES.get(r["destinationHostType"])
    e["src_os"] = _os(ctx, r["sourceOperatingSystemFingerprintUuid"])
    e["dest_os"] = _os(ctx, r["destinationOperatingSystemFingerprintUuid"])
    e["src_port"] = r["sourcePort"] or None
    e["dest_port"] = r["destinationPort"] or None
    protocol = r["ipProtocol"]
    if protocol:
        e["protocol_id"], e["ip_proto"] = protocol, PROTOCOLS[protocol][0]
    impact = r["impact"]
    e["impact"], e["impact_desc"] = impact or None, IMPACT_LABELS.get(impact)
    e["impact_flags"] = r["eventImpactFlags"] or None
    blocked = r["blocked"]
    if blocked:
        e["blocked_id"] = blocked
        e["inline_result"] = INLINE_RESULTS.get(blocked, (f"blocked-{blocked}",))[0]
    e["gid"] = r["signatureGeneratorId"] or None
    e["sid"] = r["signatureId"] or None
    e["url"] = text(r["url"])
    e["url_category"] = ctx.label_of("url-category", "urlCategories", r["urlCategory"])
    e["url_reputation"] = ctx.label_of("url-reputation", "urlReputations", r["urlReputation"])
    revision, ac_rule = uuid(r["accessControlPolicyRevision"]), r["accessControlRuleId"]
    if revision:
        e["rule_id"], e["rule"] = ac_rule, ctx.rule_name(revision, ac_rule)
        e["policy"] = ctx.label(f"policy-{revision}", "accessControlPolicies", device_id,
                                revision)
    e["intrusion_policy"] = ctx.label_of("policy", "policies", uuid(r["intrusionPolicy"]))
    ctx.zone_and_interface_names(r, e, "ingressZoneUuid", "egressZoneUuid",
                                 "ingressIntefaceUuid", "egressIntefaceUuid")
    e["src_vlan"] = r["sourceVlanId"] or None
    e["dest_vlan"] = r["destinationVlanId"] or None
    e["src_country"] = ctx.country(r["sourceCountry"])
    e["dest_country"] = ctx.country(r["destinationCountry"])
    e["ssl_actual_action"] = ctx.label_of("ssl-action", "sslActions", r["sslActualAction"])
    e["ssl_flow_status"] = ctx.label_of("ssl-flow-status", "sslFlowStatuses",
                                        r["sslFlowStatus"])
    e["ssl_cert_fingerprint"] = hex_digest(r["sslCertificateFingerprint"])
    constants(e)
    return event_time(r), ordered(FIELDS, e)


def _os(ctx, fingerprint):
    """``<name> <version>`` of an OS fingerprint (metadata 54 caches name/vendor/version)."""
    fingerprint = uuid(fingerprint)
    if not fingerprint:
        return None
    value = ctx.cache.name("osFingerprints", fingerprint)
    if value is None:
        return f"os-{fingerprint}"
    name, _, rest = value.partition("/")
    version = rest.partition("/")[2]
    return text(" ".join(part for part in (name, version) if part))
