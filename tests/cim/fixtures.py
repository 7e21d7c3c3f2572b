"""Representative records of every family, as bytes: encoded with the simulator's writer,
decoded with the client's decoder, named through a metadata cache fed real metadata records.

``SCENARIOS`` covers a record of every family in each of its shapes that maps differently and
every CIM dataset path the event types reach. Rule-action ids are the FMC's to choose (record 120 names
them); the ones here are arbitrary, only the names matter to the mapping.
"""
from __future__ import annotations

import hashlib
import ipaddress

from estreamer.catalog.blocks import USER_INFORMATION_VPN_SESSION_62
from estreamer.decoder import RecordDecoder, encode_record
from estreamer.events import EventMapper, MapperOptions
from estreamer.metadata import MetadataCache
from estreamer.wire import ALL_FAMILIES, DEFAULT_GENERATION, Subscription

FMC = "fmc.example.net"
DEVICE, DEVICE_NAME = 1, "ftd-branch-1"
AC_POLICY = "5fc6fa72-0000-4000-8000-00000000a001"   # access-control policy revision
IPS_POLICY = "7a1c0f3e-1111-4000-8000-00000000b002"
NAP_POLICY = "59b12e88-3436-11eb-9e8e-59cf41c735fb"
FILE_POLICY = "173e4868-8ffa-11e6-9c28-8816deb0aacf"
INSIDE_ZONE, OUTSIDE_ZONE = "ed81dc4e-3444-11eb-a581-703a42c735fb", \
    "edc619ae-3444-11eb-a581-703a42c735fb"
INSIDE_IF, OUTSIDE_IF = "ed699184-3444-11eb-a581-703a42c735fb", \
    "edaaf142-3444-11eb-a581-703a42c735fb"
NETFLOW_EXPORTER = "0b5c3a70-9e0e-4c3b-8d8e-4f1de2b10c01"
SINKHOLE = "4e3b2a10-0c1d-4e5f-8a9b-0c1d2e3f4a5b"
AMP_CLOUD = "8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
AGENT = "c0ffee00-1234-4321-abcd-0123456789ab"
OS_FINGERPRINT = "2d1e7f6a-5b4c-4d3e-8f2a-1b0c9d8e7f6a"
SHA_MALWARE = hashlib.sha256(b"a known-bad sample").hexdigest()
SHA_UNKNOWN = hashlib.sha256(b"a file nobody has judged").hexdigest()
SHA_CLEAN = hashlib.sha256(b"a clean document").hexdigest()
ALLOW, BLOCK, BLOCK_RESET, DEFAULT_ACTION = 2, 4, 5, 9  # record 120 ids (arbitrary here)
T0 = 1700000000  # 2023-11-14 22:13:20 UTC

METADATA = (
    (123, {"id": DEVICE, "name": DEVICE_NAME}),
    (120, {"id": ALLOW, "name": "Allow"}), (120, {"id": BLOCK, "name": "Block"}),
    (120, {"id": BLOCK_RESET, "name": "Block with reset"}),
    (120, {"id": DEFAULT_ACTION, "name": "Default Action"}),
    (145, {"uuid": AC_POLICY, "sensorId": DEVICE, "name": "corp-access"}),
    (119, {"uuid": AC_POLICY, "id": 10, "name": "allow-web"}),
    (119, {"uuid": AC_POLICY, "id": 11, "name": "block-bad-udp"}),
    (119, {"uuid": AC_POLICY, "id": 20, "name": "monitor-guests"}),
    (115, {"uuid": INSIDE_ZONE, "name": "inside"}),
    (115, {"uuid": OUTSIDE_ZONE, "name": "outside"}),
    (116, {"uuid": INSIDE_IF, "name": "GigabitEthernet0/1"}),
    (116, {"uuid": OUTSIDE_IF, "name": "GigabitEthernet0/0"}),
    (118, {"uuid": IPS_POLICY, "name": "Balanced Security and Connectivity"}),
    (700, {"uuid": NAP_POLICY, "name": "Balanced NAP"}),
    (530, {"uuid": FILE_POLICY, "name": "block-malware"}),
    (63, {"id": 676, "name": "HTTP"}), (63, {"id": 1122, "name": "HTTPS"}),
    (63, {"id": 617, "name": "DNS"}), (63, {"id": 710, "name": "LDAP"}),
    (55, {"id": 1296, "name": "SSL client"}), (55, {"id": 638, "name": "Firefox"}),
    (109, {"id": 1423, "name": "Microsoft"}),
    (98, {"id": 5, "protocol": 710, "name": "alice"}),
    (98, {"id": 6, "protocol": 710, "name": "bob"}),
    (98, {"id": 9999997, "protocol": 0, "name": "No Authentication Required"}),
    (520, {"countryCode": 840, "country": "united states"}),
    (520, {"countryCode": 528, "country": "netherlands"}),
    (121, {"id": 28, "name": "Malware Sites"}), (122, {"id": 1, "name": "High risk"}),
    (122, {"id": 0, "name": "Unknown"}),
    (320, {"id": 1, "name": "A", "description": "a host address"}),
    (280, {"id": 7, "accessControlPolicyUuid": AC_POLICY, "name": "Malware"}),
    (280, {"id": 8, "accessControlPolicyUuid": AC_POLICY, "name": "CnC"}),
    (281, {"id": 2, "name": "Destination"}),
    (322, {"uuid": SINKHOLE, "name": "corp-sinkhole"}),
    (66, {"generatorId": 1, "ruleId": 2000419, "ruleRevision": 18, "signatureId": 2000419,
          "message": "ET POLICY PE EXE or DLL Windows file download"}),
    (66, {"generatorId": 1, "ruleId": 384, "ruleRevision": 8, "signatureId": 384,
          "message": "PROTOCOL-ICMP PING"}),
    (67, {"id": 3, "name": "trojan-activity", "description": "A Network Trojan was Detected"}),
    (67, {"id": 29, "name": "misc-activity", "description": "Misc activity"}),
    (4, {"id": 1, "name": "high"}), (4, {"id": 2, "name": "medium"}), (4, {"id": 3, "name": "low"}),
    (69, {"id": 3, "name": "Detect lateral movement"}),
    (70, {"id": 12, "name": "Internal host scanning", "description": "An inside host probes"}),
    (300, {"id": 1, "name": "CORP"}), (302, {"id": 4, "name": "Employees"}),
    (510, {"id": 21, "name": "MSEXE"}), (510, {"id": 285, "name": "PDF"}),
    (511, {"shaHash": SHA_MALWARE, "fileName": "W32.Trojan.Sample", "disposition": 3}),
    (127, {"uuid": AMP_CLOUD, "name": "AMP Cloud (US)"}),
    (129, {"id": 2, "name": "Execute"}), (130, {"id": 1, "name": "ClamAV"}),
    (131, {"id": 1, "name": "MSEXE"}),
    (54, {"uuid": OS_FINGERPRINT, "name": "Windows", "vendor": "Microsoft", "version": "10"}),
)


def decode(record_type: int, values: dict, archive_timestamp=None):
    """The decoder's view of a record built from ``values`` (real bytes in between)."""
    return RecordDecoder().decode(encode_record(record_type, values, archive_timestamp))


def metadata_cache() -> MetadataCache:
    cache = MetadataCache()
    for record_type, values in METADATA:
        assert cache.learn(decode(record_type, values)), (record_type, values)
    return cache


def mapper(options: MapperOptions = None, cache: MetadataCache = None) -> EventMapper:
    return EventMapper(cache or metadata_cache(), FMC, options)


# --- record builders (defaults = an ordinary event; tests override what they examine) ----------

def connection(**fields) -> dict:
    values = {
        "deviceId": DEVICE, "hasIpv6": 1, "eventType": 1003, "eventSubtype": 1,
        "blockType": 160, "ingressZone": INSIDE_ZONE, "egressZone": OUTSIDE_ZONE,
        "ingressInterface": INSIDE_IF, "egressInterface": OUTSIDE_IF,
        "initiatorIpAddress": "192.168.50.50", "responderIpAddress": "52.114.128.70",
        "policyRevision": AC_POLICY, "ruleId": 10, "ruleAction": ALLOW,
        "initiatorPort": 59265, "responderPort": 443, "tcpFlag": 0x12, "protocol": 6,
        "instanceId": 3, "connectionCounter": 98,
        "firstPacketTimestamp": T0, "lastPacketTimestamp": T0 + 65,
        "initiatorTransmittedPackets": 10, "responderTransmittedPackets": 8,
        "initiatorTransmittedBytes": 1687, "responderTransmittedBytes": 4492,
        "userId": 5, "applicationId": 1122, "clientApplicationId": 1296,
        "webApplicationId": 1423, "clientUrl": "https://www.example.com/index.html",
        "responderCountry": 840, "networkAnalysisPolicyRevision": NAP_POLICY,
    }
    values.update(fields)
    return values


def intrusion(**fields) -> dict:
    values = {
        "blockType": 60, "deviceId": DEVICE, "eventId": 4711, "eventSecond": T0 + 100,
        "eventMicrosecond": 250001, "ruleId": 2000419, "generatorId": 1, "ruleRevision": 18,
        "classificationId": 3, "priorityId": 1, "sourceIpAddress": "203.0.113.9",
        "destinationIpAddress": "192.168.50.50", "sourcePortOrIcmpType": 80,
        "destinationPortOrIcmpType": 49152, "ipProtocolId": 6, "impact": 2, "blocked": 1,
        "policyUuid": IPS_POLICY, "userId": 5, "applicationId": 676,
        "accessControlRuleId": 10, "accessControlPolicyUuid": AC_POLICY,
        "interfaceIngressUuid": OUTSIDE_IF, "interfaceEgressUuid": INSIDE_IF,
        "securityZoneIngressUuid": OUTSIDE_ZONE, "securityZoneEgressUuid": INSIDE_ZONE,
        "connectionTimestamp": T0 + 99, "connectionInstanceId": 3, "connectionCounter": 120,
        "sourceCountry": 528, "networkAnalysisPolicyUuid": NAP_POLICY,
    }
    values.update(fields)
    return values


def file_event(**fields) -> dict:
    values = {
        "blockType": 56, "deviceId": DEVICE, "connectionInstance": 3, "connectionCounter": 121,
        "connectionTimestamp": T0 + 200, "fileEventTimestamp": T0 + 203,
        "sourceIpAddress": "192.168.50.50", "destinationIpAddress": "203.0.113.80",
        "disposition": 1, "action": 1, "shaHash": SHA_CLEAN, "fileTypeId": 285,
        "fileName": "report.pdf", "fileSize": 18234, "direction": 1, "applicationId": 676,
        "userId": 5, "uri": "http://files.example.org/report.pdf", "signature": SHA_CLEAN,
        "sourcePort": 49200, "destinationPort": 80, "protocol": 6,
        "accessControlPolicyUuid": FILE_POLICY, "destinationCountry": 840, "httpResponse": 200,
    }
    values.update(fields)
    return values


def malware_event(**fields) -> dict:
    values = {
        "blockType": 62, "agentUuid": AGENT, "cloudUuid": AMP_CLOUD,
        "malwareEventTimestamp": T0 + 300, "eventTypeId": 553648143, "eventSubtypeId": 2,
        "detectorId": 1, "detectionName": "W32.Trojan.Sample", "user": "CORP\\bob",
        "fileName": "invoice.exe", "filePath": "C:\\Users\\bob\\Downloads",
        "fileShaHash": SHA_MALWARE.upper(), "fileSize": 73802, "fileType": 1,
        "fileTimestamp": T0 - 3600, "deviceId": DEVICE, "sourceIpAddress": "10.20.30.40",
        "disposition": 3, "userId": 6,
    }
    values.update(fields)
    return values


def correlation(**fields) -> dict:
    values = {
        "blockType": 156, "deviceId": DEVICE, "correlationEventSecond": T0 + 400,
        "eventId": 77, "policyId": 3, "ruleId": 12, "priority": 2,
        "eventDescription": "Host 192.168.50.50 contacted 25 internal hosts", "eventType": 1,
        "eventDeviceId": DEVICE, "signatureId": 384, "signatureGeneratorId": 1,
        "triggerEventSecond": T0 + 399, "ipProtocol": 1, "sourceCriticality": 2,
        "sourceUserId": 5, "sourceOperatingSystemFingerprintUuid": OS_FINGERPRINT,
        "sourceIpv6Address": "192.168.50.50", "destinationIpv6Address": "192.168.50.77",
        "impact": 1, "blocked": 0, "intrusionPolicy": IPS_POLICY,
        "accessControlPolicyRevision": AC_POLICY, "accessControlRuleId": 10,
        "ingressZoneUuid": INSIDE_ZONE, "egressZoneUuid": INSIDE_ZONE,
    }
    values.update(fields)
    return values


def user_login(record_type=95, **user) -> dict:
    block = {
        "timestamp": T0 + 500, "ipv4Address": "0.0.0.0", "username": "alice",
        "domain": "corp.example.net", "userId": 5, "realmId": 1, "securityGroupId": 4,
        "protocol": 710, "email": "alice@corp.example.net", "ipv6Address": "192.168.50.50",
        "loginType": 1, "authType": 1, "reportedBy": "ISE-1",
    }
    block.update(user)
    return {"deviceId": DEVICE, "macAddress": "00:50:56:ab:cd:ef", "eventSecond": T0 + 500,
            "eventMicrosecond": 42, "eventType": 1004, "eventSubtype": 2, "user": block}


_CLIENT_IP_KIND = dict(USER_INFORMATION_VPN_SESSION_62.rows)["clientIP"]


def client_ip(address: str):
    """Block 166's clientIP in the form the catalog's field kind takes (address or hex)."""
    if repr(_CLIENT_IP_KIND) == "IPV6":
        return address
    return ipaddress.IPv6Address(address).packed.hex()


def vpn(record_type=170, session=None, **user) -> dict:
    item = {"index": 1, "vpnType": 3, "groupPolicy": "DfltGrpPolicy",
            "vpnConnectionProfile": "RA-VPN", "clientIP": client_ip("::c633:640a"),
            "countryCode": 840,
            "clientOS": "Windows 10", "clientApplication": "AnyConnect 4.10"}
    item.update(session or {})
    block = {"timestamp": T0 + 600, "ipv4Address": "172.16.10.5", "username": "bob",
             "domain": "corp.example.net", "userId": 6, "authType": 5, "vpnSession": [item]}
    block.update(user)
    key = "userLogin" if record_type == 170 else "userLogoff"
    return {"deviceId": DEVICE, "macAddress": "00:1c:42:00:00:08", "eventSecond": T0 + 600,
            "eventType": 1004, "eventSubtype": 1, key: block}


# --- scenarios: (record type, values, archive timestamp, expected CIM event type or None) ------

SCENARIOS = {
    # connection → Network_Traffic
    "connection tcp allowed": (71, connection(), T0 + 66, "cisco_firepower_connection"),
    "connection udp blocked": (71, connection(
        protocol=17, ruleId=11, ruleAction=BLOCK, initiatorPort=53000, responderPort=53,
        tcpFlag=0, responderTransmittedBytes=0, responderTransmittedPackets=0,
        applicationId=617, clientApplicationId=0, webApplicationId=0, clientUrl="",
        dnsQuery="bad.example.com", dnsRecordType=1), T0 + 1, "cisco_firepower_connection"),
    "connection icmpv4": (71, connection(
        protocol=1, initiatorPort=8, responderPort=0, tcpFlag=0, applicationId=0,
        clientApplicationId=0, webApplicationId=0, clientUrl=""), T0 + 70,
        "cisco_firepower_connection"),
    "connection icmpv6": (71, connection(
        protocol=58, initiatorIpAddress="2001:db8::50", responderIpAddress="2001:DB8:0:0:0:0:0:1",
        initiatorPort=128, responderPort=0, tcpFlag=0, applicationId=0, clientApplicationId=0,
        webApplicationId=0, clientUrl=""), T0 + 70, "cisco_firepower_connection"),
    "connection ipv6 tcp": (71, connection(
        initiatorIpAddress="2001:db8:10::5", responderIpAddress="2606:4700::6810:84e5"),
        T0 + 66, "cisco_firepower_connection"),
    "connection nat": (71, connection(
        blockType=174, natInitiatorIp="198.51.100.7", natResponderIp="52.114.128.70",
        natInitiatorPort=61001, natResponderPort=443, ingressVRFName="global"), T0 + 66,
        "cisco_firepower_connection"),
    "connection zones zero": (71, connection(
        ingressZone="", egressZone="", ingressInterface="", egressInterface=""), T0 + 66,
        "cisco_firepower_connection"),
    "connection one zone": (71, connection(egressZone="", egressInterface=""), T0 + 66,
                            "cisco_firepower_connection"),
    "connection application unknown": (71, connection(
        applicationId=0, clientApplicationId=0, webApplicationId=0, userId=9999997), T0 + 66,
        "cisco_firepower_connection"),
    "connection default action": (71, connection(ruleId=0, ruleAction=DEFAULT_ACTION), T0 + 66,
                                  "cisco_firepower_connection"),
    "connection netflow": (71, connection(
        netflowSource=NETFLOW_EXPORTER, ruleAction=0, ruleId=0, policyRevision="",
        ingressZone="", egressZone="", ingressInterface="", egressInterface="", userId=0,
        applicationId=0, clientApplicationId=0, webApplicationId=0, clientUrl="", tcpFlag=0),
        T0 + 66, "cisco_firepower_connection"),
    "connection security intelligence block": (71, connection(
        ruleId=0, ruleAction=BLOCK, ruleReason=1, responderIpAddress="198.51.100.66",
        securityIntelligenceSourceDestination=2, securityIntelligenceLayer=0,
        securityIntelligenceList1=7, securityIntelligenceList2=8, sinkholeUuid=SINKHOLE,
        responderTransmittedBytes=0, responderTransmittedPackets=0, applicationId=0,
        clientApplicationId=0, webApplicationId=0, clientUrl="", urlCategory=28,
        urlReputation=1), T0 + 2, "cisco_firepower_connection"),
    # intrusion → Intrusion_Detection
    "intrusion tcp dropped": (400, intrusion(), T0 + 101, "cisco_firepower_intrusion"),
    "intrusion would block": (400, intrusion(blocked=2, impact=1), T0 + 101,
                              "cisco_firepower_intrusion"),
    "intrusion icmp": (400, intrusion(
        ruleId=384, ruleRevision=8, classificationId=29, priorityId=3, ipProtocolId=1,
        sourcePortOrIcmpType=8, destinationPortOrIcmpType=0, blocked=0, impact=3,
        applicationId=0), T0 + 101, "cisco_firepower_intrusion"),
    **{f"intrusion impact {impact}": (400, intrusion(
        blockType=85, priorityId=2, impact=impact, blocked=5 if impact == 4 else 0,
        blockedReasonId=2 if impact == 4 else 0, eventId=5000 + impact,
        httpHostname="www.example.com", httpURI="/setup.exe", snortVersion=3,
        originalSrcIP="198.51.100.23"), T0 + 101, "cisco_firepower_intrusion")
       for impact in range(6)},
    "intrusion impact from flags": (400, intrusion(impact=0, impactFlags=0x07, priorityId=2,
                                                   blocked=0), T0 + 101,
                                    "cisco_firepower_intrusion"),
    # intrusion context → no data model
    "packet": (2, {"deviceId": DEVICE, "eventId": 4711, "eventSecond": T0 + 100,
                   "packetSecond": T0 + 100, "packetMicrosecond": 250001, "linkType": 1,
                   "packetData": bytes.fromhex("0050568f1a2b00505601020308004500")}, T0 + 101,
               None),
    "impact alert": (9, {"blockType": 153, "eventId": 4711, "deviceId": DEVICE,
                         "eventSecond": T0 + 100, "impact": 0x18,
                         "sourceIpAddress": "203.0.113.9",
                         "destinationIpAddress": "192.168.50.50",
                         "description": "[Impact: Vulnerable] host vulnerable to CVE-2023-0001"},
                     T0 + 101, None),
    "extra data xff": (110, {"blockType": 4, "deviceId": DEVICE, "eventId": 4711,
                             "eventSecond": T0 + 100, "type": 2,
                             "blob": bytes(10) + b"\xff\xff" + bytes([198, 51, 100, 23])},
                       T0 + 101, None),
    # files → Malware (502 only)
    "file 500 clean": (500, file_event(), T0 + 204, None),
    "file 502 download malware": (502, file_event(
        disposition=3, action=3, shaHash=SHA_MALWARE, fileName="setup.exe", fileTypeId=21,
        uri="http://files.example.org/setup.exe", threatScore=90, fileStorageStatus=1),
        T0 + 204, "cisco_firepower_file_malware"),
    "file 502 upload blocked": (502, file_event(
        disposition=3, action=4, direction=2, shaHash=SHA_UNKNOWN, fileName="payload.bin",
        fileTypeId=0, uri="", sourcePort=49300, destinationPort=443, applicationId=1122),
        T0 + 204, "cisco_firepower_file_malware"),
    # AMP malware → Malware (threat types only)
    "malware quarantined": (125, malware_event(), T0 + 301, "cisco_firepower_malware"),
    "malware blocked execution": (125, malware_event(
        eventTypeId=553648168, detectionName="", fileName="dropper.exe", filePath="/tmp/x",
        fileShaHash=SHA_MALWARE, retroDisposition=5), T0 + 301, "cisco_firepower_malware"),
    "malware network transfer": (125, malware_event(
        eventTypeId=1, agentUuid="", sourceIpAddress="192.168.50.50",
        destinationIpAddress="203.0.113.80", direction=1, sourcePort=49200,
        destinationPort=80, protocol=6, applicationId=676, action=4, filePath="",
        connectionInstance=3, connectionCounter=122, connectionEventTimestamp=T0 + 299),
        T0 + 301, "cisco_firepower_malware"),
    "malware scan started": (125, malware_event(
        eventTypeId=554696714, detectionName="", fileName="", filePath="", fileShaHash="",
        disposition=0, fileSize=0, fileType=0, fileTimestamp=0), T0 + 301, None),
    # correlation → Alerts
    "correlation with users": (112, correlation(), None, "cisco_firepower_correlation"),
    "correlation without users": (112, correlation(
        sourceUserId=0, destinationUserId=0, eventDescription="", priority=5,
        destinationIpv6Address="", sourceIpv6Address="", sourceIp=0xC0A8320A,
        sourceOperatingSystemFingerprintUuid=""), None, "cisco_firepower_correlation"),
    # identity → Authentication (auth types 1–5 of record 95)
    "identity auth type 0": (95, user_login(authType=0, reportedBy=""), T0 + 501, None),
    "identity auth type 1": (95, user_login(), T0 + 501, "cisco_firepower_authentication"),
    "identity auth type 4": (95, user_login(authType=4, username="mallory", userId=0,
                                            realmId=0, domain="", securityGroupId=0,
                                            protocol=0, email="", reportedBy="",
                                            ipv6Address="192.168.50.99"),
                             T0 + 501, "cisco_firepower_authentication"),
    "identity new user": (94, user_login(authType=0), T0 + 501, None),
    # VPN → Network_Sessions
    "vpn login": (170, vpn(), T0 + 601, "cisco_firepower_vpn_start"),
    "vpn logoff": (171, vpn(171, session={"connectionDuration": 3600,
                                          "bytesTransmitted": 1048576,
                                          "bytesReceived": 73400320}), T0 + 4201,
                   "cisco_firepower_vpn_end"),
    # host discovery → no data model
    "discovery new os": (101, {"deviceId": DEVICE, "legacyIpAddress": "192.168.50.50",
                               "macAddress": "00:50:56:ab:cd:ef", "eventSecond": T0 + 700,
                               "eventMicrosecond": 5, "eventType": 1000, "eventSubtype": 8,
                               "osfingerprint": {"uuid": OS_FINGERPRINT, "type": 1,
                                                 "sourceType": 0, "lastSeen": T0 + 700}},
                         T0 + 701, None),
    "discovery tcp port closed": (23, {"deviceId": DEVICE, "hasIpv6": 1,
                                       "hostIpAddr": "2001:db8::50", "eventSecond": T0 + 710,
                                       "eventType": 1001, "eventSubtype": 8, "port": 8080},
                                  T0 + 711, None),
}

# Which records each family's scenarios exercise (a test checks none is missing).
FAMILY_RECORD_TYPES = {
    "connection": {71}, "intrusion": {400}, "intrusion_extra": {2, 9, 110}, "file": {500, 502},
    "malware": {125}, "correlation": {112}, "identity": {94, 95}, "vpn": {170, 171},
    "discovery": {23, 101},
}


def scenario_record(name: str):
    record_type, values, archive, _ = SCENARIOS[name]
    return decode(record_type, values, archive)


def scenario_events(options: MapperOptions = None):
    """``[(scenario name, expected event type, Event)]`` for every scenario."""
    events_mapper = mapper(options)
    out = []
    for name, (record_type, values, archive, eventtype) in SCENARIOS.items():
        out.append((name, eventtype, events_mapper.map(decode(record_type, values, archive))))
    return out


def simulator_events(records=600, generation=DEFAULT_GENERATION):
    """Every family the FMC simulator produces (fmcsim's own archive, no network), decoded and
    mapped as the input does: metadata first, then the events. ``generation``: the event
    versions asked for ("7.0": the FMC 7 blocks)."""
    from fmcsim.traffic import record_bodies
    subscription = Subscription(families=ALL_FAMILIES, packets=True, extra_data=True,
                                generation=generation)
    decoder, cache = RecordDecoder(), MetadataCache()
    mapper, events = EventMapper(cache, "fmc-sim.example.net"), []
    for body in record_bodies(subscription, records):
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
        event = mapper.map(record)
        if event is not None:
            events.append((record["recordType"], event))
    return events
