"""The simulated network behind the FMC: its devices, policies and names (the metadata records)
and the field values of one event of each record type.

``event_values(record_type, j, block)`` gives the decoded-form values (the field names the
library's decoder produces) of variant ``j`` of a record type, plus the metadata keys the event
refers to, so the FMC can send each metadata record once, right before the first event using it.
Varying ``j`` rotates devices, addresses, users, applications and policies; the identifying
fields (serial numbers, timestamps) are patched in later by :mod:`fmcsim.traffic`.

Among them are the cases analysts hunt (:mod:`fmcsim.hunted` names them as searches): blocked
connections, encrypted-visibility (EVE) threat confidence of 80 % and more, large outbound
transfers from the inside zone to the outside zone, SSH to a non-standard port, malware file
downloads, executable downloads (ELF, MSEXE), high-priority intrusions classified "A Network
Trojan was Detected", and SnortML detections (generator 411). Variants ``j`` below 16 hold
every case, so a few hundred records of every family show them all.
"""
from __future__ import annotations

import hashlib
import uuid


def _uuid(*parts) -> str:
    return str(uuid.UUID(bytes=hashlib.md5("/".join(map(str, parts)).encode()).digest()))


def _hex(size: int, *parts) -> str:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=size).hexdigest()


# --- the estate ---------------------------------------------------------------------------------
DOMAINS = {1: "Global", 2: "Global \\ Branches"}
DEVICES = {1: ("ftd-hq-01.example.net", 1), 2: ("ftd-branch-02.example.net", 2),
           3: ("ftd-dc-03.example.net", 1)}
ZONES = [(_uuid("zone", n), n) for n in ("inside", "outside", "dmz")]
INTERFACES = [(_uuid("if", n), n) for n in
              ("GigabitEthernet0/0", "GigabitEthernet0/1", "GigabitEthernet0/2")]
ACP_REVISION = _uuid("acp", "revision", 42)
ACP_NAMES = {1: "HQ Access Policy", 2: "Branch Access Policy", 3: "DC Access Policy"}
RULES = {268435457: "Allow-Outbound-Web", 268435458: "Block-Malicious-Sites",
         268435459: "Trust-Internal-DNS", 268435460: "Inspect-DMZ-Inbound"}
RULE_ACTIONS = {1: "Allow", 2: "Block", 4: "Trust", 6: "Monitor"}
RULE_REASONS = {1: "IP Block", 256: "DNS Block"}
EVE_PROCESSES = {1296: "chrome browser", 2646: "firefox browser", 1048: "curl"}
APP_PROTOCOLS = {676: "HTTPS", 1122: "HTTP", 617: "DNS", 1113: "SSH", 638: "SMTP"}
CLIENT_APPS = {1296: "Chrome", 2646: "Firefox", 1048: "curl", 1601: "DNS client",
               1150: "OpenSSH"}
CLIENT_VERSIONS = {1296: "124.0", 2646: "125.0.2", 1048: "8.5.0", 1150: "8.9p1"}
WEB_APPS = {929: "Google", 3022: "Office 365", 2001: "GitHub"}
USERS = {1001: "alice", 1002: "bob", 1003: "carol", 1004: "dave"}
REALM = (1, "corp.example.com")
COUNTRIES = {840: "united states", 528: "netherlands", 276: "germany", 392: "japan"}
URL_CATEGORIES = {12: "Search Engines and Portals", 24: "Business and Economy",
                  63: "Malware Sites"}
URL_REPUTATIONS = {5: "Well known", 4: "Benign sites", 1: "High risk"}
CIPHERS = {49199: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 4866: "TLS_AES_256_GCM_SHA384"}
SSL_VERSIONS = {4: "TLSv1.2", 5: "TLSv1.3"}
SSL_CERT_STATUS = {2: "Valid"}
SSL_ACTIONS = {2: "Do Not Decrypt", 7: "Decrypt (Resign)"}
SSL_FLOW_STATUS = {1: "Success"}
SSL_POLICY = (_uuid("ssl", "policy"), "Corporate TLS Policy")
NAP = (_uuid("nap"), "Balanced Security and Connectivity (NAP)")
SI_CATEGORIES = {1: "Malware", 2: "CnC", 3: "Tor_exit_node"}
SI_SRC_DEST = {1: "Source", 2: "Destination"}
DNS_RECORD_TYPES = {1: ("A", "a host address"), 28: ("AAAA", "IP6 Address")}
DNS_RESPONSES = {0: ("NOERROR", "No Error"), 3: ("NXDOMAIN", "Non-Existent Domain")}
SINKHOLE = (_uuid("sinkhole"), "Umbrella Sinkhole")
NETWORK_PROTOCOLS = {2048: "IPv4", 34525: "IPv6"}
SOURCE_TYPES = {1: "RNA"}
SOURCE_DETECTORS = {1: "Snort"}
# intrusion: (generator, rule) → (message, classification, priority); generator 411 is SnortML
INTRUSION_RULES = {
    (1, 31978): ("SERVER-WEBAPP Apache Struts remote code execution attempt", 29, 1),
    (1, 58722): ("SERVER-OTHER Apache Log4j logging remote code execution attempt", 1, 1),
    (1, 23493): ("MALWARE-CNC Win.Trojan.Emotet variant outbound connection", 14, 1),
    (411, 1): ("(snort_ml) potential threat found in HTTP parameters via Neural Network Based "
               "Exploit Detection", 29, 1),
    (1, 2403): ("OS-WINDOWS Microsoft Windows SMB-DS DCERPC Messenger overflow", 1, 2),
    (1, 48732): ("MALWARE-CNC Win.Trojan.Qakbot variant outbound connection", 33, 1),
    (120, 3): ("(http_inspect) NO CONTENT-LENGTH OR TRANSFER-ENCODING IN HTTP RESPONSE", 30, 3),
}
RULE_MESSAGES = {key: message for key, (message, _, _) in INTRUSION_RULES.items()}
CLASSIFICATIONS = {1: ("attempted-admin", "Attempted Administrator Privilege Gain"),
                   29: ("web-application-attack", "Web Application Attack"),
                   14: ("trojan-activity", "A Network Trojan was Detected"),
                   33: ("malware-cnc", "Known malware command and control traffic"),
                   30: ("protocol-command-decode", "Generic Protocol Command Decode")}
PRIORITIES = {1: "high", 2: "medium", 3: "low"}
IPS_POLICY = (_uuid("ips", "policy"), "Balanced Security and Connectivity")
EXTRA_DATA_TYPES = {2: ("XFF Client (Ipv6)", "ipv6"), 9: ("HTTP URI", "string")}
# file and malware (the FMC's short file type codes)
FILE_TYPES = {22: "MSEXE", 285: "PDF", 5: "ZIP", 19: "ELF", 273: "EICAR"}
CLEAN_TYPES = (285, 22, 5, 19)                     # file events (500) rotate through these
MALWARE_TYPES_BY_FILE = {22: "W32.Emotet.Variant", 19: "Unix.Trojan.Mirai", 273: "EICAR"}
SPERO = {1: "Spero detection not performed on file", 2: "Spero detected file"}
FILE_POLICY = (_uuid("file", "policy"), "Malware & File Policy")
FILE_STORAGES = {1: "File Stored"}
FILE_SANDBOX = {1: "Sent for Analysis"}
CLOUD = (_uuid("amp", "cloud"), "AMP Cloud (US)")
MALWARE_TYPES = {1: "Threat Detected in Network File Transfer",
                 1090519054: "Threat Detected", 553648143: "Threat Quarantined"}
MALWARE_SUBTYPES = {1: "Create", 3: "Execute"}
DETECTORS = {1: "ClamAV", 4: "SHA"}
AMP_FILE_TYPES = {22: "MSEXE", 285: "PDF"}
# correlation
CORRELATION_POLICIES = {1: ("Critical Asset Policy", "Alerts on attacks against critical servers")}
CORRELATION_RULES = {7: ("Intrusion against DMZ server", "High-priority IPS event in the DMZ",
                         "intrusion event")}
# discovery
OS_FINGERPRINT = (_uuid("os", "ubuntu"), "Linux", "Canonical", "22.04")
IOCS = {4: ("Malware Detected", "Threat Detected in File Transfer")}


# --- metadata records ---------------------------------------------------------------------------

def _id_name(table):
    return {k: {"id": k, "name": v} for k, v in table.items()}


def metadata_records() -> dict:
    """(record type, key) → values, for every piece of metadata events can refer to."""
    out = {}

    def add(record_type, items):
        for key, values in items.items():
            out[(record_type, key)] = values

    add(350, _id_name(DOMAINS))
    add(123, {d: {"id": d, "name": name} for d, (name, _) in DEVICES.items()})
    add(115, {u: {"uuid": u, "name": n} for u, n in ZONES})
    add(116, {u: {"uuid": u, "name": n} for u, n in INTERFACES})
    add(145, {d: {"uuid": ACP_REVISION, "sensorId": d, "name": ACP_NAMES[d]} for d in DEVICES})
    add(119, {r: {"uuid": ACP_REVISION, "id": r, "name": n} for r, n in RULES.items()})
    add(120, _id_name(RULE_ACTIONS))
    add(124, {k: {"id": k, "description": v} for k, v in RULE_REASONS.items()})
    add(63, _id_name(APP_PROTOCOLS))
    add(55, _id_name(CLIENT_APPS))
    add(109, _id_name(WEB_APPS))
    add(98, {k: {"id": k, "protocol": 710, "name": v} for k, v in USERS.items()})
    add(300, _id_name(dict([REALM])))
    add(520, {k: {"countryCode": k, "country": v} for k, v in COUNTRIES.items()})
    add(121, _id_name(URL_CATEGORIES))
    add(122, _id_name(URL_REPUTATIONS))
    add(602, _id_name(CIPHERS))
    add(604, _id_name(SSL_VERSIONS))
    add(605, _id_name(SSL_CERT_STATUS))
    add(606, _id_name(SSL_ACTIONS))
    add(607, _id_name(SSL_ACTIONS))
    add(608, _id_name(SSL_FLOW_STATUS))
    add(600, {0: {"uuid": SSL_POLICY[0], "name": SSL_POLICY[1]}})
    add(700, {0: {"blockType": 14, "uuid": NAP[0], "name": NAP[1]}})
    add(280, {k: {"id": k, "accessControlPolicyUuid": ACP_REVISION, "name": v}
              for k, v in SI_CATEGORIES.items()})
    add(281, _id_name(SI_SRC_DEST))
    add(320, {k: {"id": k, "name": n, "description": d} for k, (n, d) in DNS_RECORD_TYPES.items()})
    add(321, {k: {"id": k, "name": n, "description": d} for k, (n, d) in DNS_RESPONSES.items()})
    add(322, {0: {"uuid": SINKHOLE[0], "name": SINKHOLE[1]}})
    add(59, _id_name(NETWORK_PROTOCOLS))
    add(90, _id_name(SOURCE_TYPES))
    add(96, _id_name(SOURCE_DETECTORS))
    add(66, {k: {"generatorId": k[0], "ruleId": k[1], "ruleRevision": 3, "signatureId": k[1],
                 "ruleUuid": _uuid("rule", *k), "ruleRevisionUuid": _uuid("rule-rev", *k),
                 "message": m} for k, m in RULE_MESSAGES.items()})
    add(67, {k: {"id": k, "name": n, "description": d, "uuid": _uuid("class", k),
                 "revisionUuid": _uuid("class-rev", k)} for k, (n, d) in CLASSIFICATIONS.items()})
    add(4, _id_name(PRIORITIES))
    add(118, {0: {"uuid": IPS_POLICY[0], "name": IPS_POLICY[1]}})
    add(111, {k: {"type": k, "name": n, "encoding": e} for k, (n, e) in EXTRA_DATA_TYPES.items()})
    add(510, _id_name(FILE_TYPES))
    # the FMC names known-bad SHA-256s with their threat (ThreatName in Cisco's events)
    add(511, {k: {"shaHash": _hex(32, "malware", k), "fileName": threat, "disposition": 3,
                  "userDefined": 0} for k, threat in MALWARE_TYPES_BY_FILE.items()})
    add(517, _id_name(SPERO))
    add(530, {0: {"blockType": 14, "uuid": FILE_POLICY[0], "name": FILE_POLICY[1]}})
    add(515, _id_name(FILE_STORAGES))
    add(516, _id_name(FILE_SANDBOX))
    add(127, {0: {"uuid": CLOUD[0], "name": CLOUD[1]}})
    add(128, _id_name(MALWARE_TYPES))
    add(129, _id_name(MALWARE_SUBTYPES))
    add(130, _id_name(DETECTORS))
    add(131, _id_name(AMP_FILE_TYPES))
    add(69, {k: {"id": k, "name": n, "description": d, "uuid": _uuid("cpol", k),
                 "revisionUuid": _uuid("cpol-rev", k)}
             for k, (n, d) in CORRELATION_POLICIES.items()})
    add(70, {k: {"id": k, "name": n, "description": d, "eventType": t,
                 "correlationRuleUuid": _uuid("crule", k),
                 "correlationRevisionUuid": _uuid("crule-rev", k), "whitelistUuid": ""}
             for k, (n, d, t) in CORRELATION_RULES.items()})
    add(54, {OS_FINGERPRINT[0]: {"uuid": OS_FINGERPRINT[0], "name": OS_FINGERPRINT[1],
                                 "vendor": OS_FINGERPRINT[2], "version": OS_FINGERPRINT[3]}})
    add(161, {k: {"id": k, "category": c, "eventType": t} for k, (c, t) in IOCS.items()})
    return out


# --- event values -------------------------------------------------------------------------------

def _pick(table, j: int):
    keys = list(table)
    return keys[j % len(keys)]


def device_of(j: int) -> int:
    """The managed device of variant ``j``: the manifest computes keys from this alone."""
    return j % len(DEVICES) + 1


def _inside(j):
    return f"10.{1 + j % 3}.{(j // 3) % 250}.{10 + j % 200}"


def _outside(j):
    return f"203.0.{113 + j % 3}.{(j * 7) % 250 + 1}"


class _Refs(list):
    def add(self, record_type, key):
        if (record_type, key) not in self:
            self.append((record_type, key))
        return key


def _device_refs(refs, device):
    refs.add(350, DEVICES[device][1])
    refs.add(123, device)


DISCOVERY_TYPES = {10: (1000, 1), 11: (1000, 2), 13: (1000, 3), 15: (1000, 7), 19: (1001, 7),
                   22: (1001, 5), 101: (1000, 8), 160: (1008, 1), 71: (1003, 1),
                   92: (1004, 4), 93: (1004, 3), 94: (1004, 1), 95: (1004, 2),
                   170: (1004, 2), 171: (1004, 2)}


def _discovery_header(record_type, j, device, host):
    event_type, subtype = DISCOVERY_TYPES[record_type]
    return {"deviceId": device, "legacyIpAddress": "0.0.0.0",
            "macAddress": "00:50:56:%02x:%02x:%02x" % (j % 3, (j >> 8) & 255, j & 255),
            "hasIpv6": 1, "eventSecond": 0, "eventMicrosecond": 0, "eventType": event_type,
            "eventSubtype": subtype, "fileNumber": 0, "filePosition": 0, "hostIpAddr": host}


def _connection(j, device, block, refs):
    v = _discovery_header(71, j, device, "::")
    v["macAddress"] = "00:00:00:00:00:00"  # real connection records carry no host MAC
    exfiltration = j % 16 == 5  # hunted: a large transfer out of the inside zone
    ssh = j % 16 == 10          # hunted: SSH to a port other than 22
    web = j % 4 != 3 and not ssh
    outside = 1 if exfiltration or ssh else 1 + j % 2
    zone_in, zone_out = ZONES[0][0], ZONES[outside][0]
    if_in, if_out = INTERFACES[0][0], INTERFACES[outside][0]
    rule = _pick(RULES, j)
    si = j % 9 == 4  # some connections are security-intelligence blocks
    dns = j % 4 == 3
    user = _pick(USERS, j)
    client = 1601 if dns else 1150 if ssh else _pick({1296: 0, 2646: 0, 1048: 0}, j)
    v.update({
        "blockType": block, "deviceId": device,
        "ingressZone": refs.add(115, zone_in), "egressZone": refs.add(115, zone_out),
        "ingressInterface": refs.add(116, if_in), "egressInterface": refs.add(116, if_out),
        "initiatorIpAddress": _inside(j), "responderIpAddress": _outside(j),
        "policyRevision": ACP_REVISION, "ruleId": refs.add(119, rule),
        "ruleAction": refs.add(120, 2 if si else (4 if dns else 1)),
        "ruleReason": refs.add(124, 1) if si else 0,
        "initiatorPort": 49152 + (j * 37) % 16000,
        "responderPort": 53 if dns else 2222 if ssh else 443,
        "tcpFlag": 0, "protocol": 17 if dns else 6,
        "netflowSource": "", "firstPacketTimestamp": 0, "lastPacketTimestamp": 0,
        "initiatorTransmittedPackets": 12 + j % 50, "responderTransmittedPackets": 10 + j % 40,
        "initiatorTransmittedBytes": 734_003_200 + j if exfiltration else 1400 + 97 * (j % 300),
        "responderTransmittedBytes": 9000 + 1013 * (j % 500),
        "userId": refs.add(98, user) if not dns else 0,
        "applicationId": refs.add(63, 617 if dns else 1113 if ssh else 676),
        "urlCategory": refs.add(121, 63 if si else _pick(URL_CATEGORIES, j)) if web else 0,
        "urlReputation": refs.add(122, 1 if si else 5) if web else 0,
        "clientApplicationId": refs.add(55, client),
        "webApplicationId": refs.add(109, _pick(WEB_APPS, j)) if web else 0,
        "clientUrl": f"https://www{j % 7}.example.com/path/{j}" if web else "",
        "netbios": "", "clientApplicationVersion": CLIENT_VERSIONS.get(client, ""),
        "securityIntelligenceSourceDestination": refs.add(281, 2) if si else 0,
        "securityIntelligenceLayer": 1 if si else 0,
        "fileEventCount": 1 if j % 11 == 0 else 0, "intrusionEventCount": 1 if j % 13 == 0 else 0,
        "initiatorCountry": 0, "responderCountry": refs.add(520, _pick(COUNTRIES, j)),
        "sourceAutonomousSystem": 0, "destinationAutonomousSystem": 13335,
        "securityContext": "", "vlanId": 100 + j % 3,
        "referencedHost": f"www{j % 7}.example.com" if web else "",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" if web else "",
        "httpReferrer": "", "httpResponse": 200 if web else 0,
        "networkAnalysisPolicyRevision": NAP[0],
    })
    refs.add(700, 0)
    if si:
        v["securityIntelligenceList1"] = refs.add(280, _pick(SI_CATEGORIES, j))
    if web:  # TLS details for the HTTPS flows
        v.update({"sslCertificateFingerprint": _hex(20, "cert", j % 5),
                  "sslPolicyId": SSL_POLICY[0].replace("-", ""), "sslRuleId": 1,
                  "sslCipherSuite": refs.add(602, _pick(CIPHERS, j)),
                  "sslVersion": refs.add(604, _pick(SSL_VERSIONS, j)),
                  "sslServerCertificateStatus": refs.add(605, 2),
                  "sslActualAction": refs.add(606, 2), "sslExpectedAction": refs.add(607, 2),
                  "sslFlowStatus": refs.add(608, 1), "sslServerName": v["referencedHost"],
                  "sslSessionId": _hex(32, "sess", j), "sslSessionIdLength": 32})
        refs.add(600, 0)
    if dns:
        v.update({"dnsQuery": f"host{j % 17}.example.org",
                  "dnsRecordType": refs.add(320, 1 if j % 2 else 28),
                  "dnsResponseType": refs.add(321, 3 if j % 5 == 0 else 0), "dnsTtl": 300})
        if j % 8 == 7:
            v["sinkholeUuid"] = SINKHOLE[0]
            refs.add(322, 0)
    if block >= 161:
        v["securityContext"] = _uuid("ctx", 0).replace("-", "")
        v["originalClientIpAddress"] = _inside(j + 1) if j % 6 == 0 else "::"
    if block >= 170:
        v.update({"sourceSecurityGroupTag": 4 + j % 3, "destinationSecurityGroupTag": 0})
    if block >= 174:  # FMC 7 connection events carry the NAT translation and EVE's verdict
        v.update({"natInitiatorIp": _outside(j + 3), "natInitiatorPort": 30000 + j % 20000,
                  "natResponderIp": v["responderIpAddress"],
                  "natResponderPort": v["responderPort"], "ingressVRFName": "Global",
                  "egressVRFName": "Global"})
        if web:  # encrypted visibility: the client process behind the TLS fingerprint
            threat = j % 8 == 6  # hunted: EVE threat confidence of 80 % and more
            v.update({"eveProcess": "curl" if threat else EVE_PROCESSES[client],
                      "eveProcessConfidencePercentage": 100 - j % 20,
                      "eveThreatConfidencePercentage": 93 if threat else 1 + j % 9,
                      "eveThreatConfidenceIndex": 5 if threat else 1,
                      "clientAppDectectorId": 2})
    refs.add(145, device)
    return v


def _intrusion(j, device, block, refs):
    gid, sid = _pick(INTRUSION_RULES, j)
    _, classification, priority = INTRUSION_RULES[(gid, sid)]
    refs.add(66, (gid, sid))
    user = _pick(USERS, j)
    would_block = j % 4 == 3  # inline in detection mode: "would have blocked"
    v = {"blockType": block, "deviceId": device, "eventMicrosecond": (j * 7919) % 1000000,
         "ruleId": sid, "generatorId": gid, "ruleRevision": 3,
         "classificationId": refs.add(67, classification),
         "priorityId": refs.add(4, priority),
         "sourceIpAddress": _outside(j), "destinationIpAddress": _inside(j),
         "sourcePortOrIcmpType": 40000 + j % 20000, "destinationPortOrIcmpType": 80,
         "ipProtocolId": 6, "impactFlags": 7, "impact": 1 + j % 4,
         "blocked": 5 if would_block else j % 2,
         "policyUuid": IPS_POLICY[0], "userId": refs.add(98, user),
         "webApplicationId": 0, "clientApplicationId": refs.add(55, 1048),
         "applicationId": refs.add(63, 1122), "accessControlRuleId": refs.add(119, 268435460),
         "accessControlPolicyUuid": ACP_REVISION,
         "interfaceIngressUuid": refs.add(116, INTERFACES[1][0]),
         "interfaceEgressUuid": refs.add(116, INTERFACES[2][0]),
         "securityZoneIngressUuid": refs.add(115, ZONES[1][0]),
         "securityZoneEgressUuid": refs.add(115, ZONES[2][0]),
         "sourceCountry": refs.add(520, _pick(COUNTRIES, j)), "destinationCountry": 0,
         "networkAnalysisPolicyUuid": NAP[0], "httpResponse": 404 if j % 3 else 200}
    refs.add(118, 0)
    refs.add(700, 0)
    if block >= 81:
        v.update({"ingressVRFName": "Global", "egressVRFName": "Global", "snortVersion": 3,
                  "blockedReasonId": 2 if would_block else 0})
    if block >= 85:
        v.update({"httpHostname": "dmz-web.example.net", "httpURI": f"/struts/action?id={j}"})
    return v


def _extra(j, device, extra_type, refs):
    refs.add(111, extra_type)
    # XFF client: the 16 bytes of an IPv6 address (IPv4-mapped here); other types are text
    blob = (b"\x00" * 10 + b"\xff\xff" + bytes([198, 51, 100, j % 250])) \
        if extra_type == 2 else f"/struts/action?id={j}".encode()
    return {"blockType": 4, "deviceId": device, "type": extra_type, "blob": blob.hex()}


def _packet(j, device):
    payload = f"GET /struts/action?id={j} HTTP/1.1\r\nHost: dmz-web\r\n\r\n".encode()
    frame = (bytes.fromhex("005056000001005056000002 0800".replace(" ", ""))
             + bytes.fromhex("450000") + bytes([40 + len(payload)]) + bytes(16)
             + bytes(20) + payload)
    return {"deviceId": device, "linkType": 1, "packetMicrosecond": 0,
            "packetData": frame.hex()}


def _impact(j, device):
    return {"blockType": 153, "deviceId": device, "impact": 1 + j % 4,
            "sourceIpAddress": _outside(j), "destinationIpAddress": _inside(j),
            "description": "Host is vulnerable to the exploited service"}


def _file(record_type, j, device, block, refs):
    malware = record_type == 502  # hunted: malware downloads; 500s include clean ELF and MSEXE
    file_type = _pick(MALWARE_TYPES_BY_FILE, j) if malware else CLEAN_TYPES[j % len(CLEAN_TYPES)]
    refs.add(510, file_type)
    if malware:
        refs.add(511, file_type)
    refs.add(530, 0)
    # the connection's initiator (source) is the inside client; the download comes from outside
    v = {"blockType": block, "deviceId": device, "sourceIpAddress": _inside(j),
         "destinationIpAddress": _outside(j), "disposition": 3 if malware else 1,
         "speroDisposition": refs.add(517, 2 if malware and file_type == 22 else 1),
         "fileStorageStatus": refs.add(515, 1),
         "fileAnalysisStatus": refs.add(516, 1) if malware else 0, "localMalwareAnalysisStatus": 0,
         "archiveFileStatus": 0, "threatScore": 90 if malware else 0,
         "action": 4 if malware else 1,
         "shaHash": _hex(32, "malware" if malware else "file", file_type),
         "fileTypeId": file_type, "fileName": f"invoice-{file_type}.{FILE_TYPES[file_type]}".lower(),
         "fileSize": 40960 + 512 * (j % 100), "direction": 1,
         "applicationId": refs.add(63, 1122), "userId": refs.add(98, _pick(USERS, j)),
         "uri": f"http://files.example.com/dl/{j}", "signature": "",
         "sourcePort": 50000 + j % 10000, "destinationPort": 80, "protocol": 6,
         "accessControlPolicyUuid": FILE_POLICY[0],  # names the event's file policy (530)
         "sourceCountry": 0, "destinationCountry": refs.add(520, _pick(COUNTRIES, j)),
         "webApplicationId": 0, "clientApplicationId": refs.add(55, 2646),
         "httpResponse": 200}
    if block >= 79:
        v.update({"ingressVRF": "Global", "egressVRF": "Global"})
    refs.add(145, device)
    return v


def _malware(j, device, block, refs):
    event_type = _pick(MALWARE_TYPES, j)
    refs.add(127, 0)
    v = {"blockType": block, "agentUuid": _uuid("agent", j % 5), "cloudUuid": CLOUD[0],
         "eventTypeId": refs.add(128, event_type), "eventSubtypeId": refs.add(129, 1),
         "detectorId": refs.add(130, 4), "detectionName": "W32.Emotet.Variant",
         "user": "CORP\\" + USERS[_pick(USERS, j)], "fileName": "invoice.exe",
         "filePath": "C:\\Users\\Public\\Downloads\\invoice.exe",
         "fileShaHash": _hex(32, "malware", 22), "fileSize": 40960, "fileType": refs.add(131, 22),
         "fileTimestamp": 1_690_000_000, "parentFileName": "outlook.exe",
         "parentShaHash": _hex(32, "outlook"), "eventDescription": "Threat detected on endpoint",
         "deviceId": device, "direction": 1, "sourceIpAddress": _inside(j),
         "destinationIpAddress": _outside(j), "applicationId": refs.add(63, 1122),
         "userId": refs.add(98, _pick(USERS, j)), "accessControlPolicyUuid": ACP_REVISION,
         "disposition": 3, "retroDisposition": 0, "uri": f"http://files.example.com/dl/{j}",
         "sourcePort": 50000 + j % 10000, "destinationPort": 80, "sourceCountry": 0,
         "destinationCountry": 0, "webApplicationId": 0, "clientApplicationId": 0,
         "action": 4, "protocol": 6, "threatScore": 100, "httpResponse": 200}
    if block >= 80:
        v.update({"ingressVRFName": "Global", "egressVRFName": "Global"})
    _device_refs(refs, device)
    return v


def _correlation(j, device, refs):
    return {"blockType": 156, "deviceId": device, "policyId": refs.add(69, 1),
            "ruleId": refs.add(70, 7), "priority": refs.add(4, 1),
            "eventDescription": "Intrusion against DMZ server: SERVER-WEBAPP Apache Struts",
            "eventType": 1, "eventDeviceId": device, "signatureId": 31978,
            "signatureGeneratorId": 1, "triggerEventMicrosecond": 0, "deviceEventId": j + 1,
            "eventDefinedMask": 0, "eventImpactFlags": 7, "ipProtocol": 6, "networkProtocol": 2048,
            "sourceIp": 0xCB007100 + j % 250, "sourceHostType": 0, "sourceVlanId": 0,
            "sourceCriticality": 0, "sourceUserId": 0, "sourcePort": 40000 + j % 20000,
            "sourceServerId": 0, "destinationIp": 0x0A030000 + j % 250, "destinationHostType": 0,
            "destinationVlanId": 0, "destinationCriticality": 3, "destinationUserId": 0,
            "destinationPort": 80, "destinationServerId": refs.add(63, 1122), "impact": 1,
            "blocked": 0, "intrusionPolicy": IPS_POLICY[0], "ruleAction": 0,
            "accessControlPolicyRevision": ACP_REVISION,
            "accessControlRuleId": refs.add(119, 268435460),
            "ingressIntefaceUuid": refs.add(116, INTERFACES[1][0]),
            "egressIntefaceUuid": refs.add(116, INTERFACES[2][0]),
            "ingressZoneUuid": refs.add(115, ZONES[1][0]),
            "egressZoneUuid": refs.add(115, ZONES[2][0]),
            "sourceIpv6Address": _outside(j), "destinationIpv6Address": _inside(j),
            "sourceCountry": refs.add(520, _pick(COUNTRIES, j)), "destinationCountry": 0}


def _user_block(record_type, j, refs):
    user = _pick(USERS, j)
    refs.add(300, REALM[0])
    block = {"blockType": 167, "timestamp": 0, "ipv4Address": _inside(j),
             "username": USERS[user], "domain": "CORP", "userId": refs.add(98, user),
             "realmId": REALM[0], "protocol": 710, "email": f"{USERS[user]}@example.com",
             "ipv6Address": _inside(j), "loginType": 1, "authType": 1,
             "reportedBy": "ise-01.example.net", "description": ""}
    if record_type in (170, 171):
        block.update({"authType": 5, "loginType": 0, "reportedBy": "ftd-vpn",
                      "ipv4Address": f"172.16.{j % 3}.{10 + j % 200}"})
        block["vpnSession"] = [{
            "index": j % 64 + 1, "vpnType": 3, "groupPolicy": "DfltGrpPolicy",
            "vpnConnectionProfile": "RemoteAccess",
            "clientIP": "00" * 10 + "ffff" + "cb0071%02x" % (j % 250),  # IPv4-mapped
            "countryCode": refs.add(520, _pick(COUNTRIES, j)), "clientOS": "Windows 11",
            "clientApplication": "AnyConnect 4.10",
            "connectionDuration": 0 if record_type == 170 else 3600 + j,
            "bytesTransmitted": 0 if record_type == 170 else 1_000_000 + j,
            "bytesReceived": 0 if record_type == 170 else 5_000_000 + j}]
    return block


def _identity(record_type, j, device, refs):
    v = _discovery_header(record_type, j, device, _inside(j))
    if record_type == 92:
        user = _pick(USERS, j)
        v["user"] = {"blockType": 120, "userId": refs.add(98, user), "username": USERS[user],
                     "protocol": 710, "firstName": USERS[user].title(), "lastName": "Example",
                     "email": f"{USERS[user]}@example.com", "department": "IT",
                     "phone": "+1 555 0100"}
    elif record_type == 170:
        v["userLogin"] = _user_block(record_type, j, refs)
    elif record_type == 171:
        v["userLogoff"] = _user_block(record_type, j, refs)
    else:
        v["user"] = _user_block(record_type, j, refs)
    return v


def _discovery(record_type, j, device, refs):
    v = _discovery_header(record_type, j, device, _inside(j))
    if record_type == 10:
        v["hostProfile"] = {"blockType": 139, "ipAddress": _inside(j), "hops": 1,
                            "primarySecondary": 0, "hostType": 0, "vlanPresence": 1,
                            "vlanId": 100 + j % 3, "netbios": f"WS-{j:04d}"}
    elif record_type == 11:
        refs.add(90, 1)
        v["hostServer"] = {"blockType": 103, "port": 22, "hits": 3, "confidence": 100,
                           "serverInformation": [{"blockType": 117,
                                                  "applicationId": refs.add(63, 1113),
                                                  "vendor": "OpenBSD", "version": "OpenSSH 8.9",
                                                  "sourceType": 1, "sourceId": 1}]}
    elif record_type == 13:
        v["networkProtocol"] = refs.add(59, 2048)
    elif record_type == 15:
        v["client"] = {"blockType": 122, "hits": 1, "id": refs.add(55, 1296),
                       "applicationProto": refs.add(63, 676), "version": "124.0"}
    elif record_type == 22:
        v["hops"] = 2
    elif record_type == 101:
        refs.add(54, OS_FINGERPRINT[0])
        v["osfingerprint"] = {"blockType": 130, "uuid": OS_FINGERPRINT[0], "type": 1,
                              "sourceType": refs.add(90, 1), "sourceId": refs.add(96, 1),
                              "ttlDifference": 0}
    elif record_type == 160:
        v["id"] = {"blockType": 7, "value": refs.add(161, 4)}
    return v


def event_values(record_type: int, j: int, block: int = None, sub: int = 0):
    """``(values, metadata keys)`` of variant ``j`` of an event record type (``sub``: the
    extra-data type of a record 110)."""
    refs = _Refs()
    device = device_of(j)
    _device_refs(refs, device)
    if record_type == 71:
        values = _connection(j, device, block or 160, refs)
    elif record_type == 400:
        values = _intrusion(j, device, block or 60, refs)
    elif record_type == 110:
        values = _extra(j, device, sub or 2, refs)
    elif record_type == 2:
        values = _packet(j, device)
    elif record_type == 9:
        values = _impact(j, device)
    elif record_type in (500, 502):
        values = _file(record_type, j, device, block or 56, refs)
    elif record_type == 125:
        values = _malware(j, device, block or 62, refs)
    elif record_type == 112:
        values = _correlation(j, device, refs)
    elif record_type in (92, 93, 94, 95, 170, 171):
        values = _identity(record_type, j, device, refs)
    else:
        values = _discovery(record_type, j, device, refs)
    return values, list(refs)
