"""The record catalog: every record type an FMC sends, with its body layout.

Transcribed from the record catalog of the eStreamer protocol reference (eNcore 3.8.4 record
definitions). A body is a layout like any block's: inline fields, ``(name, block(...))`` for a
nested block kept under its name, and ``(None, block(...))`` for a block whose fields belong to the
record itself (as eNcore outputs them). The block type read from the wire picks the block version,
so e.g. a connection record carrying block 173 decodes with the 173 layout.
"""
from __future__ import annotations

from ..fields import HEX16, IPV4, IPV6, MAC, STRING, U8, U16, U32, UUID, block, skip, var, when
from ..layout import Layout

# RNA/RUA discovery event header (40 bytes, then the host's IPv6 address when hasIpv6 is set).
DISCOVERY_HEADER = (
    ("deviceId", U32), ("legacyIpAddress", IPV4), ("macAddress", MAC), ("hasIpv6", U8),
    ("reserved", skip(1)), ("eventSecond", U32), ("eventMicrosecond", U32), ("eventType", U32),
    ("eventSubtype", U32), ("fileNumber", U32), ("filePosition", U32),
    ("hostIpAddr", when("hasIpv6", IPV6)))

# The headerless "id, length, name" body shared by most name metadata records.
ID_LENGTH_NAME = (("id", U32), ("length", U32), ("name", var("length")))

# Record families: one sourcetype each (docs/event-fields.md); everything else is metadata.
FAMILY_OF = {
    "connection": {71},
    "intrusion": {400},
    "intrusion_extra": {2, 9, 110},
    "file": {500, 502},
    "malware": {125},
    "correlation": {112},
    "identity": {92, 93, 94, 95},
    "vpn": {170, 171},
    "discovery": {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
                  29, 31, 34, 35, 42, 44, 45, 46, 47, 48, 51, 52, 53, 73, 74, 75, 76, 77, 78, 79,
                  80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 101, 102, 103, 107, 160},
}
FAMILIES = tuple(FAMILY_OF) + ("metadata",)


class RecordType:
    """One record type: its number, names and body layout."""

    def __init__(self, number: int, name: str, category: str, rows):
        self.number, self.name, self.category = number, name, category
        self.layout = Layout(f"record {number} ({name})", rows)
        self.family = next((family for family, numbers in FAMILY_OF.items()
                            if number in numbers), "metadata")

    @property
    def is_event(self) -> bool:
        return self.family != "metadata"

    def __repr__(self):
        return f"<RecordType {self.number} {self.name!r} ({self.family})>"


RECORDS = {}


def R(number: int, name: str, category: str, *rows):
    RECORDS[number] = RecordType(number, name, category, rows)


R(2, 'Packet Data', 'PACKET',
  ("deviceId", U32), ("eventId", U32), ("eventSecond", U32), ("packetSecond", U32),
  ("packetMicrosecond", U32), ("linkType", U32), ("packetLength", U32),
  ("packetData", var("packetLength", binary=True)))
R(4, 'Priority Metadata', 'PRIORITY', ("id", U32), ("length", U16), ("name", var("length")))
R(9, 'Intrusion Impact Alert', 'IMPACT', (None, block(1, 153)))
R(10, 'New Host Detected', 'RNA', *DISCOVERY_HEADER, ("hostProfile", block(1, 139)))
R(11, 'New TCP Server', 'RNA', *DISCOVERY_HEADER, ("hostServer", block(1, 103)))
R(12, 'New UDP Server', 'RNA', *DISCOVERY_HEADER, ("hostServer", block(1, 103)))
R(13, 'New Network Protocol', 'RNA', *DISCOVERY_HEADER, ("networkProtocol", U16))
R(14, 'New Transport Protocol', 'RNA', *DISCOVERY_HEADER, ("transportProtocol", U8))
R(15, 'New Client Application', 'RNA', *DISCOVERY_HEADER, ("client", block(1, 122)))
R(16, 'TCP Server Information Update', 'RNA', *DISCOVERY_HEADER, ("hostServer", block(1, 103)))
R(17, 'UDP Server Information Update', 'RNA', *DISCOVERY_HEADER, ("hostServer", block(1, 103)))
R(18, 'OS Information Update', 'RNA', *DISCOVERY_HEADER, (None, block(1, 53)))
R(19, 'Host Timeout', 'RNA', *DISCOVERY_HEADER)
R(20, 'Host IP Address Reused', 'RNA', *DISCOVERY_HEADER)
R(21, 'Host Deleted: Host Limit Reached', 'RNA', *DISCOVERY_HEADER)
R(22, 'Hops Change', 'RNA', *DISCOVERY_HEADER, ("hops", U8))
R(23, 'TCP Port Closed', 'RNA', *DISCOVERY_HEADER, ("port", U16))
R(24, 'UDP Port Closed', 'RNA', *DISCOVERY_HEADER, ("port", U16))
R(25, 'TCP Port Timeout', 'RNA', *DISCOVERY_HEADER, ("port", U16))
R(26, 'UDP Port Timeout', 'RNA', *DISCOVERY_HEADER, ("port", U16))
R(27, 'MAC Information Change', 'RNA', *DISCOVERY_HEADER, ("mac", block(1, 95)))
R(28, 'Additional MAC Detected for Host', 'RNA', *DISCOVERY_HEADER, ("mac", block(1, 95)))
R(29, 'Host IP Address Changed', 'RNA', *DISCOVERY_HEADER, ("ipAddress", IPV6))
R(31, 'Host Identified as Router/Bridge', 'RNA', *DISCOVERY_HEADER, ("hostType", U32))
R(34, 'VLAN Tag Information Update', 'RNA', *DISCOVERY_HEADER, (None, block(1, 14)))
R(35, 'Client Application Timeout', 'RNA', *DISCOVERY_HEADER, ("client", block(1, 122)))
R(42, 'NetBIOS Name Change', 'RNA', *DISCOVERY_HEADER, (None, block(1, 35)))
R(44, 'Host Dropped: Host Limit Reached', 'RNA', *DISCOVERY_HEADER)
R(45, 'Update Banner', 'RNA', *DISCOVERY_HEADER, (None, block(1, 37)))
R(46, 'Add Host Attribute', 'RNA', *DISCOVERY_HEADER, (None, block(1, 55)))
R(47, 'Update Host Attribute', 'RNA', *DISCOVERY_HEADER, (None, block(1, 55)))
R(48, 'Delete Host Attribute', 'RNA', *DISCOVERY_HEADER, (None, block(1, 55)))
R(51, 'TCP Server Confidence Update', 'RNA', *DISCOVERY_HEADER, (None, block(1, 103)))
R(52, 'UDP Server Confidence Update', 'RNA', *DISCOVERY_HEADER, (None, block(1, 103)))
R(53, 'OS Confidence Update', 'RNA', *DISCOVERY_HEADER, (None, block(1, 53)))
R(54, 'Fingerprint Metadata', 'FINGERPRINT',
  ("uuid", UUID), ("nameLength", U32), ("name", var("nameLength")), ("vendorLength", U32),
  ("vendor", var("vendorLength")), ("versionLength", U32), ("version", var("versionLength")))
R(55, 'Client Application Metadata', 'CLIENT APP', *ID_LENGTH_NAME)
R(57, 'Vulnerability Metadata', 'VULNERABILITY',
  ("id", U32), ("impact", U32), ("exploits", U8), ("remote", U8), ("entryDateLength", U32),
  ("entryDate", var("entryDateLength")), ("publishedDateLength", U32),
  ("publishedDate", var("publishedDateLength")), ("modifiedDateLength", U32),
  ("modifiedDate", var("modifiedDateLength")), ("titleLength", U32), ("title", var("titleLength")),
  ("shortDescriptionLength", U32), ("shortDescription", var("shortDescriptionLength")),
  ("descriptionLength", U32), ("description", var("descriptionLength")),
  ("technicalDescriptionLength", U32), ("technicalDescription", var("technicalDescriptionLength")),
  ("solutionLength", U32), ("solution", var("solutionLength")))
R(58, 'Criticality Metadata', 'CRITICALITY', *ID_LENGTH_NAME)
R(59, 'Network Protocol Metadata', 'NETWORK', *ID_LENGTH_NAME)
R(60, 'Attribute Metadata', 'ATTRIBUTE', *ID_LENGTH_NAME)
R(61, 'Scan Type Metadata', 'SCAN TYPE', *ID_LENGTH_NAME)
R(62, 'User Metadata', 'SYSTEM USER', (None, block(2, 57)))
R(63, 'Server Metadata', 'SERVICE', *ID_LENGTH_NAME)
R(66, 'Rule Message Metadata', 'RULE',
  ("generatorId", U32), ("ruleId", U32), ("ruleRevision", U32), ("signatureId", U32),
  ("messageLength", U16), ("ruleUuid", UUID), ("ruleRevisionUuid", UUID),
  ("message", var("messageLength")))
R(67, 'Classification Metadata', 'CLASSIFICATION',
  ("id", U32), ("nameLength", U16), ("name", var("nameLength")), ("descriptionLength", U16),
  ("description", var("descriptionLength")), ("uuid", UUID), ("revisionUuid", UUID))
R(69, 'Correlation Policy Metadata', 'POLICY',
  ("id", U32), ("nameLength", U16), ("name", var("nameLength")), ("descriptionLength", U16),
  ("description", var("descriptionLength")), ("uuid", UUID), ("revisionUuid", UUID))
R(70, 'Correlation Rule Metadata', 'RULE',
  ("id", U32), ("nameLength", U16), ("name", var("nameLength")), ("descriptionLength", U16),
  ("description", var("descriptionLength")), ("eventTypeLength", U16),
  ("eventType", var("eventTypeLength")), ("correlationRuleUuid", UUID),
  ("correlationRevisionUuid", UUID), ("whitelistUuid", UUID))
R(71, 'Connection Statistics', 'RNA', *DISCOVERY_HEADER, (None, block(1, 160)))
R(73, 'Connection Chunk', 'RNA', *DISCOVERY_HEADER, (None, block(1, 136)))
R(74, 'User Set OS', 'RNA', *DISCOVERY_HEADER, (None, block(1, 134)))
R(75, 'User Set Server', 'RNA', *DISCOVERY_HEADER, (None, block(1, 134)))
R(76, 'User Delete Protocol', 'RNA', *DISCOVERY_HEADER, (None, block(1, 83)))
R(77, 'User Delete Client Application', 'RNA', *DISCOVERY_HEADER, (None, block(1, 60)))
R(78, 'User Delete Address', 'RNA', *DISCOVERY_HEADER, (None, block(1, 78)))
R(79, 'User Delete Server', 'RNA', *DISCOVERY_HEADER, (None, block(1, 77)))
R(80, 'User Set Valid Vulnerabilities', 'RNA', *DISCOVERY_HEADER, (None, block(1, 80)))
R(81, 'User Set Invalid Vulnerabilities', 'RNA', *DISCOVERY_HEADER, (None, block(1, 80)))
R(82, 'User Set Host Criticality', 'RNA', *DISCOVERY_HEADER, (None, block(1, 81)))
R(83, 'User Set Attribute Value', 'RNA', *DISCOVERY_HEADER, (None, block(1, 82)))
R(84, 'User Delete Attribute Value', 'RNA', *DISCOVERY_HEADER, (None, block(1, 82)))
R(85, 'User Add Host', 'RNA', *DISCOVERY_HEADER, (None, block(1, 78)))
R(86, 'User Add Server', 'RNA', *DISCOVERY_HEADER, (None, block(1, 134)))
R(87, 'User Add Client Application', 'RNA', *DISCOVERY_HEADER, (None, block(1, 60)))
R(88, 'User Add Protocol', 'RNA', *DISCOVERY_HEADER, (None, block(1, 83)))
R(89, 'User Add Scan Result', 'RNA', *DISCOVERY_HEADER, (None, block(1, 142)))
R(90, 'Source Type', 'SOURCE TYPE', *ID_LENGTH_NAME)
R(91, 'Source Application', 'SOURCE APP', *ID_LENGTH_NAME)
R(92, 'User Dropped Change Event', 'RUA', *DISCOVERY_HEADER, ("user", block(1, 120)))
R(93, 'User Removed Change Event', 'RUA', *DISCOVERY_HEADER, ("user", block(1, 167)))
R(94, 'New User Identification Event', 'RUA', *DISCOVERY_HEADER, ("user", block(1, 167)))
R(95, 'User Login Change Event', 'RUA', *DISCOVERY_HEADER, ("user", block(1, 167)))
R(96, 'Source Detector', 'SOURCE DETECTOR', *ID_LENGTH_NAME)
R(98, 'User', 'RUA USER', (None, block(2, 57)))
R(101, 'New OS Event', 'RNA', *DISCOVERY_HEADER, ("osfingerprint", block(1, 130)))
R(102, 'Identity Conflict Event', 'RNA', *DISCOVERY_HEADER, ("identity", block(1, 94)))
R(103, 'Identity Timeout Event', 'RNA', *DISCOVERY_HEADER, ("identity", block(1, 94)))
R(106, 'Third Party Scanner Vulnerability', 'VULNERABILITY',
  ("id", U32), ("scannerType", U32), ("titleLength", U32), ("title", var("titleLength")),
  ("descriptionLength", U32), ("description", var("descriptionLength")), ("cveIdLength", U32),
  ("cveId", var("cveIdLength")), ("bugtraqIdLength", U32), ("bugtraqId", var("bugtraqIdLength")))
R(107, 'Client Application Update', 'RNA', *DISCOVERY_HEADER, ("client", block(1, 122)))
R(109, 'Web Application', 'PAYLOAD', *ID_LENGTH_NAME)
R(110, 'Intrusion Event Extra Data', 'EXTRA DATA', (None, block(2, 4)))
R(111, 'Intrusion Event Extra Data Metadata', 'EXTRA DATA TYPE', (None, block(2, 5)))
R(112, 'Correlation Event', 'POLICY', (None, block(1, 156)))
R(115, 'Security Zone Name Metadata', 'ZONE', (None, block(2, 14)))
R(116, 'Interface Name Metadata', 'INTERFACE', (None, block(2, 14)))
R(117, 'Access Control Policy Name Metadata', 'FIREWALL POLICY', (None, block(2, 14)))
R(118, 'Intrusion Policy Name Metadata', 'INTRUSION POLICY', (None, block(2, 14)))
R(119, 'Access Control Rule ID Metadata', 'FIREWALL RULE', (None, block(2, 15)))
R(120, 'Access Control Rule Action Metadata', 'FIREWALL RULE ACTION', *ID_LENGTH_NAME)
R(121, 'URL Category Metadata', 'FIREWALL URL CATEGORY', *ID_LENGTH_NAME)
R(122, 'URL Reputation Metadata', 'FIREWALL URL REPUTATION', *ID_LENGTH_NAME)
R(123, 'Managed Device Metadata', 'SENSOR', *ID_LENGTH_NAME)
R(124, 'Access Control Policy Rule Reason Data', 'FIREWALL RULE REASON', (None, block(2, 59)))
R(125, 'Malware Event Record', 'MALWARE EVENT', (None, block(2, 62)))
R(127, 'Cisco AMP Cloud Name Metadata', 'FIREAMP CLOUD', (None, block(2, 14)))
R(128, 'Malware Event Type Metadata', 'MALWARE EVENT TYPE', *ID_LENGTH_NAME)
R(129, 'Malware Event Subtype Metadata', 'MALWARE EVENT SUBTYPE', *ID_LENGTH_NAME)
R(130, 'AMP for Endpoints Detector Type Metadata', 'MALWARE DETECTOR TYPE', *ID_LENGTH_NAME)
R(131, 'AMP for Endpoints File Type Metadata', 'MALWARE FILE TYPE', *ID_LENGTH_NAME)
R(132, 'Security Context Name', 'CONTEXT ID', ("uuid", UUID), ("name", STRING))
R(140, 'Rule Documentation Data', 'IPS RULE DOC', (None, block(2, 27)))
R(145, 'Access Control Policy Metadata', 'ACCESS CONTROL POLICY', (None, block(2, 64)))
R(146, 'Prefilter Policy Metadata', 'ACCESS CONTROL POLICY', (None, block(2, 64)))
R(147, 'Tunnel or Prefilter Rule Metadata', 'ACCESS CONTROL POLICY', (None, block(2, 64)))
R(160, 'Host IOC Set Messages', 'RNA', *DISCOVERY_HEADER, ("id", block(1, 7)))
R(161, 'IOC Name Data', 'IOC', (None, block(2, 39)))
R(170, 'New VPN Device Login', 'VPN', *DISCOVERY_HEADER, ("userLogin", block(1, 167)))
R(171, 'New VPN Device Logoff', 'VPN', *DISCOVERY_HEADER, ("userLogoff", block(1, 167)))
R(260, 'ICMP Type Data', 'ICMP TYPE', (None, block(2, 19)))
R(270, 'ICMP Code Data', 'ICMP CODE', (None, block(2, 20)))
R(280, 'Security Intelligence Category Metadata', 'SECURITY INTELLIGENCE CATEGORY',
  (None, block(2, 22)))
R(281, 'Security Intelligence Source/Destination', 'SECURITY INTELLIGENCE SOURCE/DEST',
  *ID_LENGTH_NAME)
R(282, 'Security Intelligence Category Metadata', 'SECURITY INTELLIGENCE CATEGORY',
  ("uuid", UUID), ("name", STRING))
R(300, 'Realm Metadata', 'REALM DATA', *ID_LENGTH_NAME)
R(301, 'Endpoint Profile', 'ENDPOINT PROFILE', (None, block(2, 58)))
R(302, 'Security Group Metadata', 'SECURITY GROUP', *ID_LENGTH_NAME)
R(320, 'DNS Record Type Metadata', 'DNS', (None, block(2, 61)))
R(321, 'DNS Response Type Metadata', 'DNS', (None, block(2, 61)))
R(322, 'Sinkhole Metadata', 'SINKHOLE', (None, block(2, 14)))
R(350, 'Netmap Domain Metadata', 'NETMAP DOMAIN', *ID_LENGTH_NAME)
R(400, 'Intrusion Event', 'IPS EVENT', (None, block(2, 60)))
R(500, 'File Event', 'FILELOG EVENT', (None, block(2, 56)))
R(502, 'File Malware Event', 'FILELOG MALWARE EVENT', (None, block(2, 56)))
R(510, 'File Type ID Metadata', 'FILELOG FILE TYPE', *ID_LENGTH_NAME)
R(511, 'File Event SHA Hash', 'FILELOG SHA', (None, block(2, 40)))
R(515, 'Filelog Storage Metadata', 'FILELOG STORAGE', *ID_LENGTH_NAME)
R(516, 'Filelog Sandbox Metadata', 'FILELOG SANDBOX', *ID_LENGTH_NAME)
R(517, 'Filelog Spero Metadata', 'FILELOG SPERO', *ID_LENGTH_NAME)
R(518, 'Filelog Archive Metadata', 'FILELOG ARCHIVE', *ID_LENGTH_NAME)
R(519, 'Filelog Static Analysis Metadata', 'FILELOG STATIC ANALYSIS', *ID_LENGTH_NAME)
R(520, 'Geolocation Data', 'GEOLOCATION', (None, block(2, 28)))
R(530, 'File Policy Name', 'FILE POLICY NAME',
  ("blockType", U32), ("blockLength", U32), ("uuid", UUID), ("name", STRING))
R(600, 'SSL Policy Name', 'SSL POLICY NAME', ("uuid", UUID), ("name", STRING))
R(601, 'SSL Rule ID', 'SSL RULE ID', ("revision", HEX16), ("id", U32), ("name", STRING))
R(602, 'SSL Cipher Suite', 'SSL CIPHER SUITE', *ID_LENGTH_NAME)
R(604, 'SSL Version', 'SSL VERSION', *ID_LENGTH_NAME)
R(605, 'SSL Server Certificate Status', 'SSL SERVER CERT STATUS', *ID_LENGTH_NAME)
R(606, 'SSL Actual Action', 'SSL ACTION', *ID_LENGTH_NAME)
R(607, 'SSL Expected Action', 'SSL ACTION', *ID_LENGTH_NAME)
R(608, 'SSL Flow Status', 'SSL FLOW STATUS', *ID_LENGTH_NAME)
R(613, 'SSL URL Category', 'SSL URL CATEGORY', *ID_LENGTH_NAME)
R(614, 'SSL Certificate Details Data', 'SSL CERTIFICATE DETAILS', (None, block(2, 50)))
R(700, 'Network Analysis Policy', 'NAP NAME',
  ("blockType", U32), ("blockLength", U32), ("uuid", UUID), ("name", STRING))
