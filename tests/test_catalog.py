"""The catalog as an object, derived block versions, and field kinds that carry their own
behaviour: a kind the codec has never seen reads, compiles and writes without a change to the
reader, the compiler or the writer."""
from __future__ import annotations

import struct

import pytest

from estreamer.catalog import CATALOG, Catalog
from estreamer.fields import HEX20, HEX32, IPV6, STRING, U8, U16, U32, U64, UUID, BlockRef, Kind, block
from estreamer.layout import Layout, ParseError, Short

# BLOCK_CONNECTION_STATISTICS_174 (series 1, wire type 174) as eNcore 5.2 defines it, in full.
APPENDIX_C_174 = (
    ("blockType", U32), ("blockLength", U32),
    ("deviceId", U32), ("ingressZone", UUID), ("egressZone", UUID), ("ingressInterface", UUID),
    ("egressInterface", UUID), ("initiatorIpAddress", IPV6), ("responderIpAddress", IPV6),
    ("originalClientIpAddress", IPV6), ("policyRevision", UUID), ("ruleId", U32),
    ("tunnelRuleId", U32), ("ruleAction", U16), ("ruleReason", U32), ("initiatorPort", U16),
    ("responderPort", U16), ("tcpFlag", U16), ("protocol", U8), ("netflowSource", UUID),
    ("instanceId", U16), ("connectionCounter", U16), ("firstPacketTimestamp", U32),
    ("lastPacketTimestamp", U32), ("initiatorTransmittedPackets", U64),
    ("responderTransmittedPackets", U64), ("initiatorTransmittedBytes", U64),
    ("responderTransmittedBytes", U64), ("initiatorPacketsDropped", U64),
    ("responderPacketsDropped", U64), ("initiatorBytesDropped", U64),
    ("responderBytesDropped", U64), ("qosAppliedInterface", UUID), ("qosRuleId", U32),
    ("userId", U32), ("applicationId", U32), ("urlCategory", U32), ("urlReputation", U32),
    ("clientApplicationId", U32), ("webApplicationId", U32), ("clientUrl", STRING),
    ("netbios", STRING), ("clientApplicationVersion", STRING), ("monitorRule1", U32),
    ("monitorRule2", U32), ("monitorRule3", U32), ("monitorRule4", U32), ("monitorRule5", U32),
    ("monitorRule6", U32), ("monitorRule7", U32), ("monitorRule8", U32),
    ("securityIntelligenceSourceDestination", U8), ("securityIntelligenceLayer", U8),
    ("fileEventCount", U16), ("intrusionEventCount", U16), ("initiatorCountry", U16),
    ("responderCountry", U16), ("originalClientCountry", U16), ("iocNumber", U16),
    ("sourceAutonomousSystem", U32), ("destinationAutonomousSystem", U32), ("snmpIn", U16),
    ("snmpOut", U16), ("sourceTos", U8), ("destinationTos", U8), ("sourceMask", U8),
    ("destinationMask", U8), ("securityContext", UUID), ("vlanId", U16),
    ("referencedHost", STRING), ("userAgent", STRING), ("httpReferrer", STRING),
    ("sslCertificateFingerprint", HEX20), ("sslPolicyId", UUID), ("sslRuleId", U32),
    ("sslCipherSuite", U16), ("sslVersion", U8), ("sslServerCertificateStatus", U32),
    ("sslActualAction", U16), ("sslExpectedAction", U16), ("sslFlowStatus", U16),
    ("sslFlowError", U32), ("sslFlowMessages", U32), ("sslFlowFlags", U64),
    ("sslServerName", STRING), ("sslUrlCategory", U32), ("sslSessionId", HEX32),
    ("sslSessionIdLength", U8), ("sslTicketId", HEX20), ("sslTicketIdLength", U8),
    ("networkAnalysisPolicyRevision", UUID), ("endpointProfileId", U32), ("securityGroupId", U32),
    ("sourceSecurityGroupTag", U16), ("sourceSecurityGroupTagType", U8),
    ("destinationSecurityGroupTag", U16), ("destinationSecurityGroupTagType", U8),
    ("locationIpv6", IPV6), ("httpResponse", U32), ("dnsQuery", STRING), ("dnsRecordType", U16),
    ("dnsResponseType", U16), ("dnsTtl", U32), ("sinkholeUuid", UUID),
    ("securityIntelligenceList1", U32), ("securityIntelligenceList2", U32),
    ("threatIntelligenceCategory", U32), ("eveProcess", STRING),
    ("eveProcessConfidencePercentage", U8), ("eveThreatConfidencePercentage", U8),
    ("eveThreatConfidenceIndex", U8), ("clientAppDectectorId", U8), ("natInitiatorPort", U16),
    ("natResponderPort", U16), ("natInitiatorIp", IPV6), ("natResponderIp", IPV6),
    ("ingressVRFName", STRING), ("egressVRFName", STRING), ("sourceIpDynamicAttributes", STRING),
    ("destIpDynamicAttributes", STRING))


def test_block_174_derived_from_173_is_the_full_table_of_appendix_c():
    assert CATALOG.block(1, 174).rows == APPENDIX_C_174


def test_block_174_adds_only_the_fmc_7_fields_to_173():
    rows_173 = [name for name, _ in CATALOG.block(1, 173).rows]
    rows_174 = [name for name, _ in CATALOG.block(1, 174).rows]
    at = rows_173.index("threatIntelligenceCategory") + 1

    assert rows_174[:at] == rows_173[:at] and rows_174[at + 9:] == rows_173[at:]
    assert rows_174[at:at + 9] == [
        "eveProcess", "eveProcessConfidencePercentage", "eveThreatConfidencePercentage",
        "eveThreatConfidenceIndex", "clientAppDectectorId", "natInitiatorPort",
        "natResponderPort", "natInitiatorIp", "natResponderIp"]


# --- a catalog is an object ----------------------------------------------------------------------

POINT = Layout("POINT", (("blockType", U32), ("blockLength", U32), ("x", U16), ("y", U16)), 7, 1)
POINT_2 = Layout("POINT_2", POINT.rows + (("z", U16),), 7, 2)
SHAPE = Layout("record SHAPE", (("corner", block(7, 1)),))


def point(wire_type, *coordinates):
    data = struct.pack(f">{len(coordinates)}H", *coordinates)
    return struct.pack(">II", wire_type, 8 + len(data)) + data


def test_a_catalog_knows_only_the_layouts_it_was_given():
    catalog = Catalog([POINT])

    assert catalog.block(7, 1) is POINT and catalog.block(1, 174) is None
    assert CATALOG.block(7, 1) is None


def test_a_catalog_accepts_at_a_position_only_the_versions_it_was_told_of():
    data = point(2, 1, 2, 3)
    plain, versioned = Catalog([POINT, POINT_2]), Catalog([POINT, POINT_2], [(7, (1, 2))])

    with pytest.raises(ParseError, match="POINT_2 block"):
        plain.read(SHAPE, data, 0, len(data))
    record, _ = versioned.decode(SHAPE, data, 0, len(data))
    assert record["corner"].as_dict() == {"blockType": 2, "blockLength": 14, "x": 1, "y": 2,
                                          "z": 3}


# --- kinds carry their own behaviour -------------------------------------------------------------

class Flag(Kind):
    """A fixed-size kind the codec has never seen: one byte, true when non-zero."""

    fmt, size = "B", 1

    def read(self, reader, name, buf, off, end, out, depth):
        reader.need(off, end, 1, name)
        out[name] = buf[off] != 0
        return off + 1

    def write(self, writer, name, values, out):
        out.append(1 if values.get(name) else 0)

    def expression(self, compiler, var):
        return f"({var} != 0)"


class Pascal(Kind):
    """A variable-size one: a length byte, then that many ASCII characters."""

    def read(self, reader, name, buf, off, end, out, depth):
        reader.need(off, end, 1, name)
        reader.need(off + 1, end, buf[off], name)
        out[name] = bytes(buf[off + 1:off + 1 + buf[off]]).decode("ascii")
        return off + 1 + buf[off]

    def write(self, writer, name, values, out):
        data = (values.get(name) or "").encode("ascii")
        out += bytes((len(data),)) + data

    def emit(self, compiler, name):
        var = compiler.bind(name)
        compiler.line("if off >= end or off + 1 + buf[off] > end: raise _Short")
        compiler.line(f"{var} = str(buf[off + 1:off + 1 + buf[off]], 'ascii')")
        compiler.line("off += 1 + buf[off]")


LABEL = Layout("LABEL", (("blockType", U32), ("blockLength", U32), ("visible", Flag()),
                         ("text", Pascal()), ("size", U16)), 7, 3)
LABELLED = Layout("record LABELLED", (("id", U32), (None, BlockRef(7, 3)), ("bold", Flag())))


def test_a_new_kind_reads_compiles_and_writes_through_the_unchanged_codec():
    catalog = Catalog([LABEL])
    values = {"id": 9, "blockType": 3, "visible": True, "text": "hello", "size": 12,
              "bold": False}

    data = catalog.encode(LABELLED, values)
    compiled = catalog.reader(LABELLED)(data, 0, len(data))
    reference, after = catalog.read_reference(LABELLED, data, 0, len(data))

    assert data == (struct.pack(">I", 9) + struct.pack(">II", 3, 8 + 1 + 6 + 2) + b"\x01\x05hello"
                    + struct.pack(">H", 12) + b"\x00")
    assert reference == dict(values, blockLength=17) and after == len(data)
    assert dict(zip(compiled[0].names, compiled[1])) == reference and compiled[2] == len(data)


def test_the_compiled_reader_gives_way_where_a_new_kind_cannot_vouch():
    catalog = Catalog([LABEL])
    # the text claims 200 characters; its block holds 3
    data = (struct.pack(">I", 1) + struct.pack(">II", 3, 8 + 1 + 4 + 2) + b"\x01\xc8cut"
            + struct.pack(">H", 12) + b"\x00")

    with pytest.raises(Short):
        catalog.reader(LABELLED)(data, 0, len(data))
    with pytest.raises(ParseError, match="text needs 200 bytes, 5 left"):
        catalog.read(LABELLED, data, 0, len(data))
