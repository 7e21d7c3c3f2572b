"""Rows several event tables share: the head every event starts with, the constants, and the
keys families write alike (applications, the SSL context, zones and interfaces, the connection
a record belongs to)."""
from __future__ import annotations

from .common import CONSTANTS, record_name
from .profile import FALSY, INT, NEVER, TEXT, call, const, formula, key, label, let, lookup, present
from .tables import PROTOCOLS
from .values import hex_digest


def head():
    """``rec_type``, ``rec_type_desc``, the discovery header's event type and subtype, the
    managed device's id and name (``dvc``)."""
    return (
        key("rec_type", "recordType", omit=NEVER),
        key("rec_type_desc", call(record_name, "recordType", type_=TEXT)),
        let("_discovery_header", present("?eventSubtype")),
        key("event_type", "?eventType", when="$_discovery_header"),
        key("event_subtype", "?eventSubtype", when="$_discovery_header"),
        let("_has_device", present("?deviceId")),
        key("device_id", "?deviceId"),
        key("dvc", label("device", "devices", "?deviceId", zero_absent=False),
            when="$_has_device"),
    )


def ip_version(*refs):
    """``ipv4``/``ipv6`` of the first address that is set (:func:`.common.ip_version`)."""
    expression = "None"
    for position in reversed(range(len(refs))):
        expression = (f"(('ipv6' if ':' in {{{position}}} else 'ipv4') if {{{position}}} "
                      f"else {expression})")
    return formula(expression, *refs, type_=TEXT,
                   doc=f"`ipv4`/`ipv6` of {', '.join(_name(ref) for ref in refs)}")


def _name(ref):
    return ref.lstrip("$?_").replace("_", " ") if ref.startswith("$") else f"`{ref.lstrip('?')}`"


def constants():
    return tuple(key(name, const(value)) for name, value in CONSTANTS)


def connection_context(device, instance, counter, first_packet):
    """The connection a record belongs to: ``connection_id`` (the join key), and with a
    first-packet time ``first_packet_time``, ``instance_id`` and ``connection_counter``."""
    return (
        key("connection_id", connection_key(device, instance, counter, first_packet)),
        key("first_packet_time", first_packet, omit=FALSY),
        key("instance_id", instance, when=first_packet),
        key("connection_counter", counter, when=first_packet),
    )


def connection_key(device, instance, counter, first_packet):
    """The join key linking intrusion/file/malware events to their connection,
    ``device:instance:counter:first packet`` (:func:`.common.connection_id`)."""
    return formula("f'{{{0}}}:{{{1}}}:{{{2}}}:{{{3}}}' if {3} else None", device, instance,
                   counter, first_packet, type_=TEXT,
                   doc="`device:instance:counter:first packet time` (the join key)")


def ssl_context():
    """The SSL decryption context of intrusion, file and malware events."""
    return (
        key("ssl_actual_action", label("ssl-action", "sslActions", "?sslActualAction")),
        key("ssl_actual_action_id", "?sslActualAction", omit=FALSY),
        key("ssl_flow_status", label("ssl-flow-status", "sslFlowStatuses", "?sslFlowStatus")),
        key("ssl_flow_status_id", "?sslFlowStatus", omit=FALSY),
        key("ssl_cert_fingerprint", hex_digest("?sslCertificateFingerprint")),
    )


def ints(*names):
    """Keys of integer fields written as they are, left out when zero."""
    return tuple(key(name, field, omit=FALSY, type_=INT) for name, field in names)


def app_proto():
    """The application protocol's name, for ``app`` and ``app_proto`` (a let: families write
    ``app`` before it)."""
    return let("_app_proto", label("application", "appProtocols", "?applicationId"))


def applications():
    """``app_proto_id``/``app_proto``, ``client_app`` and ``web_app`` with their ids (never
    placeholders); :func:`app_proto` comes first."""
    return (
        key("app_proto_id", "?applicationId", omit=FALSY),
        key("app_proto", "$_app_proto"),
        key("client_app", label("client", "clientApps", "?clientApplicationId")),
        key("client_app_id", "?clientApplicationId", omit=FALSY),
        key("web_app", label("web-application", "payloads", "?webApplicationId")),
        key("web_app_id", "?webApplicationId", omit=FALSY),
    )


def protocol(ref, transport=True, when=None):
    """``protocol_id``, ``ip_proto`` and (by default) the CIM ``transport`` from the IP protocol table;
    with ``when``, only when that reference is set."""
    rows = (
        let("_protocol", lookup(PROTOCOLS, formula("{0} & 0xFF", ref), doc="the IP protocol table")),
        key("protocol_id", ref, when=when, omit=NEVER),
        key("ip_proto", formula("{0}[0]", "$_protocol", type_=TEXT, doc="the protocol's IANA keyword"),
            when=when),
    )
    if transport:
        rows += (key("transport", formula("{0}[1]", "$_protocol", type_=TEXT,
                                          doc="the protocol's CIM transport"), when=when),)
    return rows


def zones_and_interfaces(ingress_zone, egress_zone, ingress_interface, egress_interface):
    return (
        key("src_zone", label("zone", "securityZones", ingress_zone)),
        key("dest_zone", label("zone", "securityZones", egress_zone)),
        key("src_interface", label("interface", "interfaces", ingress_interface)),
        key("dest_interface", label("interface", "interfaces", egress_interface)),
    )
