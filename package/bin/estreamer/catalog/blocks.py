"""Block layouts of series 1 and series 2, as the protocol tables list them.

Transcribed row for row from the block tables of the eStreamer protocol reference (eNcore 3.8.4 block
definitions, and the newest blocks of eNcore 5.2.11); the versions the reference gives only as
differences from an earlier one are derived at the end of this module. Every block starts with
``blockType | blockLength`` (added by :func:`S1`/:func:`S2`) unless declared ``header=False``.
String and blob blocks (series-1 types 0 and 10) are the field kinds ``STRING`` and ``BLOB``.
"""
from __future__ import annotations

from ..fields import BLOB, HEX16, HEX20, HEX32, IPV4, IPV6, MAC, STRING, U8, U16, U32, U64, UUID, list_of
from ..layout import Layout

HEADER = (("blockType", U32), ("blockLength", U32))


def _block(series, wire_type, name, rows, header):
    return Layout(name, (HEADER if header else ()) + tuple(rows), series, wire_type)


def S1(wire_type: int, name: str, *rows, header: bool = True):
    return _block(1, wire_type, name, rows, header)


def S2(wire_type: int, name: str, *rows, header: bool = True):
    return _block(2, wire_type, name, rows, header)


SUBSERVER = S1(1, "SUBSERVER",
    ("subServerName", STRING), ("vendor", STRING), ("version", STRING))

PROTOCOL = S1(4, "PROTOCOL",
    ("protocol", U16))

INTEGER = S1(7, "INTEGER",
    ("value", U32))

VLAN_DATA = S1(14, "VLAN_DATA",
    ("id", U16), ("type", U8), ("priority", U8))

STRING_INFORMATION = S1(35, "STRING_INFORMATION",
    ("value", STRING))

SERVER_BANNER = S1(37, "SERVER_BANNER",
    ("port", U16), ("protocol", U8), ("data", BLOB))

ATTRIBUTE_LIST_ITEM_DATA = S1(39, "ATTRIBUTE_LIST_ITEM_DATA",
    ("id", U32), ("name", STRING))

USER_PROTOCOL = S1(57, "USER_PROTOCOL",
    ("ipRanges", list_of(1, 141)), ("macRanges", list_of(1, 63)), ("protocolType", U8),
    ("protocol", U16))

USER_CLIENT_APPLICATION_LIST = S1(60, "USER_CLIENT_APPLICATION_LIST",
    ("sourceType", U32), ("sourceId", U32), ("list", list_of(1, 138)))

MAC_ADDRESS_SPECIFICATION = S1(63, "MAC_ADDRESS_SPECIFICATION",
    ("macAddress", MAC))

FIX_DATA = S1(67, "FIX_DATA",
    ("id", U32))

USER_SERVER = S1(76, "USER_SERVER",
    ("ipRanges", list_of(1, 141)), ("port", U16), ("protocol", U16))

USER_SERVER_LIST = S1(77, "USER_SERVER_LIST",
    ("sourceId", U32), ("sourceType", U32), ("macRanges", list_of(1, 76)))

USER_HOSTS_47 = S1(78, "USER_HOSTS_47",
    ("ipRanges", list_of(1, 141)), ("macRanges", list_of(1, 63)), ("sourceId", U32),
    ("sourceType", U32))

USER_VULNERABILITY_CHANGE_47 = S1(80, "USER_VULNERABILITY_CHANGE_47",
    ("sourceType", U32), ("sourceId", U32), ("type", U32), ("list", list_of(1, 124)))

USER_CRITICALITY_CHANGE_47 = S1(81, "USER_CRITICALITY_CHANGE_47",
    ("ipRanges", list_of(1, 141)), ("sourceId", U32), ("sourceType", U32), ("criticality", U32))

USER_ATTRIBUTE_VALUE_47 = S1(82, "USER_ATTRIBUTE_VALUE_47",
    ("ipRanges", list_of(1, 141)), ("sourceId", U32), ("sourceType", U32), ("attributeId", U32),
    ("value", BLOB))

USER_PROTOCOL_LIST_47 = S1(83, "USER_PROTOCOL_LIST_47",
    ("sourceType", U32), ("sourceId", U32), ("list", list_of(1, 57)))

HOST_VULNERABILITY_49 = S1(85, "HOST_VULNERABILITY_49",
    ("vulnerabilityId", U32), ("invalidFlags", U8), ("type", U32))

IDENTITY_DATA = S1(94, "IDENTITY_DATA",
    ("sourceType", U32), ("sourceId", U32), ("uuid", UUID), ("port", U16), ("protocol", U16),
    ("serverMapId", U32))

HOST_MAC_ADDRESS_49 = S1(95, "HOST_MAC_ADDRESS_49",
    ("ttl", U8), ("address", MAC), ("primary", U8), ("lastSeen", U32))

HOST_SERVER_DATA_41 = S1(103, "HOST_SERVER_DATA_41",
    ("port", U16), ("hits", U32), ("lastUsed", U32), ("serverInformation", list_of(1, 117)),
    ("confidence", U32), ("webApplication", list_of(1, 123)))

GENERIC_SCAN_RESULTS_DATA_41 = S1(108, "GENERIC_SCAN_RESULTS_DATA_41",
    ("port", U16), ("protocol", U16), ("subServer", STRING), ("value", STRING),
    ("subServerUnformatted", STRING), ("valueUnformatted", STRING))

SCAN_VULNERABILITY_DATA_41 = S1(109, "SCAN_VULNERABILITY_DATA_41",
    ("port", U16), ("protocol", U16), ("id", STRING), ("name", STRING), ("description", STRING),
    ("nameClean", STRING), ("descriptionClean", STRING), ("bugtraqIds", list_of(1, 7)),
    ("cveIds", list_of(1, 35)))

FULL_HOST_CLIENT_APPLICATION_50 = S1(112, "FULL_HOST_CLIENT_APPLICATION_50",
    ("hits", U32), ("lastUsed", U32), ("applicationId", U32), ("version", STRING),
    ("webApplication", list_of(1, 123)), ("vulnerability", list_of(1, 85)))

SERVER_INFORMATION_50 = S1(117, "SERVER_INFORMATION_50",
    ("applicationId", U32), ("vendor", STRING), ("version", STRING), ("lastUsed", U32),
    ("sourceType", U32), ("sourceId", U32), ("subServers", list_of(1, 1)))

USER_INFORMATION_DATA_50 = S1(120, "USER_INFORMATION_DATA_50",
    ("userId", U32), ("username", STRING), ("protocol", U32), ("firstName", STRING),
    ("lastName", STRING), ("email", STRING), ("department", STRING), ("phone", STRING))

USER_LOGIN_INFORMATION_DATA_50 = S1(121, "USER_LOGIN_INFORMATION_DATA_50",
    ("timestamp", U32), ("ipv4Address", U32), ("username", STRING), ("userId", U32),
    ("applicationId", U32), ("email", STRING))

HOST_CLIENT_APPLICATION_50 = S1(122, "HOST_CLIENT_APPLICATION_50",
    ("hits", U32), ("lastUsed", U32), ("id", U32), ("applicationProto", U32), ("version", STRING),
    ("webApplication", list_of(1, 123)))

WEB_APPLICATION_DATA_50 = S1(123, "WEB_APPLICATION_DATA_50",
    ("applicationId", U32))

USER_VULNERABILITY_DATA_50 = S1(124, "USER_VULNERABILITY_DATA_50",
    ("ipRanges", list_of(1, 141)), ("port", U16), ("protocol", U16), ("vulnerabilityId", U32),
    ("thirdPartyVulnerabilityUuid", UUID), ("description", STRING), ("clientApplicationId", U32),
    ("applicationProtocolId", U32), ("version", STRING))

USER_LOGIN_INFORMATION_54 = S1(127, "USER_LOGIN_INFORMATION_54",
    ("timestamp", U32), ("ipv4Address", IPV4), ("username", STRING), ("userId", U32),
    ("applicationId", U32), ("email", STRING), ("ipv6Address", IPV6), ("loginType", U8),
    ("reportedBy", STRING))

OPERATING_SYSTEM_FINGERPRINT_51 = S1(130, "OPERATING_SYSTEM_FINGERPRINT_51",
    ("uuid", UUID), ("type", U32), ("sourceType", U32), ("sourceId", U32), ("lastSeen", U32),
    ("ttlDifference", U8), ("mobileDevice", list_of(1, 131)))

MOBILE_DEVICE_INFORMATION_51 = S1(131, "MOBILE_DEVICE_INFORMATION_51",
    ("string", STRING), ("lastSeen", U32), ("mobile", U32), ("jailbroken", U32))

USER_PRODUCT_DATA_51 = S1(134, "USER_PRODUCT_DATA_51",
    ("sourceId", U32), ("sourceType", U32), ("ipRanges", list_of(1, 141)), ("port", U16),
    ("protocol", U16), ("dropUserProduct", U32), ("vendor", STRING), ("product", STRING),
    ("version", STRING), ("softwareId", U32), ("serverId", U32), ("vendorId", U32),
    ("productId", U32), ("versionMajor", STRING), ("versionMinor", STRING), ("revision", STRING),
    ("toVersionMajor", STRING), ("toVersionMinor", STRING), ("toRevision", STRING),
    ("build", STRING), ("patch", STRING), ("extension", STRING), ("osUuid", UUID),
    ("device", STRING), ("mobile", U8), ("jailbroken", U8), ("fixes", list_of(1, 67)))

CONNECTION_CHUNK_511 = S1(136, "CONNECTION_CHUNK_511",
    ("initiatorIpAddress", IPV4), ("responderIpAddress", IPV4), ("startTime", U32),
    ("applicationProto", U32), ("responderPort", U16), ("protocol", U8), ("connectionType", U8),
    ("netflowDetectorIpAddress", IPV4), ("packetsSent", U64), ("packetsReceived", U64),
    ("bytesSent", U64), ("bytesReceived", U64), ("connections", U32))

USER_CLIENT_APPLICATION_511 = S1(138, "USER_CLIENT_APPLICATION_511",
    ("ipRanges", list_of(1, 141)), ("applicationProtocolId", U32), ("clientApplicationId", U32),
    ("version", STRING), ("payloadType", U32), ("webApplicationId", U32))

HOST_PROFILE_DATA_52 = S1(139, "HOST_PROFILE_DATA_52",
    ("ipAddress", IPV6), ("hops", U8),
    ("primarySecondary", U8), ("serverFingerprints", list_of(1, 130)),
    ("clientFingerprints", list_of(1, 130)), ("smbFingerprints", list_of(1, 130)),
    ("dhcpFingerprints", list_of(1, 130)), ("mobileDeviceFingerprints", list_of(1, 130)),
    ("ipv6ServerFingerprints", list_of(1, 130)), ("ipv6ClientFingerprints", list_of(1, 130)),
    ("ipv6DhcpFingerprints", list_of(1, 130)), ("userAgentFingerprints", list_of(1, 130)),
    ("tcpServer", list_of(1, 103)), ("udpServer", list_of(1, 103)),
    ("networkProtocol", list_of(1, 4)), ("transportProtocol", list_of(1, 4)),
    ("hostMacAddress", list_of(1, 95)), ("hostLastSeen", U32), ("hostType", U32), ("mobile", U8),
    ("jailbroken", U8), ("vlanPresence", U8), ("vlanId", U16), ("vlanType", U8),
    ("vlanPriority", U8), ("clientApplications", list_of(1, 112)), ("netbios", STRING))

IP_ADDRESS_RANGE_DATA_52 = S1(141, "IP_ADDRESS_RANGE_DATA_52",
    ("start", IPV6), ("finish", IPV6))

SCAN_RESULT_DATA_52 = S1(142, "SCAN_RESULT_DATA_52",
    ("userId", U32), ("scanType", U32), ("ipAddress", IPV6), ("port", U16), ("protocol", U16),
    ("flag", U16), ("vulnerabilities", list_of(1, 109)), ("scanResults", list_of(1, 108)),
    ("userProducts", list_of(1, 134)))

IOC_STATE_53 = S1(150, "IOC_STATE_53",
    ("iocIdNumber", U32), ("disabled", U8), ("firstSeen", U32), ("firstEventId", U32),
    ("firstDeviceId", U32), ("firstInstanceId", U16), ("firstConnectionTime", U32),
    ("firstCounter", U16), ("lastSeen", U32), ("lastEventId", U32), ("lastInstanceId", U16),
    ("lastConnectionTime", U32), ("lastCounter", U16))

INTRUSION_IMPACT_ALERT_53 = S1(153, "INTRUSION_IMPACT_ALERT_53",
    ("eventId", U32), ("deviceId", U32), ("eventSecond", U32), ("impact", U32),
    ("sourceIpAddress", IPV6), ("destinationIpAddress", IPV6), ("description", STRING))

USER_INFORMATION_DATA_60 = S1(155, "USER_INFORMATION_DATA_60",
    ("userId", U32), ("username", STRING), ("realmId", U32), ("protocol", U32),
    ("firstName", STRING), ("lastName", STRING), ("email", STRING), ("department", STRING),
    ("phone", STRING), ("endpointProfileID", U32), ("securityGroupId", U32),
    ("locationIpv6Address", HEX16))

CORRELATION_EVENT_54 = S1(156, "CORRELATION_EVENT_54",
    ("deviceId", U32), ("correlationEventSecond", U32), ("eventId", U32), ("policyId", U32),
    ("ruleId", U32), ("priority", U32), ("eventDescription", STRING), ("eventType", U8),
    ("eventDeviceId", U32), ("signatureId", U32), ("signatureGeneratorId", U32),
    ("triggerEventSecond", U32), ("triggerEventMicrosecond", U32), ("deviceEventId", U32),
    ("eventDefinedMask", U32), ("eventImpactFlags", U8), ("ipProtocol", U8),
    ("networkProtocol", U16), ("sourceIp", U32), ("sourceHostType", U8), ("sourceVlanId", U16),
    ("sourceOperatingSystemFingerprintUuid", UUID), ("sourceCriticality", U16),
    ("sourceUserId", U32), ("sourcePort", U16), ("sourceServerId", U32), ("destinationIp", U32),
    ("destinationHostType", U8), ("destinationVlanId", U16),
    ("destinationOperatingSystemFingerprintUuid", UUID), ("destinationCriticality", U16),
    ("destinationUserId", U32), ("destinationPort", U16), ("destinationServerId", U32),
    ("impact", U8), ("blocked", U8), ("intrusionPolicy", UUID), ("ruleAction", U32),
    ("netbios", STRING), ("urlCategory", U32), ("urlReputation", U32), ("url", STRING),
    ("clientId", U32), ("clientVersion", STRING), ("accessControlPolicyRevision", UUID),
    ("accessControlRuleId", U32), ("ingressIntefaceUuid", UUID), ("egressIntefaceUuid", UUID),
    ("ingressZoneUuid", UUID), ("egressZoneUuid", UUID), ("sourceIpv6Address", IPV6),
    ("destinationIpv6Address", IPV6), ("sourceCountry", U16), ("destinationCountry", U16),
    ("securityIntelligenceUuid", UUID), ("securityContext", HEX16), ("sslPolicyId", HEX16),
    ("sslRuleId", U32), ("sslActualAction", U32), ("sslFlowStatus", U32),
    ("sslCertificateFingerprint", HEX20))

USER_LOGIN_INFORMATION_60 = S1(159, "USER_LOGIN_INFORMATION_60",
    ("timestamp", U32), ("ipv4Address", IPV4), ("username", STRING), ("domain", STRING),
    ("userId", U32), ("realmId", U32), ("endpointProfileId", U32), ("securityGroupId", U32),
    ("applicationId", U32), ("protocol", U32), ("email", STRING), ("ipv6Address", IPV6),
    ("locationIpv6Address", IPV6), ("loginType", U8), ("authType", U8), ("reportedBy", STRING))

CONNECTION_STATISTICS_60 = S1(160, "CONNECTION_STATISTICS_60",
    ("deviceId", U32), ("ingressZone", UUID), ("egressZone", UUID), ("ingressInterface", UUID),
    ("egressInterface", UUID), ("initiatorIpAddress", IPV6), ("responderIpAddress", IPV6),
    ("policyRevision", UUID), ("ruleId", U32), ("ruleAction", U16), ("ruleReason", U32),
    ("initiatorPort", U16), ("responderPort", U16), ("tcpFlag", U16), ("protocol", U8),
    ("netflowSource", UUID), ("instanceId", U16), ("connectionCounter", U16),
    ("firstPacketTimestamp", U32), ("lastPacketTimestamp", U32),
    ("initiatorTransmittedPackets", U64), ("responderTransmittedPackets", U64),
    ("initiatorTransmittedBytes", U64), ("responderTransmittedBytes", U64), ("userId", U32),
    ("applicationId", U32), ("urlCategory", U32), ("urlReputation", U32),
    ("clientApplicationId", U32), ("webApplicationId", U32), ("clientUrl", STRING),
    ("netbios", STRING), ("clientApplicationVersion", STRING), ("monitorRule1", U32),
    ("monitorRule2", U32), ("monitorRule3", U32), ("monitorRule4", U32), ("monitorRule5", U32),
    ("monitorRule6", U32), ("monitorRule7", U32), ("monitorRule8", U32),
    ("securityIntelligenceSourceDestination", U8), ("securityIntelligenceLayer", U8),
    ("fileEventCount", U16), ("intrusionEventCount", U16), ("initiatorCountry", U16),
    ("responderCountry", U16), ("iocNumber", U16), ("sourceAutonomousSystem", U32),
    ("destinationAutonomousSystem", U32), ("snmpIn", U16), ("snmpOut", U16), ("sourceTos", U8),
    ("destinationTos", U8), ("sourceMask", U8), ("destinationMask", U8),
    ("securityContext", HEX16), ("vlanId", U16), ("referencedHost", STRING), ("userAgent", STRING),
    ("httpReferrer", STRING), ("sslCertificateFingerprint", HEX20), ("sslPolicyId", HEX16),
    ("sslRuleId", U32), ("sslCipherSuite", U16), ("sslVersion", U8),
    ("sslServerCertificateStatus", U32), ("sslActualAction", U16), ("sslExpectedAction", U16),
    ("sslFlowStatus", U16), ("sslFlowError", U32), ("sslFlowMessages", U32), ("sslFlowFlags", U64),
    ("sslServerName", STRING), ("sslUrlCategory", U32), ("sslSessionId", HEX32),
    ("sslSessionIdLength", U8), ("sslTicketId", HEX20), ("sslTicketIdLength", U8),
    ("networkAnalysisPolicyRevision", UUID), ("endpointProfileId", U32), ("securityGroupId", U32),
    ("locationIpv6", IPV6), ("httpResponse", U32), ("dnsQuery", STRING), ("dnsRecordType", U16),
    ("dnsResponseType", U16), ("dnsTtl", U32), ("sinkholeUuid", UUID),
    ("securityIntelligenceList1", U32), ("securityIntelligenceList2", U32))

CONNECTION_STATISTICS_61 = S1(163, "CONNECTION_STATISTICS_61",
    ("deviceId", U32), ("ingressZone", UUID), ("egressZone", UUID), ("ingressInterface", UUID),
    ("egressInterface", UUID), ("initiatorIpAddress", IPV6), ("responderIpAddress", IPV6),
    ("originalClientIpAddress", IPV6), ("policyRevision", UUID), ("ruleId", U32),
    ("tunnelRuleId", U32), ("ruleAction", U16), ("ruleReason", U32), ("initiatorPort", U16),
    ("responderPort", U16), ("tcpFlag", U16), ("protocol", U8), ("netflowSource", UUID),
    ("instanceId", U16), ("connectionCounter", U16), ("firstPacketTimestamp", U32),
    ("lastPacketTimestamp", U32), ("initiatorTransmittedPackets", U64),
    ("responderTransmittedPackets", U64), ("initiatorTransmittedBytes", U64),
    ("responderTransmittedBytes", U64), ("initiatorPacketsDropped", U64),
    ("responderPacketsDropped", U64), ("initiatorBytesDropped", U64),
    ("responderBytesDropped", U64), ("qosAppliedInterface", UUID), ("qosRuleId", U32),
    ("userId", U32), ("applicationId", U32), ("urlCategory", U32), ("urlReputation", U32),
    ("clientApplicationId", U32), ("webApplicationId", U32), ("clientUrl", STRING),
    ("netbios", STRING), ("clientApplicationVersion", STRING), ("monitorRule1", U32),
    ("monitorRule2", U32), ("monitorRule3", U32), ("monitorRule4", U32), ("monitorRule5", U32),
    ("monitorRule6", U32), ("monitorRule7", U32), ("monitorRule8", U32),
    ("securityIntelligenceSourceDestination", U8), ("securityIntelligenceLayer", U8),
    ("fileEventCount", U16), ("intrusionEventCount", U16), ("initiatorCountry", U16),
    ("responderCountry", U16), ("originalClientCountry", U16), ("iocNumber", U16),
    ("sourceAutonomousSystem", U32), ("destinationAutonomousSystem", U32), ("snmpIn", U16),
    ("snmpOut", U16), ("sourceTos", U8), ("destinationTos", U8), ("sourceMask", U8),
    ("destinationMask", U8), ("securityContext", UUID), ("vlanId", U16),
    ("referencedHost", STRING), ("userAgent", STRING), ("httpReferrer", STRING),
    ("sslCertificateFingerprint", HEX20), ("sslPolicyId", UUID), ("sslRuleId", U32),
    ("sslCipherSuite", U16), ("sslVersion", U8), ("sslServerCertificateStatus", U32),
    ("sslActualAction", U16), ("sslExpectedAction", U16), ("sslFlowStatus", U16),
    ("sslFlowError", U32), ("sslFlowMessages", U32), ("sslFlowFlags", U64),
    ("sslServerName", STRING), ("sslUrlCategory", U32), ("sslSessionId", HEX32),
    ("sslSessionIdLength", U8), ("sslTicketId", HEX20), ("sslTicketIdLength", U8),
    ("networkAnalysisPolicyRevision", UUID), ("endpointProfileId", U32), ("securityGroupId", U32),
    ("locationIpv6", IPV6), ("httpResponse", U32), ("dnsQuery", STRING), ("dnsRecordType", U16),
    ("dnsResponseType", U16), ("dnsTtl", U32), ("sinkholeUuid", UUID),
    ("securityIntelligenceList1", U32), ("securityIntelligenceList2", U32))

USER_LOGIN_INFORMATION_61 = S1(165, "USER_LOGIN_INFORMATION_61",
    ("timestamp", U32), ("ipv4Address", IPV4), ("username", STRING), ("domain", STRING),
    ("userId", U32), ("realmId", U32), ("endpointProfileId", U32), ("securityGroupId", U32),
    ("applicationId", U32), ("protocol", U32), ("port", U16), ("rangeStart", U16),
    ("startPort", U16), ("endPort", U16), ("email", STRING), ("ipv6Address", IPV6),
    ("locationIpv6Address", IPV6), ("loginType", U8), ("authType", U8), ("reportedBy", STRING))

EVENT_EXTRA_DATA = S2(4, "EVENT_EXTRA_DATA",
    ("deviceId", U32), ("eventId", U32), ("eventSecond", U32), ("type", U32), ("blob", BLOB))

EVENT_EXTRA_DATA_METADATA = S2(5, "EVENT_EXTRA_DATA_METADATA",
    ("type", U32), ("name", STRING), ("encoding", STRING))

UUID_STRING = S2(14, "UUID_STRING",
    ("uuid", UUID), ("name", STRING))

ACCESS_CONTROL_RULE = S2(15, "ACCESS_CONTROL_RULE",
    ("uuid", UUID), ("id", U32), ("name", STRING))

ICMP_TYPE_DATA = S2(19, "ICMP_TYPE_DATA",
    ("type", U16), ("protocol", U16), ("description", STRING))

ICMP_CODE_DATA = S2(20, "ICMP_CODE_DATA",
    ("code", U16), ("type", U16), ("protocol", U16), ("description", STRING))

IP_REPUTATION_CATEGORY = S2(22, "IP_REPUTATION_CATEGORY",
    ("id", U32), ("accessControlPolicyUuid", UUID), ("name", STRING))

RULE_DOCUMENTATION_DATA_52 = S2(27, "RULE_DOCUMENTATION_DATA_52",
    ("signatureId", U32), ("generatorId", U32), ("revision", U32), ("summary", STRING),
    ("impact", STRING), ("detail", STRING), ("affectedSystems", STRING),
    ("attackScenarios", STRING), ("easeOfAttack", STRING), ("falsePositives", STRING),
    ("falseNegatives", STRING), ("correctiveAction", STRING), ("contributors", STRING),
    ("additionalReferences", STRING))

GEOLOCATION_52 = S2(28, "GEOLOCATION_52",
    ("countryCode", U16), ("country", STRING))

IOC_NAME_53 = S2(39, "IOC_NAME_53",
    ("id", U32), ("category", STRING), ("eventType", STRING))

FILE_EVENT_SHA_HASH_53 = S2(40, "FILE_EVENT_SHA_HASH_53",
    ("shaHash", HEX32), ("fileName", STRING), ("disposition", U8), ("userDefined", U8))

INTRUSION_EVENT_53 = S2(41, "INTRUSION_EVENT_53",
    ("deviceId", U32), ("eventId", U32), ("eventSecond", U32), ("eventMicrosecond", U32),
    ("ruleId", U32), ("generatorId", U32), ("ruleRevision", U32), ("classificationId", U32),
    ("priorityId", U32), ("sourceIpAddress", IPV6), ("destinationIpAddress", IPV6),
    ("sourcePortOrIcmpType", U16), ("destinationPortOrIcmpType", U16), ("ipProtocolId", U8),
    ("impactFlags", U8), ("impact", U8), ("blocked", U8), ("mplsLabel", U32), ("vlanId", U16),
    ("pad", U16), ("policyUuid", UUID), ("userId", U32), ("webApplicationId", U32),
    ("clientApplicationId", U32), ("applicationId", U32), ("accessControlRuleId", U32),
    ("accessControlPolicyUuid", UUID), ("interfaceIngressUuid", UUID),
    ("interfaceEgressUuid", UUID), ("securityZoneIngressUuid", UUID),
    ("securityZoneEgressUuid", UUID), ("connectionTimestamp", U32), ("connectionInstanceId", U16),
    ("connectionCounter", U16), ("sourceCountry", U16), ("destinationCountry", U16),
    ("iocNumber", U16))

SSL_CERTIFICATION_DETAILS_54 = S2(50, "SSL_CERTIFICATION_DETAILS_54",
    ("fingerprintShaHash", HEX20), ("publicKeyShaHash", HEX20), ("serialNumber", HEX20),
    ("serialNumberLength", U32), ("subjectCn", STRING), ("subjectOrganisation", STRING),
    ("subjectOU", STRING), ("subjectCountry", STRING), ("issuerCn", STRING),
    ("issuerOrganisation", STRING), ("issuerOU", STRING), ("issuerCountry", STRING),
    ("validStartDate", U32), ("validFinishDate", U32))

FILE_EVENT_60 = S2(56, "FILE_EVENT_60",
    ("deviceId", U32), ("connectionInstance", U16), ("connectionCounter", U16),
    ("connectionTimestamp", U32), ("fileEventTimestamp", U32), ("sourceIpAddress", IPV6),
    ("destinationIpAddress", IPV6), ("disposition", U8), ("speroDisposition", U8),
    ("fileStorageStatus", U8), ("fileAnalysisStatus", U8), ("localMalwareAnalysisStatus", U8),
    ("archiveFileStatus", U8), ("threatScore", U8), ("action", U8), ("shaHash", HEX32),
    ("fileTypeId", U32), ("fileName", STRING), ("fileSize", U64), ("direction", U8),
    ("applicationId", U32), ("userId", U32), ("uri", STRING), ("signature", STRING),
    ("sourcePort", U16), ("destinationPort", U16), ("protocol", U8),
    ("accessControlPolicyUuid", UUID), ("sourceCountry", U16), ("destinationCountry", U16),
    ("webApplicationId", U32), ("clientApplicationId", U32), ("securityContext", HEX16),
    ("sslCertificateFingerprint", HEX20), ("sslActualAction", U16), ("sslFlowStatus", U16),
    ("archiveSha", STRING), ("archiveName", STRING), ("archiveDepth", U8), ("httpResponse", U32))

USER_60 = S2(57, "USER_60",
    ("id", U32), ("protocol", U32), ("name", STRING))

ENDPOINT_PROFILE_60 = S2(58, "ENDPOINT_PROFILE_60",
    ("id", U32), ("profileName", STRING), ("fullName", STRING))

ACCESS_CONTROL_POLICY_RULE_REASON_60 = S2(59, "ACCESS_CONTROL_POLICY_RULE_REASON_60",
    ("id", U32), ("description", STRING))

INTRUSION_EVENT_60 = S2(60, "INTRUSION_EVENT_60",
    ("deviceId", U32), ("eventId", U32), ("eventSecond", U32), ("eventMicrosecond", U32),
    ("ruleId", U32), ("generatorId", U32), ("ruleRevision", U32), ("classificationId", U32),
    ("priorityId", U32), ("sourceIpAddress", IPV6), ("destinationIpAddress", IPV6),
    ("sourcePortOrIcmpType", U16), ("destinationPortOrIcmpType", U16), ("ipProtocolId", U8),
    ("impactFlags", U8), ("impact", U8), ("blocked", U8), ("mplsLabel", U32), ("vlanId", U16),
    ("pad", U16), ("policyUuid", UUID), ("userId", U32), ("webApplicationId", U32),
    ("clientApplicationId", U32), ("applicationId", U32), ("accessControlRuleId", U32),
    ("accessControlPolicyUuid", UUID), ("interfaceIngressUuid", UUID),
    ("interfaceEgressUuid", UUID), ("securityZoneIngressUuid", UUID),
    ("securityZoneEgressUuid", UUID), ("connectionTimestamp", U32), ("connectionInstanceId", U16),
    ("connectionCounter", U16), ("sourceCountry", U16), ("destinationCountry", U16),
    ("iocNumber", U16), ("securityContext", HEX16), ("sslCertificateFingerprint", HEX20),
    ("sslActualAction", U16), ("sslFlowStatus", U16), ("networkAnalysisPolicyUuid", UUID),
    ("httpResponse", U32))

ID_NAME_DESCRIPTION = S2(61, "ID_NAME_DESCRIPTION",
    ("id", U32), ("name", STRING), ("description", STRING))

MALWARE_EVENT_60 = S2(62, "MALWARE_EVENT_60",
    ("agentUuid", UUID), ("cloudUuid", UUID), ("malwareEventTimestamp", U32), ("eventTypeId", U32),
    ("eventSubtypeId", U32), ("detectorId", U8), ("detectionName", STRING), ("user", STRING),
    ("fileName", STRING), ("filePath", STRING), ("fileShaHash", STRING), ("fileSize", U32),
    ("fileType", U32), ("fileTimestamp", U32), ("parentFileName", STRING),
    ("parentShaHash", STRING), ("eventDescription", STRING), ("deviceId", U32),
    ("connectionInstance", U16), ("connectionCounter", U16), ("connectionEventTimestamp", U32),
    ("direction", U8), ("sourceIpAddress", IPV6), ("destinationIpAddress", IPV6),
    ("applicationId", U32), ("userId", U32), ("accessControlPolicyUuid", UUID),
    ("disposition", U8), ("retroDisposition", U8), ("uri", STRING), ("sourcePort", U16),
    ("destinationPort", U16), ("sourceCountry", U16), ("destinationCountry", U16),
    ("webApplicationId", U32), ("clientApplicationId", U32), ("action", U8), ("protocol", U8),
    ("threatScore", U8), ("iocNumber", U16), ("securityContext", HEX16),
    ("sslCertificateFingerprint", HEX20), ("sslActualAction", U16), ("sslFlowStatus", U16),
    ("archiveSha", STRING), ("archiveName", STRING), ("archiveDepth", U8), ("httpResponse", U32))

ACCESS_CONTROL_POLICY_METADATA = S2(64, "ACCESS_CONTROL_POLICY_METADATA",
    ("uuid", UUID), ("sensorId", U32), ("name", STRING))

INTRUSION_EVENT_85 = S2(85, "INTRUSION_EVENT_85",
    ("deviceId", U32), ("eventId", U32), ("eventSecond", U32), ("eventMicrosecond", U32),
    ("ruleId", U32), ("generatorId", U32), ("ruleRevision", U32), ("classificationId", U32),
    ("priorityId", U32), ("sourceIpAddress", IPV6), ("destinationIpAddress", IPV6),
    ("sourcePortOrIcmpType", U16), ("destinationPortOrIcmpType", U16), ("ipProtocolId", U8),
    ("impactFlags", U8), ("impact", U8), ("blocked", U8), ("blockedReasonId", U8),
    ("mplsLabel", U32), ("vlanId", U16), ("pad", U16), ("policyUuid", UUID), ("userId", U32),
    ("webApplicationId", U32), ("clientApplicationId", U32), ("applicationId", U32),
    ("accessControlRuleId", U32), ("accessControlPolicyUuid", UUID),
    ("interfaceIngressUuid", UUID), ("interfaceEgressUuid", UUID),
    ("securityZoneIngressUuid", UUID), ("securityZoneEgressUuid", UUID),
    ("connectionTimestamp", U32), ("connectionInstanceId", U16), ("connectionCounter", U16),
    ("sourceCountry", U16), ("destinationCountry", U16), ("iocNumber", U16),
    ("securityContext", HEX16), ("sslCertificateFingerprint", HEX20), ("sslActualAction", U16),
    ("sslFlowStatus", U16), ("networkAnalysisPolicyUuid", UUID), ("httpResponse", U32),
    ("ingressVRFName", STRING), ("egressVRFName", STRING), ("snortVersion", U8),
    ("originalSrcIP", IPV6), ("httpHostname", STRING), ("httpURI", STRING),
    ("smtpAttachments", STRING), ("smtpFrom", STRING), ("smtpHeaders", STRING), ("smptTo", STRING))

FILE_EVENT_79 = S2(79, "FILE_EVENT_79",
    ("deviceId", U32), ("connectionInstance", U16), ("connectionCounter", U16),
    ("connectionTimestamp", U32), ("fileEventTimestamp", U32), ("sourceIpAddress", IPV6),
    ("destinationIpAddress", IPV6), ("disposition", U8), ("speroDisposition", U8),
    ("fileStorageStatus", U8), ("fileAnalysisStatus", U8), ("localMalwareAnalysisStatus", U8),
    ("archiveFileStatus", U8), ("threatScore", U8), ("action", U8), ("shaHash", HEX32),
    ("fileTypeId", U32), ("fileName", STRING), ("fileSize", U64), ("direction", U8),
    ("applicationId", U32), ("userId", U32), ("uri", STRING), ("signature", STRING),
    ("sourcePort", U16), ("destinationPort", U16), ("protocol", U8),
    ("accessControlPolicyUuid", UUID), ("sourceCountry", U16), ("destinationCountry", U16),
    ("webApplicationId", U32), ("clientApplicationId", U32), ("securityContext", HEX16),
    ("sslCertificateFingerprint", HEX20), ("sslActualAction", U16), ("sslFlowStatus", U16),
    ("archiveSha", STRING), ("archiveName", STRING), ("archiveDepth", U8), ("httpResponse", U32),
    ("ingressVRF", STRING), ("egressVRF", STRING))

MALWARE_EVENT_80 = S2(80, "MALWARE_EVENT_80",
    ("agentUuid", UUID), ("cloudUuid", UUID), ("malwareEventTimestamp", U32), ("eventTypeId", U32),
    ("eventSubtypeId", U32), ("detectorId", U8), ("detectionName", STRING), ("user", STRING),
    ("fileName", STRING), ("filePath", STRING), ("fileShaHash", STRING), ("fileSize", U32),
    ("fileType", U32), ("fileTimestamp", U32), ("parentFileName", STRING),
    ("parentShaHash", STRING), ("eventDescription", STRING), ("deviceId", U32),
    ("connectionInstance", U16), ("connectionCounter", U16), ("connectionEventTimestamp", U32),
    ("direction", U8), ("sourceIpAddress", IPV6), ("destinationIpAddress", IPV6),
    ("applicationId", U32), ("userId", U32), ("accessControlPolicyUuid", UUID),
    ("disposition", U8), ("retroDisposition", U8), ("uri", STRING), ("sourcePort", U16),
    ("destinationPort", U16), ("sourceCountry", U16), ("destinationCountry", U16),
    ("webApplicationId", U32), ("clientApplicationId", U32), ("action", U8), ("protocol", U8),
    ("threatScore", U8), ("iocNumber", U16), ("securityContext", HEX16),
    ("sslCertificateFingerprint", HEX20), ("sslActualAction", U16), ("sslFlowStatus", U16),
    ("archiveSha", STRING), ("archiveName", STRING), ("archiveDepth", U8), ("httpResponse", U32),
    ("ingressVRFName", STRING), ("egressVRFName", STRING))

USER_INFORMATION_VPN_SESSION_62 = S1(166, "USER_INFORMATION_VPN_SESSION_62",
    ("index", U32), ("vpnType", U8), ("groupPolicy", STRING), ("vpnConnectionProfile", STRING),
    ("clientIP", HEX16), ("countryCode", U16), ("clientOS", STRING), ("clientApplication", STRING),
    ("connectionDuration", U32), ("bytesTransmitted", U64), ("bytesReceived", U64),
    header=False)  # eNcore reads list items of this block without a header; ambiguous, kept

USER_UPDATE_MSG_INFORMATION_62 = S1(167, "USER_UPDATE_MSG_INFORMATION_62",
    ("timestamp", U32), ("ipv4Address", IPV4), ("username", STRING), ("domain", STRING),
    ("userId", U32), ("realmId", U32), ("endpointProfileId", U32), ("securityGroupId", U32),
    ("protocol", U32), ("port", U16), ("rangeStart", U16), ("startPort", U16), ("endPort", U16),
    ("email", STRING), ("ipv6Address", IPV6), ("locationIpv6Address", IPV6), ("loginType", U8),
    ("authType", U8), ("reportedBy", STRING), ("description", STRING),
    ("vpnSession", list_of(1, 166)))


# --- versions given as differences ------------------------------------------------------------
# Names stay stable across versions (5.2.11 renames fileEventCount to fileCount in 173/174 and
# spells "engressVRFName" in intrusion block 81); one name per meaning keeps the mappers simple.

def _rows(layout):
    return [row for row in layout.rows if row[0] not in ("blockType", "blockLength")]


def _insert_after(rows, anchor, *new):
    at = [name for name, _ in rows].index(anchor) + 1
    return rows[:at] + list(new) + rows[at:]


def _replace(rows, old, *new):
    at = [name for name, _ in rows].index(old)
    return rows[:at] + list(new) + rows[at + 1:]


# eNcore 3.8.4 numbers the FMC 6.1 connection block 163; its successor numbers it 161.
CONNECTION_STATISTICS_161 = S1(161, "CONNECTION_STATISTICS_161", *_rows(CONNECTION_STATISTICS_61))
CONNECTION_STATISTICS_168 = S1(168, "CONNECTION_STATISTICS_168",
                               *_rows(CONNECTION_STATISTICS_161),
                               ("securityIntelligenceList3", U32))
CONNECTION_STATISTICS_169 = S1(169, "CONNECTION_STATISTICS_169", *_replace(
    _rows(CONNECTION_STATISTICS_168), "securityIntelligenceList3",
    ("threatIntelligenceCategory", U32)))
CONNECTION_STATISTICS_170 = S1(170, "CONNECTION_STATISTICS_170", *_insert_after(
    _rows(CONNECTION_STATISTICS_169), "securityGroupId",
    ("sourceSecurityGroupTag", U16), ("destinationSecurityGroupTag", U16)))
CONNECTION_STATISTICS_171 = S1(171, "CONNECTION_STATISTICS_171", *_insert_after(_insert_after(
    _rows(CONNECTION_STATISTICS_170), "sourceSecurityGroupTag", ("sourceSecurityGroupTagType", U8)),
    "destinationSecurityGroupTag", ("destinationSecurityGroupTagType", U8)),
    ("ingressVRFName", STRING), ("egressVRFName", STRING))
CONNECTION_STATISTICS_173 = S1(173, "CONNECTION_STATISTICS_173", *_rows(CONNECTION_STATISTICS_171),
                               ("sourceIpDynamicAttributes", STRING),
                               ("destIpDynamicAttributes", STRING))
# FMC 7: encrypted visibility (EVE), the client detector and NAT, after the threat category.
CONNECTION_STATISTICS_174 = S1(174, "CONNECTION_STATISTICS_174", *_insert_after(
    _rows(CONNECTION_STATISTICS_173), "threatIntelligenceCategory",
    ("eveProcess", STRING), ("eveProcessConfidencePercentage", U8),
    ("eveThreatConfidencePercentage", U8), ("eveThreatConfidenceIndex", U8),
    ("clientAppDectectorId", U8), ("natInitiatorPort", U16), ("natResponderPort", U16),
    ("natInitiatorIp", IPV6), ("natResponderIp", IPV6)))
INTRUSION_EVENT_81 = S2(81, "INTRUSION_EVENT_81", *_insert_after(
    _rows(INTRUSION_EVENT_60), "blocked", ("blockedReasonId", U8)),
    ("ingressVRFName", STRING), ("egressVRFName", STRING), ("snortVersion", U8))


# --- versions of one block ----------------------------------------------------------------------
# A table names one block per position; the FMC sends there the version of that block that the
# event version the client requested calls for (docs/protocol.md, "Event versions"), and nothing
# else.
VERSIONS = (
    (1, (160, 161, 163, 168, 169, 170, 171, 173, 174)),  # connection statistics
    (2, (41, 60, 81, 85)),  # intrusion event
    (2, (56, 79)),  # file event
    (2, (62, 80)),  # malware event
    # The user of records 92-95: user information (120; 155 in 5.2.11) or login information
    # (127 in 3.5.8; 167 since), by FMC version.
    (1, (120, 121, 127, 155, 159, 165, 167)),
)

# Every block layout defined above.
LAYOUTS = tuple(value for value in list(globals().values()) if isinstance(value, Layout))
