"""Every bounded field of every family stays inside the first 5,000 bytes Splunk extracts
(limits.conf [spath] extraction_cutoff), however long the free texts are: the mappers write the
texts of unbounded length (URLs, user agents, referrers, descriptions, packet hex) last, and
nothing is truncated."""
import pytest

from cim.fixtures import (
    SCENARIOS,
    correlation,
    decode,
    file_event,
    intrusion,
    malware_event,
    mapper,
    user_login,
)
from estreamer.events import FIELDS, FREE_TEXT, event_json
from estreamer.events.common import CONSTANT_FIELDS
from searchtime import SearchHead, indexed, json_fields

LONG = "x" * 6000  # a real record carried a 6 KB URL
SI = SCENARIOS["connection security intelligence block"][1]


@pytest.fixture(scope="module")
def head():
    return SearchHead()


@pytest.mark.parametrize("family", sorted(FIELDS))
def test_each_family_writes_the_constants_then_its_free_texts_last(family):
    free = FREE_TEXT[family]
    fields = FIELDS[family]
    assert fields[len(fields) - len(free):] == free
    assert fields[len(fields) - len(free) - len(CONSTANT_FIELDS):len(fields) - len(free)] \
        == CONSTANT_FIELDS or family == "metadata"


# Records of each family with every free text at its longest.
LONG_RECORDS = {
    "connection with a 6 KB URL": (71, dict(SI, clientUrl="https://www.example.com/" + LONG,
                                            userAgent="Mozilla/5.0 " + LONG[:3000],
                                            httpReferrer="https://ref.example.com/" + LONG[:3000],
                                            responderCountry=840)),
    "intrusion with a long URI": (400, intrusion(blockType=85, httpURI="/" + LONG,
                                                 httpHostname="www.example.com")),
    "packet of 64 KiB": (2, {"deviceId": 1, "eventId": 4711, "eventSecond": 1700000100,
                             "packetSecond": 1700000100, "packetMicrosecond": 1, "linkType": 1,
                             "packetData": bytes(65535)}),
    "extra data of 6 KB": (110, {"blockType": 4, "deviceId": 1, "eventId": 4711,
                                 "eventSecond": 1700000100, "type": 1,
                                 "blob": ("GET /" + LONG).encode()}),
    "file with a long URI": (502, file_event(disposition=3, action=4,
                                             uri="http://files.example.org/" + LONG)),
    "malware with long texts": (125, malware_event(eventDescription=LONG[:3000],
                                                   filePath="C:\\" + LONG[:3000],
                                                   uri="http://x.example/" + LONG)),
    "correlation with long texts": (112, correlation(eventDescription=LONG[:4000],
                                                     url="http://x.example/" + LONG)),
    "identity with a long description": (95, user_login(description=LONG)),
}


@pytest.mark.parametrize("name", sorted(LONG_RECORDS))
def test_long_free_texts_leave_every_other_field_searchable(head, name):
    record_type, values = LONG_RECORDS[name]
    event = mapper().map(decode(record_type, values))
    family = event.sourcetype.rsplit(":", 1)[-1]
    raw = event_json(event.event)
    assert len(raw.encode()) > 5000
    assert not any(len(str(value)) > 5000 for key, value in event.event.items()
                   if key not in FREE_TEXT[family])
    searchable = head.fields(indexed(event))
    missing = [key for key in event.event if key not in FREE_TEXT[family]
               and key not in searchable]
    assert missing == []
    # nothing is truncated at ingest: the whole text is in the event
    assert max(len(str(event.event[key])) for key in FREE_TEXT[family] if key in event.event) \
        >= 3000


def test_a_6kb_url_keeps_country_security_intelligence_and_vendor_product(head):
    event = mapper().map(decode(*LONG_RECORDS["connection with a 6 KB URL"]))
    fields = head.fields(indexed(event))
    assert fields["dest_country"] == "united states"
    assert fields["si_event"] == "1" and fields["sec_intel_category"] == ["Malware", "CnC"]
    assert fields["vendor_product"] == "Cisco Secure Firewall"
    # the URL itself lies past the window: nothing extracted, so the ESCU layer's "unknown"
    assert fields["url"] == fields["URL"] == "unknown"
    full = json_fields(event_json(event.event), {"extraction_cutoff": 10 ** 6,
                                                 "maxchars": 10 ** 6})
    assert full["url"] == "https://www.example.com/" + LONG  # with the limits raised
