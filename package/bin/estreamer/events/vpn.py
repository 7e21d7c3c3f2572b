"""Remote-access VPN login/logoff (records 170/171) → CIM Network_Sessions, VPN, as a table.

The session is seen from the network: ``dest_ip``/``dest_mac`` are the address the VPN gave the
client and the client's MAC, ``src_ip`` the client's public address.
"""
from __future__ import annotations

from .common import user_event_time, vpn_client_ip
from .profile import FALSY, FLOAT, TEXT, Profile, call, formula, key, label, let, lookup
from .rows import constants, head, ip_version
from .tables import AUTH_TYPES, VPN_RECORDS, VPN_TYPES
from .values import ip, mac, text

RECORD_TYPES = (170, 171)
FREE_TEXT = ()  # every VPN field is bounded


def user(name):
    """A field of the record's user block: the login's (170) or the logoff's (171)."""
    return formula("{0} if {0} is not None else {1}", f"?userLogin.{name}",
                   f"?userLogoff.{name}", doc=f"`user.{name}`")


def first(items):
    """The first VPN session of the user block"""
    return items[0] if items else None


def auth_type(auth_type_id):
    """The auth type's name"""
    if not auth_type_id:
        return None
    return AUTH_TYPES.get(auth_type_id, (f"auth-type-{auth_type_id}",))[0]


PROFILE = Profile("vpn", RECORD_TYPES, head() + (
    key("action", lookup(VPN_RECORDS, "recordType", column=0, type_=TEXT,
                         doc="started or ended")),
    key("signature", lookup(VPN_RECORDS, "recordType", column=1, type_=TEXT,
                            doc="VPN session login or logoff")),
    key("user", text(user("username"))),
    key("dest_ip", formula("{0} or {1}", ip(user("ipv4Address")), ip(user("ipv6Address")),
                           type_=TEXT)),
    # zero on some FMCs: then left out, so Network_Sessions' dest_mac is empty there
    key("dest_mac", mac("macAddress")),
    let("_session", call(first, user("vpnSession"))),
    key("src_ip", call(vpn_client_ip, "$_session.clientIP", type_=TEXT)),
    key("ip_version", ip_version("$dest_ip", "$src_ip")),
    key("duration", "$_session.connectionDuration", omit=FALSY),
    key("vpn_type", lookup(VPN_TYPES, "$_session.vpnType", type_=TEXT, doc="the VPN type's name")),
    key("vpn_group_policy", text("$_session.groupPolicy")),
    key("vpn_connection_profile", text("$_session.vpnConnectionProfile")),
    key("client_os", text("$_session.clientOS")),
    key("client_app", text("$_session.clientApplication")),
    key("src_country", label("country", "geolocations", "$_session.countryCode")),
    key("vpn_bytes_out", "$_session.bytesTransmitted", omit=FALSY),
    key("vpn_bytes_in", "$_session.bytesReceived", omit=FALSY),
    key("auth_type", call(auth_type, user("authType"), type_=TEXT)),
) + constants(), time=call(user_event_time, "eventSecond", "eventMicrosecond", user("timestamp"),
                           "?archiveTimestamp", type_=FLOAT))

FIELDS = PROFILE.keys
