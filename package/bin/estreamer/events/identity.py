"""User (RUA) records 92–95 → CIM Authentication for logins with an auth type, as a table.

Records 92 (dropped), 93 (removed) and 94 (new user) and logins without authentication (auth
type 0) carry the same fields but get no CIM values from the auth type table, so no CIM data
model takes them.
"""
from __future__ import annotations

from .common import user_event_time
from .profile import FALSY, FLOAT, TEXT, Profile, call, const, formula, key, label, let
from .rows import constants, head, ip_version
from .tables import AUTH_TYPES
from .values import ip, mac, text

RECORD_TYPES = (92, 93, 94, 95)
# Unbounded texts last (Splunk extracts only the first 5,000 bytes of an event).
FREE_TEXT = ("description",)


def auth_type(auth_type_id):
    """The auth type's row of the auth type table (None without an auth type)"""
    if auth_type_id is None:
        return None
    return AUTH_TYPES.get(auth_type_id, (f"auth-type-{auth_type_id}", "", "", ""))


def column(row, position):
    """A column of a lookup row, None where it is empty"""
    return (row[position] or None) if row is not None else None


PROFILE = Profile("identity", RECORD_TYPES, head() + (
    let("_auth", call(auth_type, "user.authType")),
    key("action", call(column, "$_auth", const(1), type_=TEXT)),
    key("app", call(column, "$_auth", const(2), type_=TEXT)),
    key("authentication_method", call(column, "$_auth", const(3), type_=TEXT)),
    key("auth_type_id", "user.authType"),
    key("auth_type", call(column, "$_auth", const(0), type_=TEXT)),
    key("user", text("user.username")),
    key("user_id", "user.userId", omit=FALSY),
    let("_src", formula("{0} or {1}", ip("user.ipv6Address"), ip("user.ipv4Address"),
                        type_=TEXT)),
    key("src", "$_src"),
    key("src_mac", mac("macAddress")),
    key("ip_version", ip_version("$_src")),
    let("_domain", text("user.domain")),
    let("_realm", label("realm", "realms", "user.realmId")),
    # The identity realm is what the user authenticated against.
    key("dest", formula("{0} or {1} or {2}", "$_domain", "$_realm", "$dvc", type_=TEXT)),
    key("domain", "$_domain"),
    key("realm", "$_realm"),
    key("authentication_service", text("user.reportedBy")),
    key("login_type", "user.loginType", omit=FALSY),
    key("app_proto_id", "user.protocol", omit=FALSY),
    key("app_proto", label("application", "appProtocols", "user.protocol"),
        when="user.protocol"),
    key("port", "user.port", omit=FALSY),
    key("start_port", "user.startPort", omit=FALSY),
    key("end_port", "user.endPort", omit=FALSY),
    key("email", text("user.email")),
    key("first_name", text("user.firstName")),
    key("last_name", text("user.lastName")),
    key("department", text("user.department")),
    key("phone", text("user.phone")),
    key("security_group", label("security-group", "securityGroups", "user.securityGroupId")),
    key("endpoint_profile_id", "user.endpointProfileId", omit=FALSY),
) + constants() + (
    key("description", text("user.description")),
), time=call(user_event_time, "eventSecond", "eventMicrosecond", "user.timestamp",
             "?archiveTimestamp", type_=FLOAT))

FIELDS = PROFILE.keys
