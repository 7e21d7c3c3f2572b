"""What every mapped event shares: the Event contract, dispatch by record family, compaction,
normalisation, options, discovery/metadata/unknown records."""
import ipaddress
import json
import random
import struct

import pytest

from cim.fixtures import (
    DEVICE,
    FMC,
    SCENARIOS,
    T0,
    decode,
    mapper,
    scenario_events,
    simulator_events,
)
from estreamer.catalog import RECORDS
from estreamer.catalog.records import FAMILIES, FAMILY_OF
from estreamer.decoder import RecordDecoder
from estreamer.events import FIELDS, SOURCETYPES, Event, MapperOptions, event_json, sourcetype_of
from estreamer.events.common import ip, mac, snake
from estreamer.events.tables import ZERO_MAC, ZERO_UUID

EVENTS = scenario_events()


def test_an_event_line_is_time_sourcetype_host_event():
    mapped = EVENTS[0][2]
    line = mapped.as_line()
    assert list(line) == ["time", "sourcetype", "host", "event"]
    assert line["event"] is mapped.event and line["host"] == FMC


def test_event_json_is_compact_and_keeps_utf8():
    text = event_json({"time": T0 + 0.5, "event": {"file_name": "報告.pdf", "n": 1}})
    assert text == '{"time":1700000000.5,"event":{"file_name":"報告.pdf","n":1}}'


def test_the_json_line_round_trips_with_microseconds():
    mapped = mapper().map(scenario_record("intrusion tcp dropped"))
    line = json.loads(event_json(mapped.as_line()))
    assert line["time"] == T0 + 100.250001
    assert line == json.loads(json.dumps(mapped.as_line()))


def scenario_record(name):
    record_type, values, archive, _ = SCENARIOS[name]
    return decode(record_type, values, archive)


def test_events_compare_by_content():
    first = mapper().map(scenario_record("vpn login"))
    assert first == mapper().map(scenario_record("vpn login"))
    assert first != mapper().map(scenario_record("vpn logoff"))


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_has_its_sourcetype(family):
    assert SOURCETYPES[family] == f"cisco:firepower:estreamer:{family}"
    for record_type in FAMILY_OF.get(family, ()):
        assert sourcetype_of(record_type) == SOURCETYPES[family]


def test_every_scenario_lands_in_its_familys_sourcetype():
    for name, _, mapped in EVENTS:
        family = RECORDS[mapped.event["rec_type"]].family
        assert mapped.sourcetype == SOURCETYPES[family], name


def test_every_event_family_declares_its_fields():
    assert set(FIELDS) == set(FAMILIES)
    for fields in FIELDS.values():
        assert len(fields) == len(set(fields))
        assert fields[:2] == ("rec_type", "rec_type_desc")


SIMULATED = [(f"simulator {t} #{n}", m) for n, (t, m) in enumerate(simulator_events(300))]


@pytest.mark.parametrize("name, mapped", [(n, m) for n, _, m in EVENTS] + SIMULATED[::7],
                         ids=lambda x: str(x))
def test_events_carry_only_declared_keys_in_declared_order(name, mapped):
    family = RECORDS[mapped.event["rec_type"]].family
    keys = list(mapped.event)
    if family == "discovery":  # the record's own fields follow the declared keys
        declared = [k for k in FIELDS[family] if k in keys]
        assert keys[:len(declared)] == declared
        assert declared[-3:] == ["vendor", "product", "vendor_product"]
    else:
        assert keys == [k for k in FIELDS[family] if k in keys]


# Values every family omits: empties, zero UUIDs/MACs/addresses, FMC placeholders — except
# where the connection table spells them out (a zoned flow's zero side, rule action id 0, "N/A"
# in the rule action table).
DESIGNED_NA = {("src_zone", "N/A"), ("dest_zone", "N/A"), ("rule_action", "N/A")}
OMITTED = {"", "::", "0.0.0.0", ZERO_UUID, ZERO_MAC, "unknown", "n/a", "pending",
           "no authentication required", "not found", "invalid id", "null", "(null)", "-"}


def _leaves(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, k)
    elif isinstance(value, list):
        assert value, f"{key} is an empty list"
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


@pytest.mark.parametrize("name, mapped", [(n, m) for n, _, m in EVENTS], ids=lambda x: str(x))
def test_events_hold_no_empty_zero_uuid_or_placeholder_values(name, mapped):
    for key, value in _leaves(mapped.event):
        assert value is not None, key
        if isinstance(value, str):
            assert value.lower() not in OMITTED or (key, value) in DESIGNED_NA, (key, value)


def test_events_always_carry_the_record_type():
    assert all("rec_type" in mapped.event for _, _, mapped in EVENTS)


# --- normalisation --------------------------------------------------------------------------

def test_ipv4_mapped_addresses_become_dotted_quads_in_every_spelling():
    rng = random.Random(20240501)
    for _ in range(200):
        v4 = ipaddress.IPv4Address(rng.getrandbits(32) | 1)
        mapped = ipaddress.IPv6Address(int(v4) | 0xFFFF << 32)
        for text in (f"::ffff:{v4}", mapped.exploded, mapped.exploded.upper(), str(v4)):
            assert ip(text) == str(v4)


def test_ipv6_addresses_are_rfc5952_lowercase():
    rng = random.Random(5952)
    for _ in range(200):
        address = ipaddress.IPv6Address(rng.getrandbits(128) & ~(0xFFFF << 64) | 1 << 120)
        assert ip(address.exploded.upper()) == str(address)
    assert ip("2001:DB8:0:0:1:0:0:1") == "2001:db8::1:0:0:1"
    assert ip("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1"  # no "::" for one zero group


@pytest.mark.parametrize("zero", ["::", "0.0.0.0", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0", "", None,
                                  "not an address"])
def test_zero_or_invalid_addresses_are_absent(zero):
    assert ip(zero) is None


def test_macs_are_lowercase_colon_separated_and_zero_is_absent():
    assert mac("00-50-56-AB-CD-EF") == "00:50:56:ab:cd:ef"
    assert mac(ZERO_MAC) is None and mac("00-00-00-00-00-00") is None


@pytest.mark.parametrize("name, expected", [
    ("hostIpAddr", "host_ip_addr"), ("ipv6Address", "ipv6_address"), ("osfingerprint",
                                                                       "osfingerprint"),
    ("hostMacAddress", "host_mac_address"), ("lastSeen", "last_seen")])
def test_record_field_names_become_snake_case(name, expected):
    assert snake(name) == expected


# --- options ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    {"rule_actions": {"Default Action": "deny"}}, {"rule_actions": {"Default Action": "flow"}},
    {"endpoint_address": "both"}])
def test_options_reject_values_the_cim_does_not_know(bad):
    with pytest.raises(ValueError):
        MapperOptions(**bad)


# --- metadata, unknown and discovery records ----------------------------------------------------

METADATA_RECORD = (145, {"uuid": "5fc6fa72-0000-4000-8000-00000000a001", "sensorId": 1,
                         "name": "corp-access"})


def test_metadata_records_map_to_nothing_by_default():
    assert mapper().map(decode(*METADATA_RECORD)) is None


def test_metadata_records_map_when_asked_with_the_clock_as_time():
    options = MapperOptions(emit_metadata=True, clock=lambda: 1234.5)
    mapped = mapper(options).map(decode(120, {"id": 0, "name": "Unknown"}))
    assert (mapped.time, mapped.sourcetype) == (1234.5, "cisco:firepower:estreamer:metadata")
    assert mapped.event == {"rec_type": 120,
                            "rec_type_desc": "Access Control Rule Action Metadata",
                            "id": 0, "name": "Unknown"}
    block = mapper(options).map(decode(*METADATA_RECORD)).event
    assert block == {"rec_type": 145, "rec_type_desc": "Access Control Policy Metadata",
                     "uuid": "5fc6fa72-0000-4000-8000-00000000a001", "sensor_id": 1,
                     "name": "corp-access"}


def test_an_event_without_any_time_of_its_own_is_stamped_by_the_clock():
    values = {"blockType": 156, "deviceId": DEVICE, "eventId": 1, "ruleId": 12}
    mapped = mapper(MapperOptions(clock=lambda: 99.25)).map(decode(112, values))
    assert mapped.time == 99.25


def test_the_mapper_only_reads_the_cache():
    events_mapper = mapper()
    events_mapper.map(decode(123, {"id": 77, "name": "learned-by-someone-else"}))
    assert events_mapper.context.cache.name("devices", 77) is None


def unknown_type_body():
    return struct.pack(">IIII", 9999, 4, T0, 0) + b"\x01\x02\x03\x04"


def unknown_block_body():
    data = struct.pack(">II", 999, 12) + b"\xaa\xbb\xcc\xdd"
    return struct.pack(">IIII", 400, len(data), T0, 0) + data


def test_undecodable_records_map_to_nothing_by_default():
    decoder = RecordDecoder()
    for body in (unknown_type_body(), unknown_block_body()):
        assert mapper().map(decoder.decode(body)) is None


def test_undecodable_records_keep_their_bytes_when_asked():
    decoder, events_mapper = RecordDecoder(), mapper(MapperOptions(raw_unknown=True))
    unknown_type = events_mapper.map(decoder.decode(unknown_type_body()))
    assert (unknown_type.sourcetype, unknown_type.time) == \
        ("cisco:firepower:estreamer:metadata", float(T0))
    assert unknown_type.event == {"rec_type": 9999, "raw": "01020304"}
    unknown_block = events_mapper.map(decoder.decode(unknown_block_body()))
    assert unknown_block.sourcetype == "cisco:firepower:estreamer:intrusion"
    assert unknown_block.event == {"rec_type": 400, "rec_type_desc": "Intrusion Event",
                                   "block_type": 999, "raw": "000003e70000000caabbccdd"}


def test_discovery_records_keep_their_own_fields_cleaned():
    record = decode(10, {
        "deviceId": DEVICE, "hasIpv6": 1, "hostIpAddr": "2001:db8::9", "eventSecond": T0,
        "eventType": 1000, "eventSubtype": 1, "macAddress": "00:50:56:aa:bb:cc",
        "hostProfile": {"ipAddress": "2001:db8::9", "hops": 2, "netbios": "WS01",
                        "hostMacAddress": [{"ttl": 64, "address": "00:50:56:aa:bb:cc",
                                            "primary": 1, "lastSeen": T0}]}}, T0)
    mapped = mapper().map(record)
    assert (mapped.sourcetype, mapped.time) == ("cisco:firepower:estreamer:discovery", float(T0))
    assert mapped.event == {
        "rec_type": 10, "rec_type_desc": "New Host Detected", "event_type": 1000,
        "event_subtype": 1, "device_id": 1, "dvc": "ftd-branch-1", "event_desc": "New Host",
        "host_ip": "2001:db8::9", "host_mac": "00:50:56:aa:bb:cc", "ip_version": "ipv6",
        "host_profile": {"ip_address": "2001:db8::9", "hops": 2,
                         "host_mac_address": [{"ttl": 64, "address": "00:50:56:aa:bb:cc",
                                               "primary": 1, "last_seen": T0}],
                         "netbios": "WS01"},
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }


def test_a_new_os_names_the_fingerprint():
    e = mapper().map(scenario_record("discovery new os")).event
    assert (e["os_name"], e["os_vendor"], e["os_version"]) == ("Windows", "Microsoft", "10")
    assert (e["host_ip"], e["event_desc"]) == ("192.168.50.50", "New OS Fingerprint")


def test_event_subtypes_without_a_name_have_no_description():
    record = decode(19, {"deviceId": DEVICE, "eventSecond": T0, "eventType": 1002,
                         "eventSubtype": 3, "legacyIpAddress": "10.0.0.9"}, T0)
    e = mapper().map(record).event
    assert "event_desc" not in e and e["host_ip"] == "10.0.0.9"


def test_every_family_has_a_scenario():
    families = {RECORDS[mapped.event["rec_type"]].family for _, _, mapped in EVENTS}
    assert families == set(FAMILIES) - {"metadata"}
    assert isinstance(EVENTS[0][2], Event)


def test_a_name_the_fmc_sends_later_replaces_the_fallback_in_the_next_event():
    from cim.fixtures import connection
    events = mapper()
    record = decode(71, connection(userId=4242), T0)
    assert events.map(record).event["user"] == "user-4242"
    events.context.cache.put("users", "4242", "mallory")
    assert events.map(record).event["user"] == "mallory"


# --- any record the decoder reads maps to an event, whatever its values ------------------------

def test_records_with_random_values_map_without_errors():
    """Flipped bytes in every family's records (those that still decode) must map: one odd
    value from an FMC must never stop the input."""
    from estreamer.layout import ParseError
    from estreamer.metadata import MetadataCache
    from estreamer.wire import ALL_FAMILIES, Subscription
    from fmcsim.traffic import record_bodies

    decoder, cache, rng, mapped = RecordDecoder(), MetadataCache(), random.Random(71), 0
    events = mapper(cache=cache)
    for body in record_bodies(Subscription(families=ALL_FAMILIES), 200):
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
            continue
        for _ in range(40):
            mutated = bytearray(body)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(16, len(body))] = rng.randrange(256)
            try:
                record = decoder.decode(bytes(mutated))
            except ParseError:
                continue
            event = events.map(record)
            if event is not None:
                event_json(event.as_line())
                mapped += 1
    assert mapped > 5000


def test_a_record_its_mapper_cannot_map_is_sent_with_its_fields_and_the_error(caplog):
    from estreamer.record import Record
    events = mapper()
    odd = Record.from_dict({"recordType": 112, "archiveTimestamp": T0, "blockType": 156,
                            "priorityId": 3, "description": "older block"})
    with caplog.at_level("WARNING", logger="estreamer.events"):
        first, second = events.map(odd), events.map(odd)
    assert first.sourcetype == SOURCETYPES["correlation"] and first.time == T0
    assert first.event == {"rec_type": 112, "rec_type_desc": RECORDS[112].name,
                           "mapping_error": "KeyError: 'deviceId'", "priority_id": 3,
                           "description": "older block"}
    assert second == first and events.errors == 2
    assert [r.getMessage() for r in caplog.records] == [
        "record type 112 could not be mapped (KeyError: 'deviceId'); sent with its decoded "
        "fields and mapping_error"]
