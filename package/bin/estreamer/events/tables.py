"""The lookup tables that give events their CIM values (``*_TABLE``, one shipped CSV each), the
label tables that name the FMC's codes at ingest, and the ESCU compatibility layer's tables.

One source of truth: the event tables apply these at ingest, and the CSVs in
``package/lookups/`` (for dashboards and ad-hoc searches) are rendered from them:
``python -m estreamer.events package/lookups``. Codes and names are those of Cisco's eStreamer
Integration Guide (the record or field each table decodes is named above it) and of eNcore's
defaults; comments say where a row departs from a mechanical rule. ``docs/event-fields.md``
shows which event key each table feeds.
"""
from __future__ import annotations

import csv
import io
import os


class Table:
    """A lookup table: CSV file name, header, rows (tuples in header order)."""

    def __init__(self, filename: str, header, rows):
        self.filename, self.header, self.rows = filename, tuple(header), tuple(rows)

    def by(self, *key_columns) -> dict:
        """Rows as ``{key: row dict}``; one key column gives scalar keys."""
        positions = [self.header.index(column) for column in key_columns]
        index = {}
        for row in self.rows:
            key = tuple(row[p] for p in positions)
            index[key[0] if len(key) == 1 else key] = dict(zip(self.header, row))
        return index

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue()


# --- IP protocols ---------------------------------------------------------------------------
# IANA protocol keywords (eNcore's table, with IANA's corrections). transport is the lowercase
# keyword with spaces → "-", except where _TRANSPORT_EXCEPTIONS says otherwise.
_IANA = (
    "0 HOPOPT|1 ICMP|2 IGMP|3 GGP|4 IPv4|5 ST|6 TCP|7 CBT|8 EGP|9 IGP|10 BBN-RCC-MON|11 NVP-II|"
    "12 PUP|13 ARGUS|14 EMCON|15 XNET|16 CHAOS|17 UDP|18 MUX|19 DCN-MEAS|20 HMP|21 PRM|"
    "22 XNS-IDP|23 TRUNK-1|24 TRUNK-2|25 LEAF-1|26 LEAF-2|27 RDP|28 IRTP|29 ISO-TP4|30 NETBLT|"
    "31 MFE-NSP|32 MERIT-INP|33 DCCP|34 3PC|35 IDPR|36 XTP|37 DDP|38 IDPR-CMTP|39 TP++|40 IL|"
    "41 IPv6|42 SDRP|43 IPv6-Route|44 IPv6-Frag|45 IDRP|46 RSVP|47 GRE|48 MHRP|49 BNA|50 ESP|"
    "51 AH|52 I-NLSP|53 SWIPE|54 NARP|55 MOBILE|56 TLSP|57 SKIP|58 IPv6-ICMP|59 IPv6-NoNxt|"
    "60 IPv6-Opts|62 CFTP|64 SAT-EXPAK|65 KRYPTOLAN|66 RVD|67 IPPC|69 SAT-MON|70 VISA|71 IPCV|"
    "72 CPNX|73 CPHB|74 WSN|75 PVP|76 BR-SAT-MON|77 SUN-ND|78 WB-MON|79 WB-EXPAK|80 ISO-IP|"
    "81 VMTP|82 SECURE-VMTP|83 VINES|84 TTP/IPTM|85 NSFNET-IGP|86 DGP|87 TCF|88 EIGRP|89 OSPF|"
    "90 Sprite-RPC|91 LARP|92 MTP|93 AX.25|94 IPIP|95 MICP|96 SCC-SP|97 ETHERIP|98 ENCAP|"
    "100 GMTP|101 IFMP|102 PNNI|103 PIM|104 ARIS|105 SCPS|106 QNX|107 A/N|108 IPComp|109 SNP|"
    "110 Compaq-Peer|111 IPX-in-IP|112 VRRP|113 PGM|115 L2TP|116 DDX|117 IATP|118 STP|119 SRP|"
    "120 UTI|121 SMP|122 SM|123 PTP|124 ISIS over IPv4|125 FIRE|126 CRTP|127 CRUDP|128 SSCOPMCE|"
    "129 IPLT|130 SPS|131 PIPE|132 SCTP|133 FC|134 RSVP-E2E-IGNORE|135 Mobility Header|"
    "136 UDPLite|137 MPLS-in-IP|138 manet|139 HIP|140 Shim6|141 WESP|142 ROHC|143 Ethernet|"
    "144 AGGFRAG|145 NSH")
# ICMP for both address families (CIM pairs transport=icmp with protocol=icmp); 84 and 107 carry
# a "/" in their keyword, so their transport is given here.
_TRANSPORT_EXCEPTIONS = {1: "icmp", 58: "icmp", 84: "ttp", 107: "a"}
ICMP_PROTOCOLS = frozenset((1, 58))


def _protocol_rows():
    keywords = dict((int(number), keyword) for number, keyword in
                    (item.split(" ", 1) for item in _IANA.split("|")))
    for number in range(256):
        keyword = keywords.get(number)
        if keyword is None:  # unassigned, experimental or reserved: no IANA keyword
            yield number, f"PROTO-{number}", f"proto-{number}", "ip"
            continue
        transport = _TRANSPORT_EXCEPTIONS.get(number, keyword.lower().replace(" ", "-"))
        yield number, keyword, transport, "icmp" if number in ICMP_PROTOCOLS else "ip"


IP_PROTOCOL_TABLE = Table("cisco_firepower_ip_protocols.csv",
                          ("protocol_id", "ip_proto", "transport", "protocol"), _protocol_rows())

# --- access-control rule action names → CIM action (names from metadata record 120) ----------
# Every connection gets one of Network_Traffic's actions (allowed, blocked, teardown):
#   a named action          this table (a site's MapperOptions.rule_actions win over it);
#   "N/A" (rule action 0)   teardown: the connection closed before a rule matched, or a NetFlow
#                           record of a finished flow — no verdict, only its end;
#   "Default Action", and   what the FMC recorded for the connection (recorded_action): blocked
#   a name without a row    when a rule reason names a block (IP, DNS, URL, file, intrusion
#                           block …) or no packet came back from the responder, else allowed.
RULE_ACTION_TABLE = Table("cisco_firepower_ac_rule_actions.csv", ("rule_action", "action"), (
    ("Allow", "allowed"), ("Trust", "allowed"), ("Fastpath", "allowed"), ("Monitor", "allowed"),
    ("Analyze", "allowed"), ("Block", "blocked"), ("Block with reset", "blocked"),
    ("Interactive Block", "blocked"), ("Interactive Block with reset", "blocked"),
    ("Sinkhole", "blocked"), ("N/A", "teardown"),
))
RULE_ACTION_NONE = "N/A"


def recorded_action(reasons, responder_packets) -> str:
    """The CIM action of a connection whose rule action does not say (the policy's default
    action, or a name without a row in RULE_ACTION_TABLE), from what the FMC recorded for it."""
    if any("block" in reason.lower() for reason in reasons or ()):
        return "blocked"
    return "allowed" if responder_packets else "blocked"

# --- intrusion event "blocked" byte (Intrusion Event record 400) ---------------------------
INLINE_RESULT_TABLE = Table("cisco_firepower_ids_inline_results.csv",
                            ("blocked_id", "inline_result", "action"), (
    (0, "No", "allowed"), (1, "Yes", "blocked"), (2, "Would", "allowed"),
    (3, "Partially Dropped", "blocked"), (4, "Block", "blocked"),
    (5, "Would be Blocked", "allowed"), (6, "Partial Block", "blocked"), (7, "Drop", "blocked"),
    (8, "Would Drop", "allowed"), (9, "Reject", "blocked"), (10, "Would be Rejected", "allowed"),
    (11, "Rejected", "blocked"), (12, "Would be Rejected", "allowed"),
    (13, "Rewrite", "allowed"), (14, "Would be Rewritten", "allowed"),
))

# --- intrusion severity from (priority_id, impact) --------------------------------------------
_SEVERITY_MATRIX = {  # priority_id → severity for impact 0..5
    0: ("informational", "low", "informational", "informational", "informational", "informational"),
    1: ("high", "critical", "high", "medium", "high", "high"),
    2: ("medium", "high", "medium", "low", "medium", "medium"),
    3: ("low", "medium", "low", "informational", "low", "low"),
    4: ("informational", "low", "informational", "informational", "informational", "informational"),
}
IDS_SEVERITY_TABLE = Table("cisco_firepower_ids_severity.csv", ("priority_id", "impact", "severity"),
                           ((priority, impact, severity)
                            for priority, row in _SEVERITY_MATRIX.items()
                            for impact, severity in enumerate(row)))

# --- correlation event priority (Correlation Event record 112) ----------------------------------
CORRELATION_PRIORITY_TABLE = Table("cisco_firepower_correlation_priority.csv",
                                   ("priority", "severity"), (
    (0, "informational"), (1, "critical"), (2, "high"), (3, "medium"), (4, "low"),
    (5, "informational"),
))

# --- file actions (File Event record 500) -------------------------------------------------------
FILE_ACTION_TABLE = Table("cisco_firepower_file_actions.csv",
                          ("file_action_id", "file_action", "action"), (
    (0, "N/A", "allowed"), (1, "Detect", "allowed"), (2, "Block", "blocked"),
    (3, "Malware Cloud Lookup", "allowed"), (4, "Malware Block", "blocked"),
    (5, "Malware Allow List", "allowed"), (6, "Cloud Lookup Timeout", "allowed"),
    (7, "Custom Detection", "allowed"), (8, "Custom Detection Block", "blocked"),
    (9, "Archive Block (Depth Exceeded)", "blocked"), (10, "Archive Block (Encrypted)", "blocked"),
    (11, "Archive Block (Failed To Inspect)", "blocked"),
))

# --- file dispositions (File Event and Malware Event records) -----------------------------------
DISPOSITION_TABLE = Table("cisco_firepower_file_dispositions.csv",
           ("disposition_id", "disposition", "category", "severity"), (
    (0, "N/A", "not_applicable", "informational"), (1, "Clean", "clean", "informational"),
    (2, "Unknown", "unknown_disposition", "low"), (3, "Malware", "malware", "high"),
    (4, "Unavailable", "unavailable", "low"), (5, "Custom signature", "custom_detection", "high"),
))

# --- AMP malware event types (Malware Event record 125) ------------------------------------------
MALWARE_EVENT_TYPE_TABLE = Table("cisco_firepower_malware_event_types.csv",
           ("malware_event_type_id", "malware_event_type", "is_threat", "action"), (
    (0, "N/A", 0, "allowed"),
    (1, "Threat Detected in Network File Transfer", 1, "allowed"),
    (2, "Threat Detected in Network File Transfer (Retrospective)", 1, "allowed"),
    (553648143, "Threat Quarantined", 1, "deferred"),
    (553648145, "Threat Detected in Exclusion", 1, "allowed"),
    (553648146, "Cloud Recall Restore from Quarantine Started", 0, "allowed"),
    (553648147, "Cloud Recall Quarantine Started", 0, "allowed"),
    (553648149, "Quarantined Item Restored", 0, "allowed"),
    (553648150, "Quarantine Restore Started", 0, "allowed"),
    (553648154, "Cloud Recall Restore from Quarantine", 0, "allowed"),
    (553648155, "Cloud Recall Quarantine", 1, "deferred"),
    (553648168, "Blocked Execution", 1, "blocked"),
    (554696714, "Scan Started", 0, "allowed"),
    (554696715, "Scan Completed, No Detections", 0, "allowed"),
    (1090519054, "Threat Detected", 1, "allowed"),
    (1091567628, "Scan Completed With Detections", 0, "allowed"),
    (2164260880, "Quarantine Failure", 1, "allowed"),
    (2164260884, "Quarantine Restore Failed", 0, "allowed"),
    (2164260892, "Cloud Recall Restore from Quarantine Failed", 0, "allowed"),
    (2164260893, "Cloud Recall Quarantine Attempt Failed", 1, "allowed"),
    (2165309453, "Scan Failed", 0, "allowed"),
))
NETWORK_MALWARE_TYPES = frozenset((1, 2))  # AMP for Networks; the others come from endpoints

# --- identity auth types (User Login Information records) ----------------------------------------
AUTH_TYPE_TABLE = Table("cisco_firepower_identity_auth_types.csv",
           ("auth_type_id", "auth_type", "is_authentication", "action", "app",
            "authentication_method"), (
    (0, "No Authorization Required", 0, "", "", ""),  # not an authentication: no CIM values
    (1, "Passive Authentication, AD Agent, or ISE Session", 1, "success",
     "cisco:firepower:passive_identity", "passive"),
    (2, "Captive Portal Successful Authentication", 1, "success", "cisco:firepower:captive_portal",
     "captive_portal"),
    (3, "Captive Portal Guest Authentication", 1, "success", "cisco:firepower:captive_portal",
     "guest"),
    (4, "Captive Portal Failed Authentication", 1, "failure", "cisco:firepower:captive_portal",
     "captive_portal"),
    (5, "VPN Authorized Authentication", 1, "success", "cisco:firepower:vpn", "vpn"),
))

# --- VPN records (Remote Access VPN login/logoff, records 170/171) --------------------------------
VPN_RECORD_TABLE = Table("cisco_firepower_vpn_records.csv", ("rec_type", "action", "signature"), (
    (170, "started", "VPN session login"), (171, "ended", "VPN session logoff"),
))

CIM_LOOKUPS = (IP_PROTOCOL_TABLE, RULE_ACTION_TABLE, INLINE_RESULT_TABLE, IDS_SEVERITY_TABLE,
               CORRELATION_PRIORITY_TABLE, FILE_ACTION_TABLE, DISPOSITION_TABLE,
               MALWARE_EVENT_TYPE_TABLE, AUTH_TYPE_TABLE, VPN_RECORD_TABLE)

# --- indexes the event tables use ----------------------------------------------------------------
# id → (ip_proto, transport, protocol)
PROTOCOLS = {row[0]: row[1:] for row in IP_PROTOCOL_TABLE.rows}
RULE_ACTIONS = {name.lower(): action for name, action in RULE_ACTION_TABLE.rows}  # without case
# blocked id → (inline_result, action)
INLINE_RESULTS = {row[0]: row[1:] for row in INLINE_RESULT_TABLE.rows}
IDS_SEVERITY = {(p, i): s for p, i, s in IDS_SEVERITY_TABLE.rows}
CORRELATION_SEVERITY = dict(CORRELATION_PRIORITY_TABLE.rows)
FILE_ACTIONS = {row[0]: row[1:] for row in FILE_ACTION_TABLE.rows}  # id → (file_action, action)
# id → (disposition, category, severity)
DISPOSITIONS = {row[0]: row[1:] for row in DISPOSITION_TABLE.rows}
# id → (name, action)
MALWARE_EVENT_TYPES = {row[0]: (row[1], row[3]) for row in MALWARE_EVENT_TYPE_TABLE.rows}
AUTH_TYPES = {row[0]: (row[1], row[3], row[4], row[5]) for row in AUTH_TYPE_TABLE.rows}
VPN_RECORDS = {row[0]: row[1:] for row in VPN_RECORD_TABLE.rows}  # rec_type → (action, signature)

# --- ingest label tables (the FMC's codes named, as eNcore names them) ----------------------------

# Impact from the intrusion impact flags when the record carries no impact byte.
IMPACT_LABELS = {1: "Red (vulnerable)", 2: "Orange (potentially vulnerable)",
                 3: "Yellow (currently not vulnerable)", 4: "Blue (unknown target)",
                 5: "Gray (unknown impact)"}


def impact_from_flags(flags: int) -> int:
    if flags & 0xD8:
        return 1
    if flags & 0x06 == 0x06:
        return 2
    if flags & 0x02:
        return 3
    if flags & 0x01:
        return 4
    return 0


# Access-control rule reasons (exact values; metadata record 124 wins).
RULE_REASONS = {1: "IP Block", 2: "IP Monitor", 4: "User Bypass", 8: "File Monitor",
                16: "File Block", 32: "Intrusion Monitor", 64: "Intrusion Block",
                128: "File Resume Block", 256: "File Resume Allow", 512: "File Custom Detection"}

# TCP header flag bits → CIM tcp_flag values (ECE and CWR are not CIM values).
TCP_FLAGS = ((0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"),
             (0x20, "URG"))

# VPN types (5 and 6 carry the same label in eNcore; no FMC seen so far tells them apart).
VPN_TYPES = {1: "Cisco IKEv1 Client", 2: "AnyConnect IKEv1 Client", 3: "AnyConnect SSL",
             4: "WebVPN Clientless", 5: "Site to Site IKEv2", 6: "Site to Site IKEv2",
             7: "Generic IKEv2 RA Client"}

# Correlation event types.
CORRELATION_EVENT_TYPES = {1: "Intrusion Event", 2: "Host Discovery", 3: "User Activity",
                           4: "Whitelist", 5: "Malware Event"}

# Host criticality and host type.
CRITICALITY = {1: "Low", 2: "Medium", 3: "High"}
HOST_TYPES = {0: "Host", 1: "Router", 2: "Bridge"}

# File direction.
DIRECTIONS = {1: "Download", 2: "Upload"}
UPLOAD = 2

# Why an intrusion event was not blocked inline.
BLOCKED_REASONS = {1: "Interface in Passive or Tap mode",
                   2: 'Intrusion Policy in "Detection" Inspection Mode',
                   3: 'Network Analysis Policy in "Detection" Inspection Mode',
                   4: "Connection Timed Out", 5: "Connection Closed (0x01)",
                   6: "Connection Closed (0x02)", 7: "Connection Closed (0x04)"}

# FMC placeholders that never populate a CIM field (compared lower-cased).
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
ZERO_MAC = "00:00:00:00:00:00"
PLACEHOLDERS = frozenset((
    "", "-", "unknown", "null", "(null)", "n/a", "pending", "no authentication required",
    "not found", "invalid id", "0.0.0.0", "::", ZERO_UUID, ZERO_MAC))

# eNcore's defaults for file records' codes; FMC metadata (records 515–519) wins where it exists.
MALWARE_ANALYSIS_STATUSES = {1: "Analysis done", 2: "Analysis failed",
                             3: "Manual analysis request"}
ARCHIVE_FILE_STATUSES = {1: "Pending", 2: "Extracted", 3: "Failed", 4: "Depth Exceeded",
                         5: "Encrypted", 6: "Not Inspectable"}

# Intrusion extra data types eNcore knows (record 110); metadata record 111 names the rest.
EXTRA_DATA_TYPES = {2: "XFF Client (Ipv6)", 9: "HTTP URI"}
EXTRA_DATA_CLIENT_IP = 2

# Discovery event type/subtype names, as the Integration Guide's "Host Discovery and Connection
# Event Types" lists them (the user-input series 1002 is not numbered there).
DISCOVERY_EVENTS = {
    (1000, 1): "New Host", (1000, 2): "New TCP Service", (1000, 3): "New Network Protocol",
    (1000, 4): "New Transport Protocol", (1000, 5): "New IP to IP traffic",
    (1000, 6): "New UDP Service", (1000, 7): "New Client Application",
    (1000, 8): "New OS Fingerprint",
    (1003, 1): "Flow Statistics", (1003, 2): "Flow Chunk",
    (1004, 1): "User Information", (1004, 2): "User Login Information",
    (1004, 3): "Delete User Identity", (1004, 4): "User Identity Dropped: User Limit Reached",
    (1008, 1): "IOC Set",
}
for _subtype, _name in enumerate((
        "Host IP Address Changed", "OS Information Update", "Host IP Address Reused",
        "Vulnerability Changed", "Hops Change", "TCP Service Information Update", "Host Timeout",
        "TCP Port Closed", "UDP Port Closed", "UDP Service Information Update", "TCP Port Timeout",
        "UDP Port Timeout", "MAC Information Change", "Additional MAC Detected", "Host Last Seen",
        "Host Identified as Router or Bridge", "Flow Statistics", "VLAN Tag Information Update",
        "Host Deleted: Limit Reached", "Client Application Timeout", "NetBIOS Name Change",
        "NetBIOS Domain Change", "Host Dropped: Host Limit Reached", "Banner Update",
        "TCP Service Confidence Update", "UDP Service Confidence Update", "OS Confidence Update",
        "DHCP Information", "Identity Conflict", "Identity Timeout", "Secondary Host Update",
        "Client Application Update"), start=1):
    DISCOVERY_EVENTS[(1001, _subtype)] = _name


# --- search-time tables of the ESCU compatibility layer (props.conf LOOKUP-escu_*) --------------
# Cisco Security Cloud's names for what our events already carry (the README's "Cisco Security
# Cloud's field names"). They feed only compatibility fields, never a CIM field (those are
# computed at ingest).

# FQE InlineResult text per "blocked" byte. Cisco's example gives "Would block" for id 5
# (eNcore: "Would be Blocked"); the other texts follow it [inferred]. The FMC shows no inline
# result where nothing was dropped: "unknown", as for every field without a value.
ESCU_INLINE_RESULT_TABLE = Table("cisco_firepower_escu_inline_results.csv",
                                 ("blocked_id", "InlineResult"), (
    (0, "unknown"), (1, "Blocked"), (2, "Would block"), (3, "Partially blocked"),
    (4, "Blocked"), (5, "Would block"), (6, "Partially blocked"), (7, "Dropped"),
    (8, "Would drop"), (9, "Rejected"), (10, "Would reject"), (11, "Rejected"),
    (12, "Would reject"), (13, "Rewritten"), (14, "Would rewrite"),
))

# FQE Impact is 1-5, 5 the gray "unknown impact"; eStreamer writes 0 where it has no
# impact, which is that same gray level.
ESCU_IMPACT_TABLE = Table("cisco_firepower_escu_impacts.csv", ("impact", "Impact", "impact_desc"),
                          [(0, 5, IMPACT_LABELS[5])] + [(n, n, IMPACT_LABELS[n]) for n in range(1, 6)])

# The FMC's short file type codes (FileType; metadata record 510 names file type ids with
# them), as ESCU's detections and its cisco_secure_firewall_filetype_lookup know them.
FILE_TYPE_TABLE = Table("cisco_firepower_file_types.csv", ("file_type", "file_type_desc"), (
    ("7Z", "7-Zip compressed archive"), ("AUTORUN", "Windows autorun file"),
    ("BINARY_DATA", "Universal Binary/Java Bytecode"), ("BINHEX", "Macintosh BinHex 4 archive"),
    ("EICAR", "Standard anti-virus test file"), ("ELF", "Executable and Linking Format"),
    ("ISHIELD_MSI", "InstallShield 5.x or 6.x compressed file"),
    ("JARPACK", "Jar Pack file"), ("LNK", "Windows shortcut"),
    ("MACHO", "Mach object file format (macOS, iOS executable)"),
    ("MSEXE", "Windows/DOS executable"), ("MSOLE2", "Microsoft Office 97-2003 document"),
    ("NEW_OFFICE", "Microsoft Office 2007+ document"), ("PDF", "PDF document"),
    ("RAR", "RAR archive"), ("RTF", "Rich Text Format document"),
    ("SCR", "Windows screen saver"), ("TORRENT", "BitTorrent file"),
    ("UNIX_SCRIPT", "Unix script"), ("ZIP", "ZIP archive"),
))
ESCU_LOOKUPS = (ESCU_INLINE_RESULT_TABLE, ESCU_IMPACT_TABLE, FILE_TYPE_TABLE)

LOOKUPS = CIM_LOOKUPS + ESCU_LOOKUPS


def write_csvs(directory: str):
    """Render every lookup table into ``directory`` (the shipped ``package/lookups``)."""
    os.makedirs(directory, exist_ok=True)
    for table in LOOKUPS:
        with open(os.path.join(directory, table.filename), "w", newline="") as handle:
            handle.write(table.csv_text())
