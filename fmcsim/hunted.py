"""The cases analysts hunt, which the simulator's traffic holds (:mod:`fmcsim.world`), named as
the search terms that find them with Cisco Security Cloud's field names, the ones Splunk's
"Cisco Secure Firewall" detections use and the add-on's compatibility layer gives its events.

``(name, search terms, generation)``: the terms run on the events' search-time fields (the tests
and ``make demo`` run them through the model of Splunk's search time in tests/searchtime);
``generation`` is the oldest event generation whose records carry the case ("7.0": encrypted
visibility is in FMC 7 connection blocks only).
"""

HUNTED = (
    ("blocked connection",
     'EventType=ConnectionEvent AC_RuleAction IN ("Block", "Block with reset", '
     '"Interactive Block", "Interactive Block with reset")', "6.0"),
    ("EVE threat confidence of 80 % or more",
     "EventType=ConnectionEvent EVE_ThreatConfidencePct>=80", "7.0"),
    ("large outbound transfer, inside zone to outside zone",
     "EventType=ConnectionEvent IngressZone=inside EgressZone=outside "
     "InitiatorBytes>=100000000", "6.0"),
    ("SSH to a non-standard port",
     "EventType=ConnectionEvent Application=SSH ResponderPort!=22", "6.0"),
    ("malware file download",
     "EventType=FileEvent SHA_Disposition=Malware FileDirection=Download", "6.0"),
    ("executable download (ELF, MSEXE)",
     "EventType=FileEvent FileDirection=Download FileType IN (ELF, MSEXE)", "6.0"),
    ('high-priority intrusion "A Network Trojan was Detected"',
     'EventType=IntrusionEvent PriorityID=1 Classification="A Network Trojan was Detected"',
     "6.0"),
    ("SnortML intrusion (generator 411)", "EventType=IntrusionEvent GeneratorID=411", "6.0"),
)
