"""Remote-access VPN login/logoff (records 170/171) → CIM Network_Sessions, VPN (design §2.7).

The session is seen from the network: ``dest_ip``/``dest_mac`` are the address the VPN gave the
client and the client's MAC, ``src_ip`` the client's public address.
"""
from __future__ import annotations

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, constants, ip, ip_version, mac, ordered,
                     seconds, text, vpn_client_ip)
from .tables import AUTH_TYPES, VPN_RECORDS, VPN_TYPES

RECORD_TYPES = (170, 171)
FREE_TEXT = ()  # every VPN field is bounded
FIELDS = HEAD_FIELDS + (
    "action", "signature", "user", "dest_ip", "dest_mac", "src_ip", "ip_version", "duration",
    "vpn_type", "vpn_group_policy", "vpn_connection_profile", "client_os", "client_app",
    "src_country", "vpn_bytes_out", "vpn_bytes_in", "auth_type",
) + CONSTANT_FIELDS + FREE_TEXT


def _block(r):
    return r.get("userLogin") or r.get("userLogoff") or {}


def event_time(r):
    if r["eventSecond"]:
        return seconds(r["eventSecond"], r["eventMicrosecond"])
    return float(_block(r).get("timestamp") or r.get("archiveTimestamp") or 0)


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    e["action"], e["signature"] = VPN_RECORDS[r["recordType"]]
    u = _block(r)
    e["user"] = text(u.get("username"))
    e["dest_ip"] = ip(u.get("ipv4Address")) or ip(u.get("ipv6Address"))
    e["dest_mac"] = mac(r["macAddress"])  # zero on some FMCs: a known CIM gap (design §4.4)
    sessions = u.get("vpnSession") or ()
    session = sessions[0] if sessions else {}
    e["src_ip"] = vpn_client_ip(session.get("clientIP"))
    e["ip_version"] = ip_version(e["dest_ip"], e["src_ip"])
    e["duration"] = session.get("connectionDuration") or None
    e["vpn_type"] = VPN_TYPES.get(session.get("vpnType"))
    e["vpn_group_policy"] = text(session.get("groupPolicy"))
    e["vpn_connection_profile"] = text(session.get("vpnConnectionProfile"))
    e["client_os"] = text(session.get("clientOS"))
    e["client_app"] = text(session.get("clientApplication"))
    e["src_country"] = ctx.country(session.get("countryCode"))
    e["vpn_bytes_out"] = session.get("bytesTransmitted") or None
    e["vpn_bytes_in"] = session.get("bytesReceived") or None
    auth_type = u.get("authType")
    if auth_type:
        e["auth_type"] = AUTH_TYPES.get(auth_type, (f"auth-type-{auth_type}",))[0]
    constants(e)
    return event_time(r), ordered(FIELDS, e)
