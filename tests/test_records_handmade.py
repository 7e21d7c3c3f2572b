"""The record decoder against bytes assembled here, straight from the protocol reference.

Every record below is packed with ``struct`` from the spec's tables (§3, §4, Appendices A–C of
spec/estreamer-protocol.md), never with the library's encoder or its catalog, so these tests
anchor the codec outside its own tables: a row transcribed at the wrong offset, with the wrong
type or under the wrong name fails here even though a round trip through the codec would not.
"""
from __future__ import annotations

import socket
import struct
import uuid

import pytest

from estreamer.decoder import RecordDecoder
from estreamer.layout import ParseError

# --- the wire, as the spec describes it -------------------------------------------------------


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
    """Series-1 block 0: ``uint32 0 | uint32 8+n | n bytes`` (§4.1)."""
    data = _data(value)
    return u32(0) + u32(8 + len(data)) + data


def blob_block(value):
    """Series-1 block 10, laid out like a string block (§4.1)."""
    data = _data(value)
    return u32(10) + u32(8 + len(data)) + data


def block(block_type, *parts, length=None):
    """``uint32 blockType | uint32 blockLength (incl. these 8) | data``; ``length`` overrides."""
    payload = b"".join(parts)
    return u32(block_type) + u32(8 + len(payload) if length is None else length) + payload


def list_block(*items):
    """``uint32 listType | uint32 listLength (incl. these 8) | items`` (§4.1)."""
    payload = b"".join(items)
    return u32(11) + u32(8 + len(payload)) + payload


def record(record_type, *parts, archive=None):
    """A record body (§3.1): 8-byte header, or 16 bytes with the archive timestamp."""
    data = b"".join(parts)
    if archive is None:
        return u32(record_type) + u32(len(data)) + data
    return u32(record_type) + u32(len(data)) + u32(archive) + u32(0) + data


def discovery_header(*, device_id=1, mac="00:00:00:00:00:00", host_ip=None, second=0, usec=0,
                     event_type=1003, subtype=1):
    """§3.2: 40 bytes, then the host's IPv6 address only when Has IPv6 is 1."""
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


# --- spec tables, for the big blocks ----------------------------------------------------------
# (name, type[, offset from block start as the spec table gives it]), without blockType/blockLength.

CONNECTION_160 = (  # Appendix B, BLOCK_CONNECTION_STATISTICS_60 (series 1, wire type 160)
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

CONNECTION_174 = (  # Appendix C, BLOCK_CONNECTION_STATISTICS_174 (series 1, wire type 174)
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

# §4.3: 174 = 173 plus, after threatIntelligenceCategory, the eve*, clientAppDectectorId, nat*.
_ADDED_IN_174 = {"eveProcess", "eveProcessConfidencePercentage", "eveThreatConfidencePercentage",
                 "eveThreatConfidenceIndex", "clientAppDectectorId", "natInitiatorPort",
                 "natResponderPort", "natInitiatorIp", "natResponderIp"}
CONNECTION_173 = tuple(row for row in CONNECTION_174 if row[0] not in _ADDED_IN_174)

INTRUSION_60 = (  # Appendix B, BLOCK_INTRUSION_EVENT_60 (series 2, wire type 60)
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

INTRUSION_85 = (  # Appendix C, BLOCK_INTRUSION_EVENT_85 (series 2, wire type 85)
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

FILE_56 = (  # Appendix B, BLOCK_FILE_EVENT_60 (series 2, wire type 56)
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

MALWARE_62 = (  # Appendix B, BLOCK_MALWARE_EVENT_60 (series 2, wire type 62)
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

CORRELATION_156 = (  # Appendix B, BLOCK_CORRELATION_EVENT_54 (series 1, wire type 156)
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

USER_167 = (  # Appendix C, BLOCK_USER_UPDATE_MSG_INFORMATION_62 (series 1, 167), before vpnSession
    ("timestamp", "u32", 8), ("ipv4Address", "ipv4", 12), ("username", "str", 16),
    ("domain", "str"), ("userId", "u32"), ("realmId", "u32"), ("endpointProfileId", "u32"),
    ("securityGroupId", "u32"), ("protocol", "u32"), ("port", "u16"), ("rangeStart", "u16"),
    ("startPort", "u16"), ("endPort", "u16"), ("email", "str"), ("ipv6Address", "ipv6"),
    ("locationIpv6Address", "ipv6"), ("loginType", "u8"), ("authType", "u8"),
    ("reportedBy", "str"), ("description", "str"),
)

VPN_SESSION_166 = (  # Appendix C, BLOCK_USER_INFORMATION_VPN_SESSION_62: defined without a header
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


# --- record header (§3.1) ---------------------------------------------------------------------

def test_a_body_of_8_plus_length_has_no_archive_timestamp():
    rec = decode(record(123, u32(7) + u32(4) + b"fmc1"))

    assert rec == {"recordType": 123, "id": 7, "length": 4, "name": "fmc1"}
    assert "archiveTimestamp" not in rec


def test_a_body_of_16_plus_length_carries_the_archive_timestamp():
    rec = decode(record(123, u32(7) + u32(4) + b"fmc1", archive=0xFFFFFFFE))

    assert rec == {"recordType": 123, "archiveTimestamp": 0xFFFFFFFE, "id": 7, "length": 4,
                   "name": "fmc1"}


@pytest.mark.parametrize("extra", [1, 4, 7, 9, 12, 100])
def test_a_record_length_matching_neither_header_is_a_parse_error_naming_the_lengths(extra):
    data = u32(7) + u32(4) + b"fmc1"
    body = u32(123) + u32(len(data)) + bytes(extra) + data

    with pytest.raises(ParseError) as caught:
        decode(body)

    message = str(caught.value)
    assert f"record length {len(data)}" in message
    assert f"{len(body)}-byte message" in message


def test_a_body_shorter_than_the_record_header_is_a_parse_error():
    with pytest.raises(ParseError, match="record header needs 8 bytes"):
        decode(b"\x00\x00\x00\x7b\x00")


# --- field types (§4.1) -----------------------------------------------------------------------

@pytest.mark.parametrize("ints", ["zero", "max"])
def test_unsigned_integers_of_every_width_decode_at_their_boundaries(ints):
    body, expected = connection_record(160, CONNECTION_160, ints=ints)
    limits = {"zero": (0, 0, 0, 0), "max": (0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)}[ints]

    rec = decode(body)

    assert_fields(rec, expected)
    u8_, u16_, u32_, u64_ = limits
    assert (rec["protocol"], rec["ruleAction"], rec["ruleId"], rec["sslFlowFlags"]) == (
        u8_, u16_, u32_, u64_)


def test_fixed_size_byte_strings_are_lowercase_hex_of_the_raw_bytes():
    sha256 = bytes(range(0xE0, 0x100))
    fingerprint, serial = bytes(range(0xEC, 0x100)), b"\xAB" * 20
    revision = bytes.fromhex("00FF10EF20DF30CF40BF50AF609F708F")

    sha = decode(record(511, block(40, sha256, string_block("a.exe"), u8(1), u8(0))))
    cert = decode(record(614, block(50, fingerprint, bytes(20), serial, u32(9), *(
        string_block("") for _ in range(8)), u32(1), u32(2))))
    rule = decode(record(601, revision, u32(5), string_block("decrypt")))

    assert sha["shaHash"] == "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
    assert cert["fingerprintShaHash"] == "ecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
    assert cert["serialNumber"] == "ab" * 20
    assert rule["revision"] == "00ff10ef20df30cf40bf50af609f708f"


def test_a_uuid_is_the_canonical_8_4_4_4_12_lowercase_form_of_the_raw_bytes():
    raw = bytes.fromhex("173E48688FFA11E69C288816DEB0AACF")
    rec = decode(record(115, block(14, raw, string_block("inside"))))

    assert rec["uuid"] == "173e4868-8ffa-11e6-9c28-8816deb0aacf"


@pytest.mark.parametrize("address, text", [
    ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334"),
    ("fe80:1:2:3:4:5:6:7", "fe80:1:2:3:4:5:6:7"),
    ("::ffff:192.168.50.50", "192.168.50.50"),
    ("::", "::"),
])
def test_an_ipv6_address_is_text_with_ipv4_mapped_as_a_dotted_quad_and_zero_as_double_colon(
        address, text):
    rec = decode(record(29, discovery_header(host_ip="2001:db8::1", event_type=1001), ip6(address),
                        archive=1))

    assert rec["ipAddress"] == text
    assert rec["hostIpAddr"] == "2001:db8::1"


def test_an_ipv4_address_is_a_dotted_quad():
    rec = decode(record(73, discovery_header(), block(
        136, ip4("10.1.2.3"), ip4("203.0.113.250"), u32(1), u32(2), u16(443), u8(6), u8(1),
        ip4("255.255.255.255"), u64(1), u64(2), u64(3), u64(4), u32(5))))

    assert_fields(rec, {"initiatorIpAddress": "10.1.2.3", "responderIpAddress": "203.0.113.250",
                        "netflowDetectorIpAddress": "255.255.255.255", "responderPort": 443,
                        "connections": 5})


def test_a_mac_address_is_colon_separated_lowercase_hex():
    rec = decode(record(28, discovery_header(mac="00:1B:21:AA:0F:9E"), block(
        95, u8(64), mac_bytes("F0:DE:F1:01:02:A3"), u8(1), u32(1606927646))))

    assert rec["macAddress"] == "00:1b:21:aa:0f:9e"
    assert rec["mac"] == {"blockType": 95, "blockLength": 20, "ttl": 64,
                          "address": "f0:de:f1:01:02:a3", "primary": 1, "lastSeen": 1606927646}


def test_a_string_block_loses_its_trailing_nuls():
    # Spec §4.9's real record 98, byte for byte.
    body = bytes.fromhex("00000062 00000033 00000039 00000033 0098967d 00000000 00000000 00000023")
    body += b"No Authentication Required\x00"

    assert decode(body) == {"recordType": 98, "blockType": 57, "blockLength": 51, "id": 9999997,
                            "protocol": 0, "name": "No Authentication Required"}


def test_an_empty_string_block_has_length_8_and_decodes_to_an_empty_string():
    rec = decode(record(115, block(14, bytes(16), u32(0) + u32(8))))

    assert rec["name"] == ""
    assert rec["blockLength"] == 8 + 16 + 8


def test_a_string_block_that_is_not_utf8_is_lowercase_hex():
    rec = decode(record(115, block(14, bytes(16), string_block(b"\xff\xfeZ\x00\xc3"))))

    assert rec["name"] == "fffe5a00c3"


def test_a_variable_field_takes_its_length_from_an_earlier_uint16_length():
    rec = decode(record(4, u32(3), u16(6), b"Medium"))

    assert rec == {"recordType": 4, "id": 3, "length": 6, "name": "Medium"}


def test_variable_fields_chain_each_after_its_own_length():
    rec = decode(record(54, uuid_bytes("5c0e1b8e-1b2b-4c3d-8e9f-0a1b2c3d4e5f"),
                        u32(7), b"Windows", u32(9), b"Microsoft", u32(0), b""))

    assert rec == {"recordType": 54, "uuid": "5c0e1b8e-1b2b-4c3d-8e9f-0a1b2c3d4e5f",
                   "nameLength": 7, "name": "Windows", "vendorLength": 9, "vendor": "Microsoft",
                   "versionLength": 0, "version": ""}


def test_a_variable_field_loses_its_nuls_and_falls_back_to_hex_when_not_utf8():
    text = decode(record(123, u32(1), u32(8), b"fmc\x00one\x00"))
    binary = decode(record(123, u32(2), u32(3), b"\x80\x81\xaa"))

    assert text["name"] == "fmcone"
    assert binary["name"] == "8081aa"


def test_discovery_header_with_has_ipv6_1_carries_the_host_address():
    rec = decode(record(22, discovery_header(device_id=7, mac="02:00:5e:00:53:01",
                                             host_ip="2001:db8::dead:beef", second=1606927000,
                                             usec=999999, event_type=1001, subtype=5), u8(3)))

    assert_fields(rec, discovery_fields(device_id=7, mac="02:00:5e:00:53:01",
                                        host_ip="2001:db8::dead:beef", second=1606927000,
                                        usec=999999, event_type=1001, subtype=5))
    assert rec["hops"] == 3


def test_discovery_header_with_has_ipv6_0_has_no_host_address():
    rec = decode(record(22, discovery_header(device_id=7, event_type=1001, subtype=5), u8(3)))

    assert "hostIpAddr" not in rec
    assert_fields(rec, discovery_fields(device_id=7, event_type=1001, subtype=5))
    assert rec["hops"] == 3  # read right after the 40-byte header


# --- connection (§4.3) ------------------------------------------------------------------------

def test_connection_71_with_block_160_decodes_every_field_of_the_table():
    body, expected = connection_record(160, CONNECTION_160)

    rec = decode(body)

    assert_fields(rec, expected)
    assert_fields(rec, {"recordType": 71, "archiveTimestamp": 1606927646, "hasIpv6": 1,
                        "hostIpAddr": "::", "eventType": 1003, "eventSubtype": 1})


@pytest.mark.parametrize("block_type, rows", [(173, CONNECTION_173), (174, CONNECTION_174)],
                         ids=["173", "174"])
def test_connection_71_picks_the_newer_block_layout_by_the_block_type_on_the_wire(
        block_type, rows):
    body, expected = connection_record(block_type, rows, seed=5)

    rec = decode(body)

    assert_fields(rec, expected)
    assert rec["recordType"] == 71


def test_connection_71_without_archive_timestamp_still_decodes():
    body, expected = connection_record(160, CONNECTION_160, archive=None)

    rec = decode(body)

    assert "archiveTimestamp" not in rec
    assert_fields(rec, expected)


# --- intrusion family (§4.4–4.6, 9) -----------------------------------------------------------

@pytest.mark.parametrize("block_type, rows", [(60, INTRUSION_60), (85, INTRUSION_85)],
                         ids=["60", "85"])
def test_intrusion_400_decodes_the_series_2_block_named_on_the_wire(block_type, rows):
    body, expected = table_sample(rows, seed=2)
    data = block(block_type, body)

    rec = decode(record(400, data, archive=1606927700))

    assert_fields(rec, dict(expected, blockType=block_type, blockLength=len(data)))
    assert rec["recordType"] == 400


@pytest.mark.parametrize("payload, shown", [
    (b"GET /index.html?q=\xc3\xa9", "474554202f696e6465782e68746d6c3f713dc3a9"),
    (bytes(10) + b"\xff\xff\xc0\xa8\x01\x01", "00000000000000000000ffffc0a80101"),
])
def test_extra_data_110_shows_its_blob_as_hex_whatever_it_holds(payload, shown):
    data = block(4, u32(1), u32(77), u32(1606927700), u32(9), blob_block(payload))

    rec = decode(record(110, data, archive=1606927701))

    assert rec == {"recordType": 110, "archiveTimestamp": 1606927701, "blockType": 4,
                   "blockLength": len(data), "deviceId": 1, "eventId": 77,
                   "eventSecond": 1606927700, "type": 9, "blob": shown}


@pytest.mark.parametrize("frame, shown", [
    (bytes.fromhex("ffffffffffff0050568a0b0c08004500"), "ffffffffffff0050568a0b0c08004500"),
    (b"HTTP/1.1 200 OK\r\n", "485454502f312e3120323030204f4b0d0a"),
])
def test_packet_2_frame_is_hex_even_when_it_happens_to_be_utf8(frame, shown):
    body = record(2, u32(1), u32(77), u32(1606927700), u32(1606927699), u32(123456), u32(1),
                  u32(len(frame)), frame, archive=1606927702)

    assert decode(body) == {"recordType": 2, "archiveTimestamp": 1606927702, "deviceId": 1,
                            "eventId": 77, "eventSecond": 1606927700,
                            "packetSecond": 1606927699, "packetMicrosecond": 123456,
                            "linkType": 1, "packetLength": len(frame), "packetData": shown}


def test_impact_alert_9_decodes_block_153():
    data = block(153, u32(77), u32(1), u32(1606927700), u32(0b11011000), ip6("::ffff:10.0.0.5"),
                 ip6("2001:db8::80"), string_block("Impact 1: vulnerable host"))

    rec = decode(record(9, data, archive=1606927703))

    assert rec == {"recordType": 9, "archiveTimestamp": 1606927703, "blockType": 153,
                   "blockLength": len(data), "eventId": 77, "deviceId": 1,
                   "eventSecond": 1606927700, "impact": 0b11011000,
                   "sourceIpAddress": "10.0.0.5", "destinationIpAddress": "2001:db8::80",
                   "description": "Impact 1: vulnerable host"}


# --- file and malware (§4.7) ------------------------------------------------------------------

@pytest.mark.parametrize("record_type", [500, 502])
def test_file_events_decode_block_56_with_a_cjk_file_name(record_type):
    cjk = "年度報告書_最終版.pdf"
    body, expected = table_sample(FILE_56, seed=4, texts={"fileName": cjk})
    data = block(56, body)

    rec = decode(record(record_type, data, archive=1606927704))

    assert rec["fileName"] == cjk
    assert_fields(rec, dict(expected, blockType=56, blockLength=len(data)))


def test_malware_125_decodes_block_62():
    body, expected = table_sample(MALWARE_62, seed=6)
    data = block(62, body)

    rec = decode(record(125, data, archive=1606927705))

    assert_fields(rec, dict(expected, blockType=62, blockLength=len(data)))


def test_correlation_112_decodes_block_156():
    body, expected = table_sample(CORRELATION_156, seed=7)
    data = block(156, body)

    rec = decode(record(112, data))

    assert_fields(rec, dict(expected, blockType=156, blockLength=len(data)))
    assert "archiveTimestamp" not in rec


# --- users and VPN (§4.9) ---------------------------------------------------------------------

def _user_block(seed, client_ip=b"\x00" * 10 + b"\xff\xff\xc6\x33\x64\x07"):
    fixed, expected = table_sample(USER_167, seed=seed)
    # The session item around its clientIP (row 4), which the callers choose.
    head, session_fields = table_sample(VPN_SESSION_166[:4], seed=seed, base=0)
    tail, tail_fields = table_sample(VPN_SESSION_166[5:], seed=seed + 1)
    session = head + client_ip + tail
    session_fields.update(tail_fields)
    data = block(167, fixed, list_block(session))
    return data, dict(expected, blockType=167, blockLength=len(data)), session_fields


def test_user_login_95_nests_block_167_under_user_with_its_vpn_session_items():
    data, user, session = _user_block(seed=8)

    rec = decode(record(95, discovery_header(host_ip="2001:db8::95", event_type=1004,
                                             subtype=2), data, archive=1606927706))

    assert_fields(rec, discovery_fields(host_ip="2001:db8::95", event_type=1004, subtype=2))
    assert_fields(rec["user"], user)
    assert len(rec["user"]["vpnSession"]) == 1
    assert_fields(rec["user"]["vpnSession"][0], session)


def test_vpn_session_client_ip_is_the_hex_of_its_16_bytes_as_the_table_says():
    # Appendix B and C both type block 166's clientIP as uint8[16] (hex), unlike the
    # ipv6-typed addresses of block 167 (spec §4.9); the CIM mapper turns it into an address.
    data, _, _ = _user_block(seed=8, client_ip=bytes(12) + b"\xc6\x33\x64\x07")

    rec = decode(record(95, discovery_header(), data))

    assert rec["user"]["vpnSession"][0]["clientIP"] == "000000000000000000000000c6336407"


@pytest.mark.parametrize("record_type, key", [(170, "userLogin"), (171, "userLogoff")])
def test_vpn_records_nest_block_167_under_their_own_key(record_type, key):
    data, user, session = _user_block(seed=9)

    rec = decode(record(record_type, discovery_header(), data, archive=1606927707))

    assert_fields(rec[key], user)
    assert_fields(rec[key]["vpnSession"][0], session)


# --- RNA host discovery (§4.10) ---------------------------------------------------------------

def _os_fingerprint(seed):
    mobile = block(131, string_block(f"iPhone{seed}"), u32(1606927000 + seed), u32(1), u32(0))
    data = block(130, uuid_bytes(f"00000000-0000-4000-8000-00000000013{seed}"), u32(seed),
                 u32(2), u32(3), u32(1606927100), u8(64), list_block(mobile))
    fields = {"blockType": 130, "blockLength": len(data),
              "uuid": f"00000000-0000-4000-8000-00000000013{seed}", "type": seed,
              "sourceType": 2, "sourceId": 3, "lastSeen": 1606927100, "ttlDifference": 64,
              "mobileDevice": [{"blockType": 131, "blockLength": len(mobile),
                                "string": f"iPhone{seed}", "lastSeen": 1606927000 + seed,
                                "mobile": 1, "jailbroken": 0}]}
    return data, fields


def _host_server(port):
    subserver = block(1, string_block("Apache"), string_block("ASF"), string_block("2.4"))
    info = block(117, u32(676), string_block("Apache"), string_block("2.4.41"), u32(1606927200),
                 u32(1), u32(2), list_block(subserver))
    web = block(123, u32(929))
    data = block(103, u16(port), u32(12), u32(1606927300), list_block(info), u32(100),
                 list_block(web))
    fields = {"blockType": 103, "blockLength": len(data), "port": port, "hits": 12,
              "lastUsed": 1606927300, "confidence": 100,
              "serverInformation": [{
                  "blockType": 117, "blockLength": len(info), "applicationId": 676,
                  "vendor": "Apache", "version": "2.4.41", "lastUsed": 1606927200,
                  "sourceType": 1, "sourceId": 2,
                  "subServers": [{"blockType": 1, "blockLength": len(subserver),
                                  "subServerName": "Apache", "vendor": "ASF", "version": "2.4"}]}],
              "webApplication": [{"blockType": 123, "blockLength": 12, "applicationId": 929}]}
    return data, fields


def test_new_tcp_server_11_decodes_block_103_with_its_nested_lists():
    data, fields = _host_server(443)

    rec = decode(record(11, discovery_header(host_ip="::ffff:192.168.50.50", event_type=1000,
                                             subtype=2), data, archive=1606927708))

    assert rec["hostIpAddr"] == "192.168.50.50"
    assert rec["hostServer"] == fields


def test_new_host_10_decodes_block_139_with_its_nested_lists():
    # Appendix B block 139: blockType at 0, its length ("blockString") at 4, ipAddress at 8.
    fingerprint, fingerprint_fields = _os_fingerprint(1)
    server, server_fields = _host_server(22)
    mac = block(95, u8(64), mac_bytes("00:50:56:8a:0b:0c"), u8(1), u32(1606927400))
    client = block(112, u32(5), u32(1606927500), u32(1296), string_block("87.0"),
                   list_block(block(123, u32(178))),
                   list_block(block(85, u32(9001), u8(0), u32(2))))
    lists = (list_block(fingerprint),) + (list_block(),) * 8
    data = block(139, ip6("2001:db8::10"), u8(2), u8(0), *lists, list_block(server), list_block(),
                 list_block(block(4, u16(2048))), list_block(block(4, u16(6))), list_block(mac),
                 u32(1606927600), u32(0), u8(0), u8(0), u8(1), u16(100), u8(0), u8(5),
                 list_block(client), string_block("HOST10"))

    rec = decode(record(10, discovery_header(host_ip="2001:db8::10", event_type=1000, subtype=1),
                        data))

    profile = rec["hostProfile"]
    assert_fields(profile, {
        "ipAddress": "2001:db8::10", "hops": 2, "primarySecondary": 0,
        "serverFingerprints": [fingerprint_fields], "clientFingerprints": [],
        "userAgentFingerprints": [], "tcpServer": [server_fields], "udpServer": [],
        "networkProtocol": [{"blockType": 4, "blockLength": 10, "protocol": 2048}],
        "transportProtocol": [{"blockType": 4, "blockLength": 10, "protocol": 6}],
        "hostMacAddress": [{"blockType": 95, "blockLength": 20, "ttl": 64,
                            "address": "00:50:56:8a:0b:0c", "primary": 1,
                            "lastSeen": 1606927400}],
        "hostLastSeen": 1606927600, "hostType": 0, "mobile": 0, "jailbroken": 0,
        "vlanPresence": 1, "vlanId": 100, "vlanType": 0, "vlanPriority": 5,
        "netbios": "HOST10"})
    assert profile["clientApplications"] == [{
        "blockType": 112, "blockLength": len(client), "hits": 5, "lastUsed": 1606927500,
        "applicationId": 1296, "version": "87.0",
        "webApplication": [{"blockType": 123, "blockLength": 12, "applicationId": 178}],
        "vulnerability": [{"blockType": 85, "blockLength": 17, "vulnerabilityId": 9001,
                           "invalidFlags": 0, "type": 2}]}]


def test_new_transport_protocol_14_reads_one_byte_after_the_header():
    rec = decode(record(14, discovery_header(host_ip="::ffff:10.0.0.1", event_type=1000,
                                             subtype=4), u8(17)))

    assert rec["transportProtocol"] == 17
    assert rec["hostIpAddr"] == "10.0.0.1"


def test_hops_change_22_reads_one_byte_after_the_header():
    rec = decode(record(22, discovery_header(host_ip="::ffff:10.0.0.2", event_type=1001,
                                             subtype=5), u8(255)))

    assert rec["hops"] == 255


def test_host_ip_changed_29_reads_the_new_address():
    rec = decode(record(29, discovery_header(host_ip="2001:db8::29", event_type=1001, subtype=1),
                        ip6("2001:db8::2a")))

    assert rec["ipAddress"] == "2001:db8::2a"
    assert rec["hostIpAddr"] == "2001:db8::29"


# --- metadata (§4.11) -------------------------------------------------------------------------

def test_priority_4_has_a_uint16_length():
    assert decode(record(4, u32(1), u16(4), b"high")) == {
        "recordType": 4, "id": 1, "length": 4, "name": "high"}


def test_fingerprint_54_has_three_length_prefixed_texts():
    body = record(54, uuid_bytes("00010203-0405-0607-0809-0a0b0c0d0e0f"), u32(5), b"Linux",
                  u32(10), b"Linux Org.", u32(3), b"5.4")

    assert decode(body) == {
        "recordType": 54, "uuid": "00010203-0405-0607-0809-0a0b0c0d0e0f", "nameLength": 5,
        "name": "Linux", "vendorLength": 10, "vendor": "Linux Org.", "versionLength": 3,
        "version": "5.4"}


def test_rule_message_66_has_a_uint16_message_length_before_two_uuids():
    message = "PROTOCOL-ICMP Echo Reply"
    body = record(66, u32(1), u32(408), u32(8), u32(408), u16(len(message)),
                  uuid_bytes("11111111-2222-3333-4444-555555555555"),
                  uuid_bytes("66666666-7777-8888-9999-aaaaaaaaaaaa"), message.encode())

    assert decode(body) == {
        "recordType": 66, "generatorId": 1, "ruleId": 408, "ruleRevision": 8,
        "signatureId": 408, "messageLength": len(message),
        "ruleUuid": "11111111-2222-3333-4444-555555555555",
        "ruleRevisionUuid": "66666666-7777-8888-9999-aaaaaaaaaaaa", "message": message}


@pytest.mark.parametrize("record_type", [115, 116, 117, 118, 127, 322])
def test_uuid_name_metadata_decodes_series_2_block_14(record_type):
    data = block(14, uuid_bytes("ed81dc4e-3444-11eb-a581-703a42c735fb"), string_block("inside\0"))

    assert decode(record(record_type, data)) == {
        "recordType": record_type, "blockType": 14, "blockLength": len(data),
        "uuid": "ed81dc4e-3444-11eb-a581-703a42c735fb", "name": "inside"}


def test_access_control_rule_119_decodes_series_2_block_15():
    data = block(15, uuid_bytes("00000000-0000-0000-0000-00005fc6fa72"), u32(268434433),
                 string_block("Allow web"))

    assert decode(record(119, data)) == {
        "recordType": 119, "blockType": 15, "blockLength": len(data),
        "uuid": "00000000-0000-0000-0000-00005fc6fa72", "id": 268434433, "name": "Allow web"}


def test_managed_device_123_is_id_length_name():
    assert decode(record(123, u32(1), u32(9), b"ftdv-6.7\x00")) == {
        "recordType": 123, "id": 1, "length": 9, "name": "ftdv-6.7"}


def test_access_control_policy_145_decodes_series_2_block_64():
    data = block(64, uuid_bytes("59b12e88-3436-11eb-9e8e-59cf41c735fb"), u32(1),
                 string_block("Default ACP"))

    assert decode(record(145, data)) == {
        "recordType": 145, "blockType": 64, "blockLength": len(data),
        "uuid": "59b12e88-3436-11eb-9e8e-59cf41c735fb", "sensorId": 1, "name": "Default ACP"}


def test_geolocation_520_decodes_series_2_block_28():
    data = block(28, u16(840), string_block("united states"))

    assert decode(record(520, data)) == {"recordType": 520, "blockType": 28, "blockLength": 31,
                                         "countryCode": 840, "country": "united states"}


@pytest.mark.parametrize("record_type, block_type", [(530, 0x214), (700, 14)])
def test_file_policy_530_and_network_analysis_policy_700_carry_an_inline_block_header(
        record_type, block_type):
    data = block(block_type, uuid_bytes("59b12e88-3436-11eb-9e8e-59cf41c735fb"),
                 string_block("Balanced Security and Connectivity"))

    assert decode(record(record_type, data)) == {
        "recordType": record_type, "blockType": block_type, "blockLength": len(data),
        "uuid": "59b12e88-3436-11eb-9e8e-59cf41c735fb",
        "name": "Balanced Security and Connectivity"}


# --- versions and malformed input -------------------------------------------------------------

def test_a_block_shorter_than_its_table_ending_on_a_field_boundary_lacks_the_remaining_fields():
    # An older intrusion block: block 60's table up to iocNumber (the legacy block-41 extent).
    body, expected = table_sample(INTRUSION_60, seed=2)
    cut = 222 - 8
    data = block(60, body[:cut])

    rec = decode(record(400, data, archive=1))

    assert rec["blockLength"] == 222
    assert rec["iocNumber"] == expected["iocNumber"]
    for absent in ("securityContext", "sslCertificateFingerprint", "sslActualAction",
                   "sslFlowStatus", "networkAnalysisPolicyUuid", "httpResponse"):
        assert absent not in rec


def test_a_connection_block_cut_before_its_first_string_lacks_the_rest():
    body, expected = table_sample(CONNECTION_160, seed=3)
    data = block(160, body[:225 - 8])

    rec = decode(record(71, discovery_header(host_ip="::"), data, archive=1))

    assert rec["webApplicationId"] == expected["webApplicationId"]
    assert "clientUrl" not in rec and "securityIntelligenceList2" not in rec


def test_a_list_item_longer_than_its_table_is_skipped_to_its_end_and_the_parent_reads_on():
    # A newer server-information item with 6 bytes the table does not know, then the parent's
    # confidence and web-application list must still be read from the right place.
    info = block(117, u32(676), string_block("Apache"), string_block("2.4"), u32(1606927200),
                 u32(1), u32(2), list_block(), b"\x00NEW\xff\xff")
    second = block(117, u32(677), string_block("nginx"), string_block("1.18"), u32(1606927201),
                   u32(3), u32(4), list_block())
    data = block(103, u16(80), u32(12), u32(1606927300), list_block(info, second), u32(99),
                 list_block(block(123, u32(929)), block(123, u32(930))))

    rec = decode(record(11, discovery_header(), data))

    server = rec["hostServer"]
    assert [item["applicationId"] for item in server["serverInformation"]] == [676, 677]
    assert server["serverInformation"][0]["blockLength"] == len(info)
    assert server["serverInformation"][1]["vendor"] == "nginx"
    assert server["confidence"] == 99
    assert [web["applicationId"] for web in server["webApplication"]] == [929, 930]


def test_a_connection_block_longer_than_its_table_keeps_the_known_fields():
    body, expected = table_sample(CONNECTION_160, seed=3)
    data = block(160, body + b"\x01\x02\x03\x04newer fields")

    rec = decode(record(71, discovery_header(host_ip="::"), data, archive=1))

    assert_fields(rec, dict(expected, blockLength=len(data)))


def test_an_inline_field_cut_in_half_is_a_parse_error_naming_field_and_offset():
    body = record(31, discovery_header(event_type=1001, subtype=16), b"\x00\x02")

    with pytest.raises(ParseError) as caught:
        decode(body)

    error = caught.value
    assert "hostType" in error.message
    assert error.offset == 8 + 40
    assert error.record_type == 31
    assert "record type 31" in str(error) and "offset 48" in str(error)


def test_a_field_cut_in_half_inside_a_block_names_the_field_and_its_offset():
    body, _ = table_sample(INTRUSION_60, seed=2)
    data = block(60, body[:86 - 8])  # two of mplsLabel's four bytes (block offset 84)

    with pytest.raises(ParseError) as caught:
        decode(record(400, data))

    assert "mplsLabel" in caught.value.message
    assert caught.value.offset == 8 + 84


def test_a_block_length_past_the_record_end_is_a_parse_error():
    data = block(14, bytes(16), string_block("x"), length=200)

    with pytest.raises(ParseError, match="block length 200"):
        decode(record(115, data))


def test_an_unknown_record_type_comes_back_raw_with_its_exact_bytes():
    decoder = RecordDecoder()

    plain = decoder.decode(record(9999, b"\x01\x02\xab\xcd"))
    archived = decoder.decode(record(4242, b"\xff", archive=77))

    assert plain == {"recordType": 9999, "unknown": True, "raw": "0102abcd"}
    assert archived == {"recordType": 4242, "archiveTimestamp": 77, "unknown": True, "raw": "ff"}
    assert decoder.stats.unknown_types == 2
    assert decoder.stats.records == 0


def test_an_unknown_connection_block_version_surfaces_the_record_raw_and_counts_it():
    data = discovery_header(host_ip="::") + block(999, b"\x00\x01future")
    decoder = RecordDecoder()

    rec = decoder.decode(record(71, data, archive=5))

    assert rec == {"recordType": 71, "archiveTimestamp": 5, "blockType": 999, "unknown": True,
                   "raw": data.hex()}
    assert decoder.stats.unknown_blocks == 1
    assert decoder.stats.unknown_types == 0
