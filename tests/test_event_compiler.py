"""The event compiler on small profiles over real record layouts: each feature of the table
language gives the same bytes compiled as walked by the reference evaluator, and the compiled
functions follow the FMC's names as they change."""
from __future__ import annotations

import struct

import pytest

from estreamer.catalog import CATALOG, RECORDS
from estreamer.decoder import RecordDecoder, encode_record
from estreamer.events import MapperOptions, event_json
from estreamer.events.common import Context, ip, uuid
from estreamer.events.compiler import CannotCompile, EventCompiler, Memos, Shape
from estreamer.events.profile import (
    FALSY,
    INT,
    NEVER,
    TEXT,
    TEXTS,
    Evaluator,
    Normal,
    Profile,
    call,
    const,
    formula,
    key,
    label,
    let,
    lookup,
    present,
)
from estreamer.metadata import MetadataCache
from estreamer.programs import Programs
from test_codec_roundtrip import ARCHIVE_TIMESTAMP, sample

ZONE = "11111111-2222-3333-4444-555555555555"


def connection(block=174, **fields):
    values = sample(RECORDS[71].layout, salt=f"ec{block}", version=block)
    values.update(fields)
    return encode_record(71, values, archive_timestamp=ARCHIVE_TIMESTAMP)


def profile(*rows, time=None):
    return Profile("test", (71,), rows, time=time or const(1.5))


def both(test_profile, body, cache=None):
    """(compiled JSON text, reference JSON text) of ``body``'s event."""
    cache = cache if cache is not None else MetadataCache()
    ctx = Context(cache, MapperOptions())
    record = RecordDecoder().decode(body)
    shape = Shape.of(CATALOG, RECORDS[71].layout, record)
    function = EventCompiler(CATALOG, RECORDS[71].layout, shape, test_profile, ctx).compile()
    _, time, _, text = function(body)
    ref_time, event = Evaluator(test_profile, ctx)(record)
    assert time == ref_time
    return text, event_json(event)


def test_fields_are_written_with_their_json_types():
    text, reference = both(profile(key("id", "deviceId"), key("host", "ingressZone"),
                                   key("url", "clientUrl"), key("n", "initiatorPort")),
                           connection(deviceId=7, ingressZone=ZONE, clientUrl='a"b\\c\u00e9'))

    assert text == reference == ('{"id":7,"host":"%s","url":"a\\"b\\\\c\u00e9","n":%d}'
                                 % (ZONE, RecordDecoder().decode(connection())["initiatorPort"]))


@pytest.mark.parametrize("value, written", [(0, False), (5, True)])
def test_falsy_keys_are_left_out_when_zero(value, written):
    text, reference = both(profile(key("first", "deviceId"), key("vlan", "vlanId", omit=FALSY)),
                           connection(vlanId=value))

    assert text == reference
    assert ('"vlan"' in text) == written


def test_a_key_whose_value_is_none_is_left_out_and_never_keys_are_always_written():
    text, reference = both(profile(key("first", "deviceId"),
                                   key("src", Normal(ip, "initiatorIpAddress")),
                                   key("always", const(0), omit=NEVER)),
                           connection(initiatorIpAddress="::"))

    assert text == reference == '{"first":%d,"always":0}' % RecordDecoder().decode(
        connection(initiatorIpAddress="::"))["deviceId"]


def test_when_and_unless_decide_per_record():
    rows = (key("first", "deviceId"), let("icmp", call(lambda p: p == 1, "protocol")),
            key("port", "initiatorPort", unless="$icmp"), key("type", "initiatorPort",
                                                               when="$icmp"))
    icmp, tcp = both(profile(*rows), connection(protocol=1)), both(profile(*rows),
                                                                   connection(protocol=6))

    assert icmp[0] == icmp[1] and '"type"' in icmp[0] and '"port"' not in icmp[0]
    assert tcp[0] == tcp[1] and '"port"' in tcp[0] and '"type"' not in tcp[0]


def test_the_first_key_may_be_left_out():
    text, reference = both(profile(key("vlan", "vlanId", omit=FALSY), key("id", "deviceId")),
                           connection(vlanId=0, deviceId=3))

    assert text == reference == '{"id":3}'


def test_formulas_lookups_and_calls_give_the_references_values():
    rows = (key("bytes", formula("{0} + {1}", "initiatorTransmittedBytes",
                                 "responderTransmittedBytes", type_=INT)),
            key("proto", lookup({6: ("tcp",)}, "protocol", default=("other",), column=0,
                                type_=TEXT)),
            key("flags", call(lambda f: [n for b, n in ((1, "FIN"), (2, "SYN")) if f & b],
                              "tcpFlag", type_=TEXTS), omit=FALSY))
    text, reference = both(profile(*rows), connection(initiatorTransmittedBytes=2 ** 40,
                                                      responderTransmittedBytes=7, protocol=6,
                                                      tcpFlag=3))

    assert text == reference == '{"bytes":%d,"proto":"tcp","flags":["FIN","SYN"]}' % (2 ** 40 + 7)


def test_a_field_some_versions_lack_is_none_and_present_says_so():
    rows = (key("first", "deviceId"), key("eve", "?eveProcess"),
            key("has_eve", present("?eveProcess"), omit=NEVER))
    old = both(profile(*rows), connection(block=160))
    new = both(profile(*rows), connection(block=174, eveProcess="svchost.exe"))

    assert old[0] == old[1] and '"eve"' not in old[0] and '"has_eve":false' in old[0]
    assert new[0] == new[1] and '"eve":"svchost.exe","has_eve":true' in new[0]


def test_a_required_field_the_layout_lacks_cannot_be_compiled():
    record = RecordDecoder().decode(connection(block=160))
    shape = Shape.of(CATALOG, RECORDS[71].layout, record)
    ctx = Context(MetadataCache(), MapperOptions())

    with pytest.raises(CannotCompile, match="eveProcess"):
        EventCompiler(CATALOG, RECORDS[71].layout, shape, profile(key("eve", "eveProcess")),
                      ctx).compile()


def test_names_follow_the_metadata_the_fmc_sends():
    cache = MetadataCache()
    test_profile = profile(key("id", "deviceId"), key("zone", label("zone", "securityZones",
                                                                   "ingressZone")))
    ctx, memos = Context(cache, MapperOptions()), Memos()
    programs = Programs(CATALOG, lambda layout, shape: EventCompiler(
        CATALOG, layout, shape, test_profile, ctx, memos).compile(), lambda t: True)
    body = connection(deviceId=1, ingressZone=ZONE)

    before = programs.render(body)[3]
    cache.put("securityZones", ZONE, "inside")
    ctx.sync()
    memos.sync()
    after = programs.render(body)[3]

    assert before == '{"id":1,"zone":"zone-%s"}' % ZONE
    assert after == '{"id":1,"zone":"inside"}'


def test_a_record_of_another_block_version_gets_the_function_of_its_shape():
    test_profile = profile(key("id", "deviceId"), key("eve", "?eveProcess"))
    ctx = Context(MetadataCache(), MapperOptions())
    programs = Programs(CATALOG, lambda layout, shape: EventCompiler(
        CATALOG, layout, shape, test_profile, ctx).compile(), lambda t: True)

    texts = [programs.render(connection(block=block, deviceId=2, eveProcess="p"))[3]
             for block in (174, 160, 174)]

    assert texts == ['{"id":2,"eve":"p"}', '{"id":2}', '{"id":2,"eve":"p"}']


def test_a_record_the_function_cannot_vouch_for_goes_back_to_the_reference_path():
    test_profile = profile(key("id", "deviceId"))
    ctx = Context(MetadataCache(), MapperOptions())
    programs = Programs(CATALOG, lambda layout, shape: EventCompiler(
        CATALOG, layout, shape, test_profile, ctx).compile(), lambda t: True)
    body = bytearray(connection(deviceId=4))
    assert programs.render(bytes(body))[3] == '{"id":4}'

    struct.pack_into(">I", body, 4, 0)  # a record length that does not match the message

    assert programs.render(bytes(body)) is None


def test_values_normalised_from_raw_bytes_are_remembered_per_raw_value():
    test_profile = profile(key("id", "deviceId"), key("policy", Normal(uuid, "policyRevision")))
    ctx, memos = Context(MetadataCache(), MapperOptions()), Memos()
    programs = Programs(CATALOG, lambda layout, shape: EventCompiler(
        CATALOG, layout, shape, test_profile, ctx, memos).compile(), lambda t: True)

    programs.render(connection(policyRevision=ZONE.upper().replace("1", "A")))

    (memo,) = memos.pure.values()
    assert list(memo.values()) == [',"policy":"%s"' % ZONE.replace("1", "a")]
