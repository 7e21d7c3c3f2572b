"""User (RUA) records 92–95 → CIM Authentication for logins with an auth type (design §2.6).

Records 92 (dropped), 93 (removed) and 94 (new user) and logins without authentication (auth
type 0) carry the same fields but get no CIM values from L9, so no CIM data model takes them.
"""
from __future__ import annotations

from .common import (CONSTANT_FIELDS, HEAD_FIELDS, constants, ip, ip_version, mac, ordered,
                     seconds, text)
from .tables import AUTH_TYPES

RECORD_TYPES = (92, 93, 94, 95)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event).
FREE_TEXT = ("description",)
FIELDS = HEAD_FIELDS + (
    "action", "app", "authentication_method", "auth_type_id", "auth_type", "user", "user_id",
    "src", "src_mac", "ip_version", "dest", "domain", "realm", "authentication_service",
    "login_type", "app_proto_id", "app_proto", "port", "start_port", "end_port", "email",
    "first_name", "last_name", "department", "phone", "security_group", "endpoint_profile_id",
) + CONSTANT_FIELDS + FREE_TEXT


def event_time(r):
    if r["eventSecond"]:
        return seconds(r["eventSecond"], r["eventMicrosecond"])
    return float(r["user"].get("timestamp") or r.get("archiveTimestamp") or 0)


def map_record(r, ctx):
    e = {}
    ctx.head(r, e)
    u = r["user"]
    auth_type_id = u.get("authType")
    if auth_type_id is not None:
        label, action, app, method = AUTH_TYPES.get(
            auth_type_id, (f"auth-type-{auth_type_id}", "", "", ""))
        e["auth_type_id"], e["auth_type"] = auth_type_id, label
        e["action"], e["app"], e["authentication_method"] = action or None, app or None, \
            method or None
    e["user"] = text(u.get("username"))
    e["user_id"] = u.get("userId") or None
    e["src"] = ip(u.get("ipv6Address")) or ip(u.get("ipv4Address"))
    e["src_mac"] = mac(r["macAddress"])
    e["ip_version"] = ip_version(e["src"])
    e["domain"] = text(u.get("domain"))
    e["realm"] = ctx.label_of("realm", "realms", u.get("realmId"))
    # The identity realm is what the user authenticated against.
    e["dest"] = e["domain"] or e["realm"] or e["dvc"]
    e["authentication_service"] = text(u.get("reportedBy"))
    e["login_type"] = u.get("loginType") or None
    protocol = u.get("protocol")
    if protocol:
        e["app_proto_id"] = protocol
        e["app_proto"] = ctx.label_of("application", "appProtocols", protocol)
    e["port"] = u.get("port") or None
    e["start_port"] = u.get("startPort") or None
    e["end_port"] = u.get("endPort") or None
    e["email"] = text(u.get("email"))
    e["first_name"] = text(u.get("firstName"))
    e["last_name"] = text(u.get("lastName"))
    e["department"] = text(u.get("department"))
    e["phone"] = text(u.get("phone"))
    e["security_group"] = ctx.label_of("security-group", "securityGroups",
                                       u.get("securityGroupId"))
    e["endpoint_profile_id"] = u.get("endpointProfileId") or None
    e["description"] = text(u.get("description"))
    constants(e)
    return event_time(r), ordered(FIELDS, e)
