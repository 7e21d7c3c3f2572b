"""Connection events (record 71) → CIM Network_Traffic, as a table.

Security Intelligence: a connection whose ``securityIntelligenceSourceDestination`` is set was
raised by an SI match (IP, URL or DNS list); it carries ``si_event=1`` — the key the
``cisco_firepower_security_intelligence`` event type matches — and the SI context fields.

Every field is read as the block versions have it (``?``): a field an older block lacks is
simply absent from the event.
"""
from __future__ import annotations

from .common import Context
from .profile import (
    FALSY,
    FLOAT,
    INT,
    INTS,
    NEVER,
    TEXT,
    TEXTS,
    Profile,
    call,
    formula,
    key,
    label,
    let,
    lookup,
    option,
)
from .rows import connection_key, constants, head, ip_version
from .tables import ICMP_PROTOCOLS, PROTOCOLS, RULE_ACTION_NONE, RULE_REASONS, TCP_FLAGS, recorded_action
from .values import hex_digest, ip, text, uuid

RECORD_TYPES = (71,)
# Texts of unbounded length, written last: Splunk extracts only an event's first 5,000 bytes
# (limits.conf [spath] extraction_cutoff), so a long URL must not push other fields past it.
FREE_TEXT = ("url", "http_user_agent", "http_referrer")
_MONITOR_RULES = tuple(f"?monitorRule{n}" for n in range(1, 9))


def rule_action(ctx: Context, action_id):
    """The rule action's name (metadata 120, the site's names), ``N/A`` for none"""
    return ctx.rule_action_name(action_id) if action_id else RULE_ACTION_NONE


def rule_reasons(ctx: Context, reason):
    """Rule reasons are bits: a name for the exact value when the FMC gave one, else per bit"""
    if not reason:
        return None

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


def configured_action(ctx: Context, rule_action_name):
    """The CIM action of the rule action: the site's, else the rule action table's"""
    return ctx.cim_action(rule_action_name)


def cim_action(configured, reasons, responder_packets):
    """The CIM action: the rule action's (site, rule action table), else what the FMC recorded"""
    return configured or recorded_action(reasons, responder_packets)


def rule_name(ctx: Context, revision, rule_id):
    """The access-control rule's name (policy revision, rule id)"""
    return ctx.rule_name(revision, rule_id)


def policy_name(ctx: Context, revision, device_id):
    """The access-control policy's name (device, policy revision)"""
    if not revision:
        return None
    return ctx.label(f"policy-{revision}", "accessControlPolicies", device_id, revision)


_TCP_FLAG_NAMES = {}


def tcp_flags(flags):
    """The TCP flag names set in the flag bits"""
    if not flags:
        return None
    names = _TCP_FLAG_NAMES.get(flags)
    if names is None:
        names = _TCP_FLAG_NAMES[flags] = [name for bit, name in TCP_FLAGS if flags & bit]
    return list(names)  # each event owns its list


def si_marker(options):
    """1 when the site splits Security Intelligence events off (si_split)"""
    return 1 if options.si_split else None


def si_lists(*lists):
    """The Security Intelligence list ids that are set"""
    return [list_id for list_id in lists if list_id] or None


def si_categories(ctx: Context, lists, revision):
    """The SI list names (metadata 280, per list and access-control policy)"""
    if not lists:
        return None
    names = (ctx.label(f"si-category-{list_id}", "securityIntelligenceCategories", list_id,
                       revision) for list_id in lists)
    return [name for name in names if name] or None


def monitor_rules(ctx: Context, revision, *rules):
    """The names of the monitor rules that matched"""
    if not any(rules):
        return None
    names = [ctx.rule_name(revision, rule) for rule in rules if rule]
    return [name for name in names if name] or None


# The discovery header's event time (:func:`.common.seconds`); the FMC leaves it 0 in
# connection records (the real capture), so the first-packet time, then the archive
# timestamp, stand in.
EVENT_TIME = formula("(round({0} + {1} / 1e6, 6) if {1} else float({0})) if {0} "
                     "else float({2} or {3} or 0)", "?eventSecond", "?eventMicrosecond",
                     "?firstPacketTimestamp", "?archiveTimestamp", type_=FLOAT,
                     doc="the event second and microsecond; else the first packet's time, "
                         "else the archive timestamp")


PROFILE = Profile("connection", RECORD_TYPES, head() + (
    key("src", ip("?initiatorIpAddress")),
    let("icmp", call(ICMP_PROTOCOLS.__contains__, "?protocol",
                     doc="ICMP: eStreamer carries the type and code in the port fields")),
    key("src_ip", "$src"),
    key("src_port", "?initiatorPort", unless="$icmp"),
    key("dest", ip("?responderIpAddress")),
    key("dest_ip", "$dest"),
    key("dest_port", "?responderPort", unless="$icmp"),
    key("protocol_version", ip_version("$src", "$dest")),
    key("protocol_id", "?protocol", omit=NEVER),
    let("_protocol", lookup(PROTOCOLS, formula("{0} & 0xFF", "?protocol", type_=INT),
                            doc="the IP protocol table")),
    key("ip_proto", formula("{0}[0]", "$_protocol", type_=TEXT, doc="the protocol's IANA keyword")),
    key("transport", formula("{0}[1]", "$_protocol", type_=TEXT, doc="the protocol's CIM transport")),
    key("protocol", formula("'icmp' if {0} else 'ip'", "$icmp", type_=TEXT)),
    key("icmp_type", "?initiatorPort", when="$icmp", omit=NEVER),
    key("icmp_code", "?responderPort", when="$icmp", omit=NEVER),
    let("_rule_action", call(rule_action, "?ruleAction", context=True, memo=True, type_=TEXT)),
    let("_reasons", call(rule_reasons, "?ruleReason", context=True, memo=True, type_=TEXTS)),
    let("_configured_action", call(configured_action, "$_rule_action", context=True,
                                   memo=True, type_=TEXT)),
    key("action", call(cim_action, "$_configured_action", "$_reasons",
                       "?responderTransmittedPackets", type_=TEXT), omit=NEVER),
    key("rule_action_id", "?ruleAction", omit=FALSY),
    key("rule_action", "$_rule_action"),
    key("rule_reason", "$_reasons", omit=FALSY),
    let("_revision", uuid("?policyRevision")),
    let("_ruled", formula("bool({0} or {1})", "$_revision", "?ruleId")),
    key("rule_id", "?ruleId", when="$_ruled", omit=NEVER),
    key("rule", call(rule_name, "$_revision", "?ruleId", context=True, memo=True, type_=TEXT),
        when="$_ruled"),
    key("policy", call(policy_name, "$_revision", "?deviceId", context=True, memo=True,
                       type_=TEXT)),
    key("nap_policy", label("policy", "policies", uuid("?networkAnalysisPolicyRevision"))),
    # Zones form a CIM cluster: both or neither; a zero side of a zoned flow is "N/A".
    let("_zoned", formula("bool({0} or {1})", uuid("?ingressZone"), uuid("?egressZone"))),
    key("src_zone", formula("{0} or 'N/A'", label("zone", "securityZones", "?ingressZone"),
                            type_=TEXT), when="$_zoned"),
    key("dest_zone", formula("{0} or 'N/A'", label("zone", "securityZones", "?egressZone"),
                             type_=TEXT), when="$_zoned"),
    key("src_interface", label("interface", "interfaces", "?ingressInterface")),
    key("dest_interface", label("interface", "interfaces", "?egressInterface")),
    # Client perspective (FMC: initiator bytes are "sent"); true zeros are kept (CIM cluster).
    key("bytes", formula("{0} + {1}", "?initiatorTransmittedBytes",
                         "?responderTransmittedBytes", type_=INT, native=True), omit=NEVER),
    key("bytes_out", "?initiatorTransmittedBytes", omit=NEVER),
    key("bytes_in", "?responderTransmittedBytes", omit=NEVER),
    key("packets", formula("{0} + {1}", "?initiatorTransmittedPackets",
                           "?responderTransmittedPackets", type_=INT, native=True), omit=NEVER),
    key("packets_out", "?initiatorTransmittedPackets", omit=NEVER),
    key("packets_in", "?responderTransmittedPackets", omit=NEVER),
    key("first_packet_time", "?firstPacketTimestamp", omit=FALSY),
    key("last_packet_time", "?lastPacketTimestamp", omit=FALSY),
    key("duration", formula("{1} - {0} if {0} and {1} else None", "?firstPacketTimestamp",
                            "?lastPacketTimestamp", type_=INT)),
    key("connection_id", connection_key("?deviceId", "?instanceId", "?connectionCounter",
                                        "?firstPacketTimestamp")),
    key("session_id", "$connection_id"),
    key("instance_id", "?instanceId", when="?firstPacketTimestamp", omit=NEVER),
    key("connection_counter", "?connectionCounter", when="?firstPacketTimestamp", omit=NEVER),
    let("_app_proto", label("application", "appProtocols", "?applicationId")),
    key("app", formula("({0} or {1}).lower()", "$_app_proto", "$ip_proto", type_=TEXT),
        omit=NEVER),
    key("app_proto_id", "?applicationId", omit=FALSY),
    key("app_proto", "$_app_proto"),
    key("client_app", label("client", "clientApps", "?clientApplicationId")),
    key("client_app_version", text("?clientApplicationVersion")),
    key("web_app", label("web-application", "payloads", "?webApplicationId")),
    key("user_id", "?userId", omit=FALSY),
    key("user", label("user", "users", "?userId")),
    key("vlan", "?vlanId", omit=FALSY),
    key("tcp_flag", call(tcp_flags, "?tcpFlag", memo=True, type_=TEXTS), omit=FALSY),
    # Translated addresses (block 174+). Both or neither (CIM cluster): an untranslated side
    # keeps its real address and port.
    let("_nat_src", ip("?natInitiatorIp")),
    let("_nat_dest", ip("?natResponderIp")),
    let("_translated", formula("bool({0} or {1})", "$_nat_src", "$_nat_dest")),
    key("src_translated_ip", formula("{0} or {1}", "$_nat_src", "$src", type_=TEXT),
        when="$_translated"),
    key("src_translated_port", formula("{0} or {1}", "?natInitiatorPort", "?initiatorPort",
                                       type_=INT), when="$_translated", unless="$icmp",
        omit=NEVER),
    key("dest_translated_ip", formula("{0} or {1}", "$_nat_dest", "$dest", type_=TEXT),
        when="$_translated"),
    key("dest_translated_port", formula("{0} or {1}", "?natResponderPort", "?responderPort",
                                        type_=INT), when="$_translated", unless="$icmp",
        omit=NEVER),
    key("url_domain", text("?referencedHost")),
    key("http_response", "?httpResponse", omit=FALSY),
    key("url_category", label("url-category", "urlCategories", "?urlCategory")),
    key("url_reputation", label("url-reputation", "urlReputations", "?urlReputation")),
    key("dns_query", text("?dnsQuery")),
    key("dns_record_type", label("dns-record-type", "dnsRecordTypes", "?dnsRecordType")),
    key("dns_response_type", label("dns-response-type", "dnsResponseTypes",
                                   "?dnsResponseType")),
    key("dns_ttl", "?dnsTtl", omit=FALSY),
    let("_si", "?securityIntelligenceSourceDestination"),
    key("si_event", option(si_marker, type_=INT), when="$_si"),
    key("sec_intel_ip", label("si-source-destination", "securityIntelligenceSourceDestination",
                              "?securityIntelligenceSourceDestination"), when="$_si"),
    key("sec_intel_layer", "?securityIntelligenceLayer", when="$_si"),
    let("_si_lists", call(si_lists, "?securityIntelligenceList1", "?securityIntelligenceList2",
                          "?securityIntelligenceList3", type_=INTS)),
    key("sec_intel_category", call(si_categories, "$_si_lists", "?policyRevision",
                                   context=True, type_=TEXTS), when="$_si", omit=FALSY),
    key("sec_intel_list_id", "$_si_lists", when="$_si", omit=FALSY),
    key("sinkhole", label("sinkhole", "sinkholes", uuid("?sinkholeUuid"))),
    key("ssl_policy", label("ssl-policy", "sslPolicies", uuid("?sslPolicyId"))),
    key("ssl_actual_action", label("ssl-action", "sslActions", "?sslActualAction")),
    key("ssl_expected_action", label("ssl-action", "sslExpectedActions", "?sslExpectedAction")),
    key("ssl_flow_status", label("ssl-flow-status", "sslFlowStatuses", "?sslFlowStatus")),
    key("ssl_version", label("ssl-version", "sslVersions", "?sslVersion")),
    key("ssl_cipher_suite", label("ssl-cipher-suite", "sslCipherSuites", "?sslCipherSuite")),
    key("ssl_server_name", text("?sslServerName")),
    key("ssl_cert_fingerprint", hex_digest("?sslCertificateFingerprint")),
    key("ssl_server_cert_status", label("ssl-cert-status", "sslCertificateStatuses",
                                        "?sslServerCertificateStatus")),
    key("src_country", label("country", "geolocations", "?initiatorCountry")),
    key("dest_country", label("country", "geolocations", "?responderCountry")),
    key("original_client_ip", ip("?originalClientIpAddress")),
    key("netflow_source", uuid("?netflowSource")),
    key("monitor_rules", call(monitor_rules, "$_revision", *_MONITOR_RULES, context=True,
                              memo=True, type_=TEXTS), omit=FALSY),
    key("ingress_vrf", text("?ingressVRFName")),
    key("egress_vrf", text("?egressVRFName")),
    key("src_sgt", "?sourceSecurityGroupTag", omit=FALSY),
    key("dest_sgt", "?destinationSecurityGroupTag", omit=FALSY),
    key("eve_process", text("?eveProcess")),
    key("eve_process_confidence", "?eveProcessConfidencePercentage", omit=FALSY),
    key("eve_threat_confidence", "?eveThreatConfidencePercentage", omit=FALSY),
    key("eve_threat_confidence_index", "?eveThreatConfidenceIndex", omit=FALSY),
    key("client_app_detector_id", "?clientAppDectectorId", omit=FALSY),
    key("intrusion_event_count", "?intrusionEventCount", omit=FALSY),
    key("file_event_count", "?fileEventCount", omit=FALSY),
    key("ioc_id", "?iocNumber", omit=FALSY),
) + constants() + (
    key("url", text("?clientUrl")),
    key("http_user_agent", text("?userAgent")),
    key("http_referrer", text("?httpReferrer")),
), time=EVENT_TIME)

FIELDS = PROFILE.keys
