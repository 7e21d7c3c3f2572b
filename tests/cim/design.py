"""The event types and tags each family's events must get (the data model each lands in), which
eventtypes.conf and tags.conf must implement."""

# One event type per family and CIM dataset (no host_os or certificate event types are shipped).
_THREAT_TYPES = "1, 2, 553648143, 553648145, 553648155, 553648168, 1090519054, 2164260880, " \
                "2164260893"
DESIGN_EVENTTYPES = {
    "cisco_firepower_connection": (
        'sourcetype="cisco:firepower:estreamer:connection" rec_type=71',
        {"network", "communicate"}),
    "cisco_firepower_intrusion": (
        'sourcetype="cisco:firepower:estreamer:intrusion" rec_type=400', {"ids", "attack"}),
    "cisco_firepower_file_malware": (
        'sourcetype="cisco:firepower:estreamer:file" rec_type=502', {"malware", "attack"}),
    "cisco_firepower_malware": (
        'sourcetype="cisco:firepower:estreamer:malware" rec_type=125 '
        f"malware_event_type_id IN ({_THREAT_TYPES})", {"malware", "attack"}),
    "cisco_firepower_correlation": (
        'sourcetype="cisco:firepower:estreamer:correlation" rec_type=112', {"alert"}),
    "cisco_firepower_authentication": (
        'sourcetype="cisco:firepower:estreamer:identity" rec_type=95 '
        "auth_type_id IN (1,2,3,4,5)", {"authentication"}),
    "cisco_firepower_vpn_start": (
        'sourcetype="cisco:firepower:estreamer:vpn" rec_type=170',
        {"network", "session", "vpn", "start"}),
    "cisco_firepower_vpn_end": (
        'sourcetype="cisco:firepower:estreamer:vpn" rec_type=171',
        {"network", "session", "vpn", "end"}),
}
