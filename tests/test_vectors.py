"""Golden tests on real FMC bytes (../shared/vectors/fmc-capture-2020): a session between
eNcore 3.5.x and an FMC 6.x in December 2020. Our requests must be the bytes eNcore sent, the
FMC's messages must frame, split and decode exactly as index.json lists them, and every value
eNcore printed for those records (expected-encore-splunk.log, one line per record, in order)
must come out of our decoder and metadata cache."""
import json
import random
import re
import struct

import pytest

from conftest import CAPTURE
from estreamer import wire
from estreamer.catalog import RECORDS
from estreamer.decoder import RecordDecoder
from estreamer.metadata import MetadataCache

INDEX = json.loads((CAPTURE / "index.json").read_text())
BUNDLE_FILES = [entry["file"] for entry in INDEX["files"] if entry["type"] == 4002]
LOG_LINES = (CAPTURE / "expected-encore-splunk.log").read_text(encoding="utf-8").splitlines()
HEADER = struct.Struct(">HHI")

# The session's request options as eNcore sent them: since = genesis (no bookmark yet), every
# record family, packets, extra data and impact alerts, and eNcore 3.5.x's event versions.
CAPTURE_SUBSCRIPTION = wire.Subscription(generation="6.0")
CAPTURE_SINCE = 0


def read(name) -> bytes:
    return (CAPTURE / name).read_bytes()


def client_requests():
    """requests.hex: one message per line, in the order the client sent them."""
    lines = (CAPTURE / "requests.hex").read_text().split()
    return [bytes.fromhex(line) for line in lines]


def message_type(raw: bytes) -> int:
    return HEADER.unpack_from(raw)[1]


def only_message(raw: bytes) -> wire.Message:
    messages = wire.FrameParser().feed(raw)
    assert len(messages) == 1, f"expected one message, got {len(messages)}"
    return messages[0]


# --- the client's requests --------------------------------------------------------------------

def test_requests_hex_holds_the_event_stream_request_the_streaming_request_then_nulls():
    types = [message_type(raw) for raw in client_requests()]
    assert types[:2] == [2, 2049]
    assert set(types[2:]) == {0}
    assert len(types[2:]) == 6  # one ack for the 2051 and one per bundle of the five-bundle session


def test_the_captured_event_stream_request_asks_from_genesis_with_flags_0x48900061():
    raw = client_requests()[0]
    assert HEADER.unpack_from(raw) == (1, 2, 8)
    assert struct.unpack_from(">II", raw, 8) == (CAPTURE_SINCE, 0x48900061)


def test_our_event_stream_request_is_byte_identical_to_encores():
    ours = wire.event_stream_request(CAPTURE_SINCE, CAPTURE_SUBSCRIPTION.flags)
    assert ours.hex() == client_requests()[0].hex()


def test_our_streaming_request_is_byte_identical_to_encores():
    ours = wire.streaming_request(CAPTURE_SINCE, CAPTURE_SUBSCRIPTION.flags,
                                  CAPTURE_SUBSCRIPTION.events)
    assert ours.hex() == client_requests()[1].hex()


def test_our_null_is_byte_identical_to_encores():
    assert all(raw == wire.NULL for raw in client_requests()[2:])


def test_a_client_session_replaying_the_capture_sends_exactly_what_encore_sent():
    session = wire.ClientSession(CAPTURE_SUBSCRIPTION, since=CAPTURE_SINCE)
    session.start()
    sent = [session.data_to_send()]
    for name in ["streaming-info.bin"] + BUNDLE_FILES:
        session.receive_data(read(name))
        sent.append(session.data_to_send())
    expected = client_requests()
    # the 2051 is answered by the Streaming Request and its ack; each bundle by one Null
    assert [s.hex() for s in sent] == [expected[0].hex(), (expected[1] + expected[2]).hex()] + \
        [raw.hex() for raw in expected[3:3 + len(BUNDLE_FILES)]]


# --- Streaming Information --------------------------------------------------------------------

def test_streaming_information_is_one_2051_message_of_48_bytes():
    message = only_message(read("streaming-info.bin"))
    entry = INDEX["files"][0]
    assert (entry["file"], message.type, len(message.body)) == \
        ("streaming-info.bin", entry["type"], entry["length"])


def test_streaming_information_advertises_services_5001_5000_6667_with_no_flags_or_events():
    services = wire.parse_streaming_information(only_message(read("streaming-info.bin")).body)
    assert [(s.id, s.flags, s.since, s.events) for s in services] == \
        [(5001, 0, 0, ()), (5000, 0, 0, ()), (6667, 0, 0, ())]


def test_the_client_answers_the_captured_streaming_information_by_asking_for_service_6667():
    session = wire.ClientSession(CAPTURE_SUBSCRIPTION, since=CAPTURE_SINCE)
    session.start()
    session.data_to_send()
    events = session.receive_data(read("streaming-info.bin"))
    assert [type(e) for e in events] == [wire.StreamStarted]
    request = wire.FrameParser().feed(session.data_to_send())[0]
    assert request.type == wire.MessageType.STREAMING_REQUEST
    service, since, flags, pairs = wire.parse_streaming_request(request.body)
    assert (service, since, flags, pairs) == \
        (6667, CAPTURE_SINCE, CAPTURE_SUBSCRIPTION.flags, CAPTURE_SUBSCRIPTION.events)


# --- bundles: framing, splitting, decoding ----------------------------------------------------

@pytest.mark.parametrize("entry", [e for e in INDEX["files"] if e["type"] == 4002],
                         ids=lambda e: e["file"])
def test_each_bundle_file_is_one_whole_message_of_the_listed_type_and_length(entry):
    parser = wire.FrameParser()
    messages = parser.feed(read(entry["file"]))
    assert [(m.type, len(m.body)) for m in messages] == [(entry["type"], entry["length"])]
    assert parser.pending == 0


@pytest.mark.parametrize("entry", [e for e in INDEX["files"] if e["type"] == 4002],
                         ids=lambda e: e["file"])
def test_each_bundle_splits_and_decodes_into_exactly_the_listed_record_types(entry):
    bundle = wire.split_bundle(only_message(read(entry["file"])).body)
    assert bundle.error is None
    decoder = RecordDecoder()
    records = [decoder.decode(body) for body in bundle.bodies]
    assert [r["recordType"] for r in records] == entry["record_types"]
    assert not [r for r in records if r.get("unknown")]
    stats = decoder.stats
    assert (stats.records, stats.unknown_types, stats.unknown_blocks, stats.malformed,
            stats.trailing_bytes) == (len(entry["record_types"]), 0, 0, 0, 0)


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_every_inner_message_of_a_real_bundle_is_consumed_to_the_last_byte(name):
    body = only_message(read(name)).body
    bundle = wire.split_bundle(body)
    assert 8 + sum(8 + len(record) for record in bundle.bodies) == len(body)


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_real_bundles_carry_the_session_connection_id_and_their_sequence_number(name):
    bundle = wire.split_bundle(only_message(read(name)).body)
    sequence = int(re.search(r"bundle-(\d+)", name).group(1))
    assert (bundle.connection_id, bundle.sequence) == (0x5FC831ED, sequence)


def test_metadata_records_have_no_archive_timestamp_and_connection_events_do(decoded):
    for number, (record, _, _) in enumerate(decoded, 1):
        has_timestamp = "archiveTimestamp" in record
        assert has_timestamp == (record["recordType"] == 71), f"record {number}"


def test_connection_records_carry_block_160_as_requested_with_event_version_14(decoded):
    blocks = {record["blockType"] for record, _, _ in decoded if record["recordType"] == 71}
    assert {code: version for version, code in CAPTURE_SUBSCRIPTION.events}[71] == 14
    assert blocks == {160}


# Block 160 (Connection Statistics) as eNcore defines it, after its 8-byte header: a number is a
# fixed-size field, a name is a string block (uint32 type, uint32 length incl. these 8, text).
BLOCK_160 = (
    4, 16, 16, 16, 16, 16, 16, 16, 4, 2, 4, 2, 2, 2, 1, 16, 2, 2, 4, 4, 8, 8, 8, 8,
    4, 4, 4, 4, 4, 4, "clientUrl", "netbios", "clientApplicationVersion",
    4, 4, 4, 4, 4, 4, 4, 4, 1, 1, 2, 2, 2, 2, 2, 4, 4, 2, 2, 1, 1, 1, 1, 16, 2,
    "referencedHost", "userAgent", "httpReferrer",
    20, 16, 4, 2, 1, 4, 2, 2, 2, 4, 4, 8, "sslServerName", 4, 32, 1, 20, 1,
    16, 4, 4, 16, 4, "dnsQuery", 2, 2, 4, 16, 4, 4)


def walk_block_160(data: bytes, start: int):
    """``(end offset, {string field: text})`` of the block at ``start``, by the table alone."""
    offset, texts = start + 8, {}
    for item in BLOCK_160:
        if isinstance(item, int):
            offset += item
        else:
            length = struct.unpack_from(">I", data, offset + 4)[0]
            texts[item] = data[offset + 8:offset + length].decode("utf-8").rstrip("\x00")
            offset += length
    return offset, texts


def test_every_real_connection_block_ends_exactly_where_the_protocol_table_ends(decoded):
    bodies = [body for name in BUNDLE_FILES
              for body in wire.split_bundle(only_message(read(name)).body).bodies]
    checked = 0
    for number, (body, (record, _, _)) in enumerate(zip(bodies, decoded), 1):
        if record["recordType"] != 71:
            continue
        block_start = 16 + 40 + 16  # record header with archive timestamp, discovery header, IPv6
        block_length = struct.unpack_from(">I", body, block_start + 4)[0]
        end, texts = walk_block_160(body, block_start)
        assert (end - block_start, block_start + block_length) == (block_length, len(body)), \
            f"record {number}"
        assert {field: record[field] for field in texts} == texts, f"record {number}"
        checked += 1
    assert checked == sum(entry.get("record_types", []).count(71) for entry in INDEX["files"])


# --- every value eNcore printed ----------------------------------------------------------------
# A row of the tables below says where our value for one eNcore Splunk key comes from:
# Field(name) - the raw field of our record; Name(table, *fields) - cache.name(table, *values)
# with the values of those fields (eNcore prints the raw id when nothing names it);
# Computed(fn) - a small function documented where it is defined.

class Field:
    def __init__(self, name):
        self.name = name

    def __call__(self, record, cache):
        return record[self.name]


class Name:
    def __init__(self, table, *fields, unresolved="id", fallback=None):
        self.table, self.fields = table, fields
        self.unresolved, self.fallback = unresolved, fallback

    def lookup(self, record, cache):
        key = [record[f] for f in self.fields]
        name = cache.name(self.table, *key)
        if name is None and self.fallback is not None:
            name = self.fallback.get(key[-1])
        return name

    def __call__(self, record, cache):
        name = self.lookup(record, cache)
        if name is not None:
            return name
        return record[self.fields[-1]] if self.unresolved == "id" else self.unresolved


class Computed:
    def __init__(self, function):
        self.function = function

    def __call__(self, record, cache):
        return self.function(record, cache)


# Names eNcore has built in rather than learns from the FMC (its metadata cache); ours leaves
# these to the event layer. Only the ids this capture uses.
IANA_PROTOCOLS = {0: "Unknown", 1: "ICMP", 6: "TCP", 17: "UDP"}
ENCORE_UNKNOWN = {0: "Unknown"}  # applications, payloads, URL categories and reputations
ENCORE_RULE_REASONS = {0: "N/A"}


def ip_protocol(record, cache):
    """eNcore's ip_proto: the IANA name of the protocol number (a built-in table)."""
    return IANA_PROTOCOLS.get(record["protocol"], record["protocol"])


def event_second(record, cache):
    """eNcore's event_sec: the record's own event second, or its archive timestamp when that
    is 0 (as in every connection record here)."""
    return record["eventSecond"] or record["archiveTimestamp"]


def monitor_rule(n):
    """eNcore's monitor_rule_1..7: "N/A" for 0, else the rule's name under the policy revision."""
    def resolve(record, cache):
        rule = record[f"monitorRule{n}"]
        if not rule:
            return "N/A"
        return cache.name("firewallRules", record["policyRevision"], rule) or rule
    return Computed(resolve)


def security_intelligence_event(record, cache):
    """eNcore's sec_intel_event: "No" unless the SI source/destination field is set."""
    return "Yes" if record["securityIntelligenceSourceDestination"] else "No"


def security_intelligence_ip(record, cache):
    """eNcore's sec_intel_ip: "N/A" when the SI source/destination field is 0."""
    return record["securityIntelligenceSourceDestination"] or "N/A"


def record_description(record, cache):
    return RECORDS[record["recordType"]].name


def record_category(record, cache):
    return RECORDS[record["recordType"]].category


COMMON = {
    "rec_type": Field("recordType"),
    "rec_type_desc": Computed(record_description),
    "rec_type_simple": Computed(record_category),
}
ID_NAME = {**COMMON, "id": Field("id"), "name": Field("name")}
ID_DESCRIPTION = {**COMMON, "id": Field("id"), "description": Field("name")}
UUID_NAME = {**COMMON, "uuid": Field("uuid"), "name": Field("name")}

KEYS = {
    **{number: ID_NAME for number in (55, 63, 90, 96, 109, 120, 122, 123, 602, 604)},
    **{number: ID_DESCRIPTION for number in (605, 606, 608)},
    **{number: UUID_NAME for number in (115, 116, 700)},
    98: {**ID_NAME, "ip_proto": Computed(ip_protocol)},
    119: {**UUID_NAME, "id": Field("id")},
    # eNcore names the sensor of a policy record even when the device is unknown: "None"
    145: {**UUID_NAME, "sensor": Name("devices", "sensorId", unresolved=None)},
    320: {**ID_NAME, "description": Field("description")},
    520: {**COMMON, "id": Field("countryCode"), "name": Field("country")},
    71: {
        **COMMON,
        # discovery header
        "event_sec": Computed(event_second), "event_usec": Field("eventMicrosecond"),
        "event_type": Field("eventType"), "event_subtype": Field("eventSubtype"),
        "has_ipv6": Field("hasIpv6"), "mac_address": Field("macAddress"),
        # addresses, ports, counts, times, ids
        "src_ip": Field("initiatorIpAddress"), "dest_ip": Field("responderIpAddress"),
        "src_port": Field("initiatorPort"), "dest_port": Field("responderPort"),
        "src_bytes": Field("initiatorTransmittedBytes"),
        "dest_bytes": Field("responderTransmittedBytes"),
        "src_pkts": Field("initiatorTransmittedPackets"),
        "dest_pkts": Field("responderTransmittedPackets"),
        "first_pkt_sec": Field("firstPacketTimestamp"),
        "last_pkt_sec": Field("lastPacketTimestamp"),
        "connection_id": Field("connectionCounter"), "instance_id": Field("instanceId"),
        "tcp_flags": Field("tcpFlag"), "netflow_src": Field("netflowSource"),
        "vlan_id": Field("vlanId"), "security_context": Field("securityContext"),
        "src_autonomous_system": Field("sourceAutonomousSystem"),
        "dest_autonomous_system": Field("destinationAutonomousSystem"),
        "snmp_in": Field("snmpIn"), "snmp_out": Field("snmpOut"),
        "src_tos": Field("sourceTos"), "dest_tos": Field("destinationTos"),
        "src_mask": Field("sourceMask"), "dest_mask": Field("destinationMask"),
        "ip_layer": Field("securityIntelligenceLayer"), "file_count": Field("fileEventCount"),
        "ips_count": Field("intrusionEventCount"), "num_ioc": Field("iocNumber"),
        "http_response": Field("httpResponse"), "sinkhole_uuid": Field("sinkholeUuid"),
        "dns_rec_id": Field("dnsRecordType"), "dns_resp_id": Field("dnsResponseType"),
        "dns_ttl": Field("dnsTtl"),
        "ssl_cert_fingerprint": Field("sslCertificateFingerprint"),
        "ssl_policy_id": Field("sslPolicyId"), "ssl_rule_id": Field("sslRuleId"),
        "ssl_session_id": Field("sslSessionId"), "ssl_ticket_id": Field("sslTicketId"),
        "ssl_flow_error": Field("sslFlowError"), "ssl_flow_messages": Field("sslFlowMessages"),
        "ssl_flow_flags": Field("sslFlowFlags"), "ssl_url_category": Field("sslUrlCategory"),
        # eNcore's computed monitor rules stop at 7 (an off-by-one), so rule 8 is raw
        "monitor_rule_8": Field("monitorRule8"),
        # text
        "url": Field("clientUrl"), "client_version": Field("clientApplicationVersion"),
        "netbios_domain": Field("netbios"), "referenced_host": Field("referencedHost"),
        "user_agent": Field("userAgent"), "http_referrer": Field("httpReferrer"),
        "ssl_server_name": Field("sslServerName"), "dns_query": Field("dnsQuery"),
        # names resolved through the metadata the FMC sent
        "sensor": Name("devices", "deviceId"),
        "sec_zone_ingress": Name("securityZones", "ingressZone"),
        "sec_zone_egress": Name("securityZones", "egressZone"),
        "iface_ingress": Name("interfaces", "ingressInterface"),
        "iface_egress": Name("interfaces", "egressInterface"),
        "fw_policy": Name("accessControlPolicies", "deviceId", "policyRevision"),
        "fw_rule": Name("firewallRules", "policyRevision", "ruleId"),
        "fw_rule_action": Name("firewallRuleActions", "ruleAction"),
        "fw_rule_reason": Name("firewallRuleReasons", "ruleReason",
                               fallback=ENCORE_RULE_REASONS),
        "app_proto": Name("appProtocols", "applicationId", fallback=ENCORE_UNKNOWN),
        "client_app": Name("clientApps", "clientApplicationId", fallback=ENCORE_UNKNOWN),
        "web_app": Name("payloads", "webApplicationId", fallback=ENCORE_UNKNOWN),
        "url_category": Name("urlCategories", "urlCategory", fallback=ENCORE_UNKNOWN),
        "url_reputation": Name("urlReputations", "urlReputation", fallback=ENCORE_UNKNOWN),
        "user": Name("users", "userId"),
        "src_ip_country": Name("geolocations", "initiatorCountry"),
        "dest_ip_country": Name("geolocations", "responderCountry"),
        "dns_record_name": Name("dnsRecordTypes", "dnsRecordType"),
        "ssl_cipher_suite": Name("sslCipherSuites", "sslCipherSuite"),
        "ssl_version": Name("sslVersions", "sslVersion"),
        "ssl_server_cert_status": Name("sslCertificateStatuses", "sslServerCertificateStatus"),
        "ssl_actual_action": Name("sslActions", "sslActualAction"),
        # eNcore resolves the expected action through the actual-action (606) table
        "ssl_expected_action": Name("sslActions", "sslExpectedAction"),
        "ssl_flow_status": Name("sslFlowStatuses", "sslFlowStatus"),
        **{f"monitor_rule_{n}": monitor_rule(n) for n in range(1, 8)},
        # computed display values
        "ip_proto": Computed(ip_protocol),
        "sec_intel_event": Computed(security_intelligence_event),
        "sec_intel_ip": Computed(security_intelligence_ip),
    },
}

# eNcore keys deliberately not compared, per record type.
NOT_COMPARED = {
    71: {
        "event_desc",       # eNcore's display text for (event_type, event_subtype), both compared
        "dns_record_desc",  # a second value of record 320, compared on the 320 line itself
    },
}

_KV = re.compile(r'(\w+)=("[^"]*"|\S*)')


def encore_fields(line: str) -> dict:
    return {key: value[1:-1] if value.startswith('"') else value
            for key, value in _KV.findall(line)}


@pytest.fixture(scope="module")
def decoded():
    """``[(record, {eNcore key: our value}, {keys whose name did not resolve})]`` for every
    record of bundles 1, 2 and 4, decoded in order with one metadata cache; each record is
    resolved right after the cache learned it, as eNcore decorates it."""
    decoder, cache, out = RecordDecoder(), MetadataCache(), []
    for name in BUNDLE_FILES:
        for body in wire.split_bundle(only_message(read(name)).body).bodies:
            record = decoder.decode(body)
            cache.learn(record)
            table = KEYS.get(record["recordType"], {})
            ours = {key: source(record, cache) for key, source in table.items()}
            unresolved = {key for key, source in table.items()
                          if isinstance(source, Name) and source.lookup(record, cache) is None}
            out.append((record, ours, unresolved))
    return out


def test_the_encore_log_has_one_line_per_decoded_record_in_the_same_order(decoded):
    assert len(LOG_LINES) == len(decoded)
    assert [int(encore_fields(line)["rec_type"]) for line in LOG_LINES] == \
        [record["recordType"] for record, _, _ in decoded]


def test_every_record_type_in_the_log_has_a_key_mapping():
    assert {int(encore_fields(line)["rec_type"]) for line in LOG_LINES} <= set(KEYS)


@pytest.mark.parametrize("line_number", range(1, len(LOG_LINES) + 1))
def test_every_value_agrees_with_encores_splunk_line(decoded, line_number):
    record, ours, unresolved = decoded[line_number - 1]
    encore = encore_fields(LOG_LINES[line_number - 1])
    record_type = record["recordType"]
    table, skipped = KEYS[record_type], NOT_COMPARED.get(record_type, set())
    where = f"line {line_number} (rec_type={record_type})"
    unmapped = set(encore) - set(table) - skipped
    assert not unmapped, f"{where}: eNcore keys with no mapping: {sorted(unmapped)}"
    differences = []
    for key, value in encore.items():
        if key in skipped:
            continue
        if str(ours[key]) != value:
            differences.append(f"{key}: eNcore {value!r}, ours {str(ours[key])!r}")
    # eNcore omits a computed-only key when its lookup fails; we must fail to resolve it too
    for key in set(table) - set(encore):
        if not (isinstance(table[key], Name) and key in unresolved):
            differences.append(f"{key}: missing from eNcore's line, ours {str(ours[key])!r}")
    assert not differences, f"{where}:\n  " + "\n  ".join(differences)


# --- framing in arbitrary chunks ---------------------------------------------------------------

def capture_stream() -> bytes:
    return b"".join(read(name) for name in ["streaming-info.bin"] + BUNDLE_FILES)


def test_the_whole_capture_stream_frames_into_its_four_messages():
    messages = wire.FrameParser().feed(capture_stream())
    assert [(m.type, len(m.body)) for m in messages] == \
        [(e["type"], e["length"]) for e in INDEX["files"]]


@pytest.mark.parametrize("seed", range(8))
def test_frame_parser_fed_random_chunks_yields_the_same_messages_as_fed_whole(seed):
    stream = capture_stream()
    whole = wire.FrameParser().feed(stream)
    rng, parser, chunked, at = random.Random(seed), wire.FrameParser(), [], 0
    while at < len(stream):
        size = rng.choice([1, 2, 3, 7, 8, 9, rng.randint(1, 64), rng.randint(1, 9000)])
        chunked += parser.feed(stream[at:at + size])
        at += size
    assert chunked == whole
    assert parser.pending == 0


def test_frame_parser_fed_one_byte_at_a_time_yields_the_same_messages_as_fed_whole():
    stream = capture_stream()
    parser = wire.FrameParser()
    chunked = [m for i in range(len(stream)) for m in parser.feed(stream[i:i + 1])]
    assert chunked == wire.FrameParser().feed(stream)
