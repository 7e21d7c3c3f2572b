"""User records (92–95) → Authentication and VPN records (170/171) → Network_Sessions
(docs/event-fields.md: identity, vpn)."""
import pytest

from cim.fixtures import DEVICE, T0, client_ip, decode, mapper, user_login, vpn
from estreamer.events import FIELDS
from estreamer.events.common import vpn_client_ip


def login(record_type=95, archive=T0 + 501, **user):
    return mapper().map(decode(record_type, user_login(**user), archive))


def test_a_passive_identity_login_in_full():
    mapped = login()
    assert (mapped.time, mapped.sourcetype) == (T0 + 500.000042,
                                                "cisco:firepower:estreamer:identity")
    assert mapped.event == {
        "rec_type": 95, "rec_type_desc": "User Login Change Event", "event_type": 1004,
        "event_subtype": 2, "device_id": 1, "dvc": "ftd-branch-1", "action": "success",
        "app": "cisco:firepower:passive_identity", "authentication_method": "passive",
        "auth_type_id": 1, "auth_type": "Passive Authentication, AD Agent, or ISE Session",
        "user": "alice", "user_id": 5, "src": "192.168.50.50", "src_mac": "00:50:56:ab:cd:ef",
        "ip_version": "ipv4", "dest": "corp.example.net", "domain": "corp.example.net",
        "realm": "CORP", "authentication_service": "ISE-1", "login_type": 1,
        "app_proto_id": 710, "app_proto": "LDAP", "email": "alice@corp.example.net",
        "security_group": "Employees",
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }
    assert list(mapped.event) == [name for name in FIELDS["identity"] if name in mapped.event]


@pytest.mark.parametrize("auth_type, action, app, method", [
    (2, "success", "cisco:firepower:captive_portal", "captive_portal"),
    (3, "success", "cisco:firepower:captive_portal", "guest"),
    (4, "failure", "cisco:firepower:captive_portal", "captive_portal"),
    (5, "success", "cisco:firepower:vpn", "vpn")])
def test_action_app_and_method_follow_the_auth_type(auth_type, action, app, method):
    e = login(authType=auth_type).event
    assert (e["action"], e["app"], e["authentication_method"]) == (action, app, method)


def test_a_login_without_authentication_has_no_cim_outcome():
    e = login(authType=0).event
    assert (e["auth_type_id"], e["auth_type"]) == (0, "No Authorization Required")
    assert not {"action", "app", "authentication_method"} & set(e)


def test_the_login_target_is_the_domain_else_the_realm_else_the_device():
    assert login(domain="").event["dest"] == "CORP"
    assert login(domain="", realmId=0).event["dest"] == "ftd-branch-1"


def test_the_ipv4_field_is_used_when_the_ipv6_field_is_zero():
    e = login(ipv6Address="::", ipv4Address="10.9.8.7").event
    assert (e["src"], e["ip_version"]) == ("10.9.8.7", "ipv4")


def test_time_falls_back_to_the_login_timestamp():
    values = user_login()
    values["eventSecond"] = values["eventMicrosecond"] = 0
    assert mapper().map(decode(95, values, T0 + 501)).time == float(T0 + 500)


def test_a_user_dropped_record_carries_the_users_details():
    values = {"deviceId": DEVICE, "eventSecond": T0, "eventType": 1004, "eventSubtype": 4,
              "user": {"userId": 5, "username": "alice", "protocol": 710, "firstName": "Alice",
                       "lastName": "Liddell", "email": "alice@corp.example.net",
                       "department": "Research", "phone": ""}}
    mapped = mapper().map(decode(92, values, T0))
    e = mapped.event
    assert mapped.sourcetype == "cisco:firepower:estreamer:identity"
    assert (e["user"], e["user_id"], e["first_name"], e["last_name"], e["department"]) == \
        ("alice", 5, "Alice", "Liddell", "Research")
    assert (e["dest"], e["app_proto"]) == ("ftd-branch-1", "LDAP")
    assert not {"phone", "auth_type_id", "action", "src"} & set(e)


# --- VPN -----------------------------------------------------------------------------------

def test_a_vpn_login_in_full():
    mapped = mapper().map(decode(170, vpn(), T0 + 601))
    assert (mapped.time, mapped.sourcetype) == (float(T0 + 600), "cisco:firepower:estreamer:vpn")
    assert mapped.event == {
        "rec_type": 170, "rec_type_desc": "New VPN Device Login", "event_type": 1004,
        "event_subtype": 1, "device_id": 1, "dvc": "ftd-branch-1", "action": "started",
        "signature": "VPN session login", "user": "bob", "dest_ip": "172.16.10.5",
        "dest_mac": "00:1c:42:00:00:08", "src_ip": "198.51.100.10", "ip_version": "ipv4",
        "vpn_type": "AnyConnect SSL", "vpn_group_policy": "DfltGrpPolicy",
        "vpn_connection_profile": "RA-VPN", "client_os": "Windows 10",
        "client_app": "AnyConnect 4.10", "src_country": "united states",
        "auth_type": "VPN Authorized Authentication",
        "vendor": "Cisco", "product": "Secure Firewall", "vendor_product": "Cisco Secure Firewall",
    }
    assert list(mapped.event) == [name for name in FIELDS["vpn"] if name in mapped.event]


def test_a_vpn_logoff_carries_duration_and_volumes():
    e = mapper().map(decode(171, vpn(171, session={
        "connectionDuration": 3600, "bytesTransmitted": 10, "bytesReceived": 20}))).event
    assert (e["action"], e["signature"]) == ("ended", "VPN session logoff")
    assert (e["duration"], e["vpn_bytes_out"], e["vpn_bytes_in"]) == (3600, 10, 20)


@pytest.mark.parametrize("client, address", [
    ("::c633:640a", "198.51.100.10"), ("::ffff:198.51.100.10", "198.51.100.10"),
    ("2001:db8::77", "2001:db8::77"), ("::", None)])
def test_the_client_public_address_is_ipv4_when_its_first_96_bits_are_zero(client, address):
    e = mapper().map(decode(170, vpn(session={"clientIP": client_ip(client)}))).event
    assert e.get("src_ip") == address


@pytest.mark.parametrize("client, address", [
    ("000000000000000000000000c6336407", "198.51.100.7"),
    ("00000000000000000000ffffc6336407", "198.51.100.7"),
    ("20010db8000000000000000000000077", "2001:db8::77"), ("0" * 32, None)])
def test_the_client_address_may_come_as_the_hex_of_its_16_bytes(client, address):
    assert vpn_client_ip(client) == address


def test_an_ipv6_assigned_address_is_used_when_there_is_no_ipv4_one():
    e = mapper().map(decode(170, vpn(ipv4Address="0.0.0.0", ipv6Address="2001:db8:1::5"))).event
    assert e["dest_ip"] == "2001:db8:1::5"


def test_a_zero_client_mac_is_omitted():
    values = vpn()
    values["macAddress"] = "00:00:00:00:00:00"
    assert "dest_mac" not in mapper().map(decode(170, values)).event


def test_a_vpn_record_without_sessions_still_maps():
    e = mapper().map(decode(170, vpn(vpnSession=[]))).event
    assert (e["action"], e["user"], e["dest_ip"]) == ("started", "bob", "172.16.10.5")
    assert not {"src_ip", "vpn_type", "duration"} & set(e)
