"""Records built by hand from the protocol reference, for the decoder's tests.

Builders that pack each wire type with ``struct`` (never the library's encoder or catalog), and
transcriptions of the record layout tables of the eStreamer Integration Guide (the block and
record tables of its "Understanding Discovery & Connection Data Structures" and "Understanding
Intrusion and Correlation Data Structures" chapters, as this project's
``docs/architecture.md`` describes them), each row ``(name, type[, offset in the table])``.
``table_sample`` lays one instance of a table out with a distinct value per field and says
what the decoder must produce from it.
"""
from __future__ import annotations

import socket
import struct
import uuid

from estreamer.decoder import RecordDecoder

# --- the wire, as docs/protocol.md describes it---------------------------------------------------


def u8(value):
    return struct.pack(">B", value)


def u16(value):
    return struct.pack(">H", value)


def u32(value):
    return struct.pack(">I", value)


def u64(value):
    return struct.pack(">Q", value)


def ip4(text):
    return socket.inet_aton(text)


def ip6(text):
    return socket.inet_pton(socket.AF_INET6, text)


def uuid_bytes(text):
    return uuid.UUID(text).bytes


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def _data(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def string_block(value):
    """Series-1 block 0, a string block: ``uint32 0 | uint32 8+n | n bytes``."""
    data = _data(value)
    return u32(0) + u32(8 + len(data)) + data


def blob_block(value):
    """Series-1 block 10, a blob block, laid out like a string block."""
    data = _data(value)
    return u32(10) + u32(8 + len(data)) + data


def block(block_type, *parts, length=None):
    """``uint32 blockType | uint32 blockLength (incl. these 8) | data``; ``length`` overrides."""
    payload = b"".join(parts)
    return u32(block_type) + u32(8 + len(payload) if length is None else length) + payload


def list_block(*items):
    """A list: ``uint32 listType | uint32 listLength (incl. these 8) | items``."""
    payload = b"".join(items)
    return u32(11) + u32(8 + len(payload)) + payload


def record(record_type, *parts, archive=None):
    """A record body: 8-byte record header, or 16 bytes with the archive timestamp."""
    data = b"".join(parts)
    if archive is None:
        return u32(record_type) + u32(len(data)) + data
    return u32(record_type) + u32(len(data)) + u32(archive) + u32(0) + data


def discovery_header(*, device_id=1, mac="00:00:00:00:00:00", host_ip=None, second=0, usec=0,
                     event_type=1003, subtype=1):
    """The discovery event header: 40 bytes, then the host's IPv6 address only when Has IPv6
    is 1."""
    head = struct.pack(">I4s6sBBIIIIII", device_id, ip4("0.0.0.0"), mac_bytes(mac),
                       0 if host_ip is None else 1, 0, second, usec, event_type, subtype, 0, 0)
    assert len(head) == 40
    return head if host_ip is None else head + ip6(host_ip)


def discovery_fields(*, device_id=1, mac="00:00:00:00:00:00", host_ip=None, second=0, usec=0,
                     event_type=1003, subtype=1):
    fields = {"deviceId": device_id, "macAddress": mac, "hasIpv6": 0 if host_ip is None else 1,
              "eventSecond": second, "eventMicrosecond": usec, "eventType": event_type,
              "eventSubtype": subtype}
    if host_ip is not None:
        fields["hostIpAddr"] = host_ip
    return fields


def decode(body):
    return RecordDecoder().decode(body)


def assert_fields(rec, expected):
    """Every expected field is present with its value (the record may hold more)."""
    mismatched = {name: (rec.get(name, "<absent>"), value) for name, value in expected.items()
                  if name not in rec or rec[name] != value}
    assert not mismatched, f"(got, expected) per field: {mismatched}"


# --- block layouts, for the big blocks -----------------------------------------------------------
# (name, type[, offset from block start as eNcore's definition gives it]), without
# blockType/blockLength. Each is named as eNcore names the block (series, wire type).

CONNECTION_160 = (  # BLOCK_CONNECTION_STATISTICS_60 (series 1, wire type 160)
    ("deviceId", "u32", 8), ("ingressZone", "uuid", 12), ("egressZone", "uuid", 28),
    ("ingressInterface", "uuid", 44), ("egressInterface", "uuid", 60),
    ("initiatorIpAddress", "ipv6", 76), ("responderIpAddress", "ipv6", 92),
    ("policyRevision", "uuid", 108), ("ruleId", "u32", 124), ("ruleAction", "u16", 128),
    ("ruleReason", "u32", 130), ("initiatorPort", "u16", 134), ("responderPort", "u16", 136),
    ("tcpFlag", "u16", 138), ("protocol", "u8", 140), ("netflowSource", "uuid", 141),
    ("instanceId", "u16", 157), ("connectionCounter", "u16", 159),
    ("firstPacketTimestamp", "u32", 161), ("lastPacketTimestamp", "u32", 165),
    ("initiatorTransmittedPackets", "u64", 169), ("responderTransmittedPackets", "u64", 177),
    ("initiatorTransmittedBytes", "u64", 185), ("responderTransmittedBytes", "u64", 193),
    ("userId", "u32", 201), ("applicationId", "u32", 205), ("urlCategory", "u32", 209),
    ("urlReputation", "u32", 213), ("clientApplicationId", "u32", 217),
    ("webApplicationId", "u32", 221), ("clientUrl", "str", 225), ("netbios", "str"),
    ("clientApplicationVersion", "str"), ("monitorRule1", "u32"), ("monitorRule2", "u32"),
    ("monitorRule3", "u32"), ("monitorRule4", "u32"), ("monitorRule5", "u32"),
    ("monitorRule6", "u32"), ("monitorRule7", "u32"), ("monitorRule8", "u32"),
    ("securityIntelligenceSourceDestination", "u8"), ("securityIntelligenceLayer", "u8"),
    ("fileEventCount", "u16"), ("intrusionEventCount", "u16"), ("initiatorCountry", "u16"),
    ("responderCountry", "u16"), ("iocNumber", "u16"), ("sourceAutonomousSystem", "u32"),
    ("destinationAutonomousSystem", "u32"), ("snmpIn", "u16"), ("snmpOut", "u16"),
    ("sourceTos", "u8"), ("destinationTos", "u8"), ("sourceMask", "u8"), ("destinationMask", "u8"),
    ("securityContext", "hex16"), ("vlanId", "u16"), ("referencedHost", "str"),
    ("userAgent", "str"), ("httpReferrer", "str"), ("sslCertificateFingerprint", "hex20"),
    ("sslPolicyId", "hex16"), ("sslRuleId", "u32"), ("sslCipherSuite", "u16"),
    ("sslVersion", "u8"), ("sslServerCertificateStatus", "u32"), ("sslActualAction", "u16"),
    ("sslExpectedAction", "u16"), ("sslFlowStatus", "u16"), ("sslFlowError", "u32"),
    ("sslFlowMessages", "u32"), ("sslFlowFlags", "u64"), ("sslServerName", "str"),
    ("sslUrlCategory", "u32"), ("sslSessionId", "hex32"), ("sslSessionIdLength", "u8"),
    ("sslTicketId", "hex20"), ("sslTicketIdLength", "u8"),
    ("networkAnalysisPolicyRevision", "uuid"), ("endpointProfileId", "u32"),
    ("securityGroupId", "u32"), ("locationIpv6", "ipv6"), ("httpResponse", "u32"),
    ("dnsQuery", "str"), ("dnsRecordType", "u16"), ("dnsResponseType", "u16"), ("dnsTtl", "u32"),
    ("sinkholeUuid", "uuid"), ("securityIntelligenceList1", "u32"),
    ("securityIntelligenceList2", "u32"),
)

CONNECTION_174 = (  # BLOCK_CONNECTION_STATISTICS_174 (series 1, wire type 174)
    ("deviceId", "u32", 8), ("ingressZone", "uuid", 12), ("egressZone", "uuid", 28),
    ("ingressInterface", "uuid", 44), ("egressInterface", "uuid", 60),
    ("initiatorIpAddress", "ipv6", 76), ("responderIpAddress", "ipv6", 92),
    ("originalClientIpAddress", "ipv6", 108), ("policyRevision", "uuid", 124),
    ("ruleId", "u32", 140), ("tunnelRuleId", "u32", 144), ("ruleAction", "u16", 148),
    ("ruleReason", "u32", 150), ("initiatorPort", "u16", 154), ("responderPort", "u16", 156),
    ("tcpFlag", "u16", 158), ("protocol", "u8", 160), ("netflowSource", "uuid", 161),
    ("instanceId", "u16", 177), ("connectionCounter", "u16", 179),
    ("firstPacketTimestamp", "u32", 181), ("lastPacketTimestamp", "u32", 185),
    ("initiatorTransmittedPackets", "u64", 189), ("responderTransmittedPackets", "u64", 197),
    ("initiatorTransmittedBytes", "u64", 205), ("responderTransmittedBytes", "u64", 213),
    ("initiatorPacketsDropped", "u64", 221), ("responderPacketsDropped", "u64", 229),
    ("initiatorBytesDropped", "u64", 237), ("responderBytesDropped", "u64", 245),
    ("qosAppliedInterface", "uuid", 253), ("qosRuleId", "u32", 269), ("userId", "u32", 273),
    ("applicationId", "u32", 277), ("urlCategory", "u32", 281), ("urlReputation", "u32", 285),
    ("clientApplicationId", "u32", 289), ("webApplicationId", "u32", 293),
    ("clientUrl", "str", 297), ("netbios", "str"), ("clientApplicationVersion", "str"),
    ("monitorRule1", "u32"), ("monitorRule2", "u32"), ("monitorRule3", "u32"),
    ("monitorRule4", "u32"), ("monitorRule5", "u32"), ("monitorRule6", "u32"),
    ("monitorRule7", "u32"), ("monitorRule8", "u32"),
    ("securityIntelligenceSourceDestination", "u8"), ("securityIntelligenceLayer", "u8"),
    ("fileEventCount", "u16"), ("intrusionEventCount", "u16"), ("initiatorCountry", "u16"),
    ("responderCountry", "u16"), ("originalClientCountry", "u16"), ("iocNumber", "u16"),
    ("sourceAutonomousSystem", "u32"), ("destinationAutonomousSystem", "u32"), ("snmpIn", "u16"),
    ("snmpOut", "u16"), ("sourceTos", "u8"), ("destinationTos", "u8"), ("sourceMask", "u8"),
    ("destinationMask", "u8"), ("securityContext", "uuid"), ("vlanId", "u16"),
    ("referencedHost", "str"), ("userAgent", "str"), ("httpReferrer", "str"),
    ("sslCertificateFingerprint", "hex20"), ("sslPolicyId", "uuid"), ("sslRuleId", "u32"),
    ("sslCipherSuite", "u16"), ("sslVersion", "u8"), ("sslServerCertificateStatus", "u32"),
    ("sslActualAction", "u16"), ("sslExpectedAction", "u16"), ("sslFlowStatus", "u16"),
    ("sslFlowError", "u32"), ("sslFlowMessages", "u32"), ("sslFlowFlags", "u64"),
    ("sslServerName", "str"), ("sslUrlCategory", "u32"), ("sslSessionId", "hex32"),
    ("sslSessionIdLength", "u8"), ("sslTicketId", "hex20"), ("sslTicketIdLength", "u8"),
    ("networkAnalysisPolicyRevision", "uuid"), ("endpointProfileId", "u32"),
    ("securityGroupId", "u32"), ("sourceSecurityGroupTag", "u16"),
    ("sourceSecurityGroupTagType", "u8"), ("destinationSecurityGroupTag", "u16"),
    ("destinationSecurityGroupTagType", "u8"), ("locationIpv6", "ipv6"), ("httpResponse", "u32"),
    ("dnsQuery", "str"), ("dnsRecordType", "u16"), ("dnsResponseType", "u16"), ("dnsTtl", "u32"),
    ("sinkholeUuid", "uuid"), ("securityIntelligenceList1", "u32"),
    ("securityIntelligenceList2", "u32"), ("threatIntelligenceCategory", "u32"),
    ("eveProcess", "str"), ("eveProcessConfidencePercentage", "u8"),
    ("eveThreatConfidencePercentage", "u8"), ("eveThreatConfidenceIndex", "u8"),
    ("clientAppDectectorId", "u8"), ("natInitiatorPort", "u16"), ("natResponderPort", "u16"),
    ("natInitiatorIp", "ipv6"), ("natResponderIp", "ipv6"), ("ingressVRFName", "str"),
    ("egressVRFName", "str"), ("sourceIpDynamicAttributes", "str"),
    ("destIpDynamicAttributes", "str"),
)

# Block 174 = block 173 plus, after threatIntelligenceCategory, the eve*, clientAppDectectorId,
# nat* fields.
_ADDED_IN_174 = {"eveProcess", "eveProcessConfidencePercentage", "eveThreatConfidencePercentage",
                 "eveThreatConfidenceIndex", "clientAppDectectorId", "natInitiatorPort",
                 "natResponderPort", "natInitiatorIp", "natResponderIp"}
CONNECTION_173 = tuple(row for row in CONNECTION_174 if row[0] not in _ADDED_IN_174)

INTRUSION_60 = (  # BLOCK_INTRUSION_EVENT_60 (series 2, wire type 60)
    ("deviceId", "u32", 8), ("eventId", "u32", 12), ("eventSecond", "u32", 16),
    ("eventMicrosecond", "u32", 20), ("ruleId", "u32", 24), ("generatorId", "u32", 28),
    ("ruleRevision", "u32", 32), ("classificationId", "u32", 36), ("priorityId", "u32", 40),
    ("sourceIpAddress", "ipv6", 44), ("destinationIpAddress", "ipv6", 60),
    ("sourcePortOrIcmpType", "u16", 76), ("destinationPortOrIcmpType", "u16", 78),
    ("ipProtocolId", "u8", 80), ("impactFlags", "u8", 81), ("impact", "u8", 82),
    ("blocked", "u8", 83), ("mplsLabel", "u32", 84), ("vlanId", "u16", 88), ("pad", "u16", 90),
    ("policyUuid", "uuid", 92), ("userId", "u32", 108), ("webApplicationId", "u32", 112),
    ("clientApplicationId", "u32", 116), ("applicationId", "u32", 120),
    ("accessControlRuleId", "u32", 124), ("accessControlPolicyUuid", "uuid", 128),
    ("interfaceIngressUuid", "uuid", 144), ("interfaceEgressUuid", "uuid", 160),
    ("securityZoneIngressUuid", "uuid", 176), ("securityZoneEgressUuid", "uuid", 192),
    ("connectionTimestamp", "u32", 208), ("connectionInstanceId", "u16", 212),
    ("connectionCounter", "u16", 214), ("sourceCountry", "u16", 216),
    ("destinationCountry", "u16", 218), ("iocNumber", "u16", 220),
    ("securityContext", "hex16", 222), ("sslCertificateFingerprint", "hex20", 238),
    ("sslActualAction", "u16", 258), ("sslFlowStatus", "u16", 260),
    ("networkAnalysisPolicyUuid", "uuid", 262), ("httpResponse", "u32", 278),
)

INTRUSION_85 = (  # BLOCK_INTRUSION_EVENT_85 (series 2, wire type 85)
    ("deviceId", "u32", 8), ("eventId", "u32", 12), ("eventSecond", "u32", 16),
    ("eventMicrosecond", "u32", 20), ("ruleId", "u32", 24), ("generatorId", "u32", 28),
    ("ruleRevision", "u32", 32), ("classificationId", "u32", 36), ("priorityId", "u32", 40),
    ("sourceIpAddress", "ipv6", 44), ("destinationIpAddress", "ipv6", 60),
    ("sourcePortOrIcmpType", "u16", 76), ("destinationPortOrIcmpType", "u16", 78),
    ("ipProtocolId", "u8", 80), ("impactFlags", "u8", 81), ("impact", "u8", 82),
    ("blocked", "u8", 83), ("blockedReasonId", "u8", 84), ("mplsLabel", "u32", 85),
    ("vlanId", "u16", 89), ("pad", "u16", 91), ("policyUuid", "uuid", 93), ("userId", "u32", 109),
    ("webApplicationId", "u32", 113), ("clientApplicationId", "u32", 117),
    ("applicationId", "u32", 121), ("accessControlRuleId", "u32", 125),
    ("accessControlPolicyUuid", "uuid", 129), ("interfaceIngressUuid", "uuid", 145),
    ("interfaceEgressUuid", "uuid", 161), ("securityZoneIngressUuid", "uuid", 177),
    ("securityZoneEgressUuid", "uuid", 193), ("connectionTimestamp", "u32", 209),
    ("connectionInstanceId", "u16", 213), ("connectionCounter", "u16", 215),
    ("sourceCountry", "u16", 217), ("destinationCountry", "u16", 219), ("iocNumber", "u16", 221),
    ("securityContext", "hex16", 223), ("sslCertificateFingerprint", "hex20", 239),
    ("sslActualAction", "u16", 259), ("sslFlowStatus", "u16", 261),
    ("networkAnalysisPolicyUuid", "uuid", 263), ("httpResponse", "u32", 279),
    ("ingressVRFName", "str", 283), ("egressVRFName", "str"), ("snortVersion", "u8"),
    ("originalSrcIP", "ipv6"), ("httpHostname", "str"), ("httpURI", "str"),
    ("smtpAttachments", "str"), ("smtpFrom", "str"), ("smtpHeaders", "str"), ("smptTo", "str"),
)

FILE_56 = (  # BLOCK_FILE_EVENT_60 (series 2, wire type 56)
    ("deviceId", "u32", 8), ("connectionInstance", "u16", 12), ("connectionCounter", "u16", 14),
    ("connectionTimestamp", "u32", 16), ("fileEventTimestamp", "u32", 20),
    ("sourceIpAddress", "ipv6", 24), ("destinationIpAddress", "ipv6", 40),
    ("disposition", "u8", 56), ("speroDisposition", "u8", 57), ("fileStorageStatus", "u8", 58),
    ("fileAnalysisStatus", "u8", 59), ("localMalwareAnalysisStatus", "u8", 60),
    ("archiveFileStatus", "u8", 61), ("threatScore", "u8", 62), ("action", "u8", 63),
    ("shaHash", "hex32", 64), ("fileTypeId", "u32", 96), ("fileName", "str", 100),
    ("fileSize", "u64"), ("direction", "u8"), ("applicationId", "u32"), ("userId", "u32"),
    ("uri", "str"), ("signature", "str"), ("sourcePort", "u16"), ("destinationPort", "u16"),
    ("protocol", "u8"), ("accessControlPolicyUuid", "uuid"), ("sourceCountry", "u16"),
    ("destinationCountry", "u16"), ("webApplicationId", "u32"), ("clientApplicationId", "u32"),
    ("securityContext", "hex16"), ("sslCertificateFingerprint", "hex20"),
    ("sslActualAction", "u16"), ("sslFlowStatus", "u16"), ("archiveSha", "str"),
    ("archiveName", "str"), ("archiveDepth", "u8"), ("httpResponse", "u32"),
)

MALWARE_62 = (  # BLOCK_MALWARE_EVENT_60 (series 2, wire type 62)
    ("agentUuid", "uuid", 8), ("cloudUuid", "uuid", 24), ("malwareEventTimestamp", "u32", 40),
    ("eventTypeId", "u32", 44), ("eventSubtypeId", "u32", 48), ("detectorId", "u8", 52),
    ("detectionName", "str", 53), ("user", "str"), ("fileName", "str"), ("filePath", "str"),
    ("fileShaHash", "str"), ("fileSize", "u32"), ("fileType", "u32"), ("fileTimestamp", "u32"),
    ("parentFileName", "str"), ("parentShaHash", "str"), ("eventDescription", "str"),
    ("deviceId", "u32"), ("connectionInstance", "u16"), ("connectionCounter", "u16"),
    ("connectionEventTimestamp", "u32"), ("direction", "u8"), ("sourceIpAddress", "ipv6"),
    ("destinationIpAddress", "ipv6"), ("applicationId", "u32"), ("userId", "u32"),
    ("accessControlPolicyUuid", "uuid"), ("disposition", "u8"), ("retroDisposition", "u8"),
    ("uri", "str"), ("sourcePort", "u16"), ("destinationPort", "u16"), ("sourceCountry", "u16"),
    ("destinationCountry", "u16"), ("webApplicationId", "u32"), ("clientApplicationId", "u32"),
    ("action", "u8"), ("protocol", "u8"), ("threatScore", "u8"), ("iocNumber", "u16"),
    ("securityContext", "hex16"), ("sslCertificateFingerprint", "hex20"),
    ("sslActualAction", "u16"), ("sslFlowStatus", "u16"), ("archiveSha", "str"),
    ("archiveName", "str"), ("archiveDepth", "u8"), ("httpResponse", "u32"),
)

CORRELATION_156 = (  # BLOCK_CORRELATION_EVENT_54 (series 1, wire type 156)
    ("deviceId", "u32", 8), ("correlationEventSecond", "u32", 12), ("eventId", "u32", 16),
    ("policyId", "u32", 20), ("ruleId", "u32", 24), ("priority", "u32", 28),
    ("eventDescription", "str", 32), ("eventType", "u8"), ("eventDeviceId", "u32"),
    ("signatureId", "u32"), ("signatureGeneratorId", "u32"), ("triggerEventSecond", "u32"),
    ("triggerEventMicrosecond", "u32"), ("deviceEventId", "u32"), ("eventDefinedMask", "u32"),
    ("eventImpactFlags", "u8"), ("ipProtocol", "u8"), ("networkProtocol", "u16"),
    ("sourceIp", "u32"), ("sourceHostType", "u8"), ("sourceVlanId", "u16"),
    ("sourceOperatingSystemFingerprintUuid", "uuid"), ("sourceCriticality", "u16"),
    ("sourceUserId", "u32"), ("sourcePort", "u16"), ("sourceServerId", "u32"),
    ("destinationIp", "u32"), ("destinationHostType", "u8"), ("destinationVlanId", "u16"),
    ("destinationOperatingSystemFingerprintUuid", "uuid"), ("destinationCriticality", "u16"),
    ("destinationUserId", "u32"), ("destinationPort", "u16"), ("destinationServerId", "u32"),
    ("impact", "u8"), ("blocked", "u8"), ("intrusionPolicy", "uuid"), ("ruleAction", "u32"),
    ("netbios", "str"), ("urlCategory", "u32"), ("urlReputation", "u32"), ("url", "str"),
    ("clientId", "u32"), ("clientVersion", "str"), ("accessControlPolicyRevision", "uuid"),
    ("accessControlRuleId", "u32"), ("ingressIntefaceUuid", "uuid"),
    ("egressIntefaceUuid", "uuid"), ("ingressZoneUuid", "uuid"), ("egressZoneUuid", "uuid"),
    ("sourceIpv6Address", "ipv6"), ("destinationIpv6Address", "ipv6"), ("sourceCountry", "u16"),
    ("destinationCountry", "u16"), ("securityIntelligenceUuid", "uuid"),
    ("securityContext", "hex16"), ("sslPolicyId", "hex16"), ("sslRuleId", "u32"),
    ("sslActualAction", "u32"), ("sslFlowStatus", "u32"), ("sslCertificateFingerprint", "hex20"),
)

USER_167 = (  # BLOCK_USER_UPDATE_MSG_INFORMATION_62 (series 1, 167), before vpnSession
    ("timestamp", "u32", 8), ("ipv4Address", "ipv4", 12), ("username", "str", 16),
    ("domain", "str"), ("userId", "u32"), ("realmId", "u32"), ("endpointProfileId", "u32"),
    ("securityGroupId", "u32"), ("protocol", "u32"), ("port", "u16"), ("rangeStart", "u16"),
    ("startPort", "u16"), ("endPort", "u16"), ("email", "str"), ("ipv6Address", "ipv6"),
    ("locationIpv6Address", "ipv6"), ("loginType", "u8"), ("authType", "u8"),
    ("reportedBy", "str"), ("description", "str"),
)

VPN_SESSION_166 = (  # BLOCK_USER_INFORMATION_VPN_SESSION_62: defined without a header
    ("index", "u32", 0), ("vpnType", "u8", 4), ("groupPolicy", "str", 5),
    ("vpnConnectionProfile", "str"), ("clientIP", "hex16"), ("countryCode", "u16"),
    ("clientOS", "str"), ("clientApplication", "str"), ("connectionDuration", "u32"),
    ("bytesTransmitted", "u64"), ("bytesReceived", "u64"),
)

_INT_FORMATS = {"u8": ">B", "u16": ">H", "u32": ">I", "u64": ">Q"}
_HEX_SIZES = {"hex16": 16, "hex20": 20, "hex32": 32}


def table_sample(rows, seed=1, base=8, ints=None, texts=None):
    """Bytes of one instance of a spec table, with a distinct value in every field, and the
    fields the decoder must produce from them. ``base`` is the table offset of the first row
    (8 after a block header); the offsets the table states are checked as the bytes are laid
    out. ``ints`` = "zero" or "max" puts every integer at that boundary instead."""
    out, expected = bytearray(), {}
    for i, row in enumerate(rows):
        name, kind = row[0], row[1]
        if len(row) > 2:
            assert base + len(out) == row[2], f"{name}: transcribed offset {row[2]}"
        if kind in _INT_FORMATS:
            bits = struct.calcsize(_INT_FORMATS[kind]) * 8
            if ints == "zero":
                value = 0
            elif ints == "max":
                value = (1 << bits) - 1
            else:  # distinct, and using the top byte so byte order matters
                value = ((seed << (bits - 4)) | (i + 1) * 0x0101) & ((1 << bits) - 1)
            out += struct.pack(_INT_FORMATS[kind], value)
        elif kind == "uuid":
            value_uuid = uuid.UUID(int=(seed << 120) | (0xabcdef << 64) | (i + 1))
            out += value_uuid.bytes
            value = str(value_uuid)
        elif kind == "ipv6":
            if i % 2:
                value = f"10.{seed}.{i // 256}.{i % 256}"
                text = f"::ffff:{value}"
            else:
                text = value = f"2001:db8:{seed:x}::{i + 1:x}"
            out += ip6(text)
        elif kind == "ipv4":
            value = f"192.0.{seed}.{i}"
            out += ip4(value)
        elif kind in _HEX_SIZES:
            raw = bytes((0xa0 + seed * 16 + i + k) % 256 for k in range(_HEX_SIZES[kind]))
            out += raw
            value = raw.hex()
        elif kind == "str":
            text = (f"{name}{seed}", f"{name}·é{seed}", "", f"{name}{seed}\x00")[i % 4]
            text = (texts or {}).get(name, text)
            out += string_block(text)
            value = text.rstrip("\x00")
        else:
            raise AssertionError(f"no packer for {kind}")
        expected[name] = value
    return bytes(out), expected


def connection_record(block_type, rows, *, seed=3, ints=None, archive=1606927646):
    body, fields = table_sample(rows, seed=seed, ints=ints)
    device_id = struct.unpack_from(">I", body)[0]  # the header repeats the block's device
    data = block(block_type, body)
    rec_body = record(71, discovery_header(device_id=device_id, host_ip="::"), data,
                      archive=archive)
    return rec_body, dict(fields, blockType=block_type, blockLength=len(data))
