"""Golden events for the real FMC capture (December 2020): every connection record of bundles
1, 2 and 4, decoded in order with one metadata cache, against what eNcore printed for the same
records (expected-encore-splunk.log: one line per record, in record order)."""
import re
import statistics

import pytest

from cim.capture import CAPTURE, capture_events
from estreamer.events import event_json

FMC = "fmc-2020.example.net"
_KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
# eNcore's renderings of "nothing": our events omit those keys.
ENCORE_NOTHING = {"", "0", "Unknown", "unknown", "N/A", "No Authentication Required"}
# eNcore key → our key, for the fields both print for a connection.
SAME_FIELD = {
    "src_ip": "src_ip", "dest_ip": "dest_ip", "src_port": "src_port", "dest_port": "dest_port",
    "src_bytes": "bytes_out", "dest_bytes": "bytes_in", "src_pkts": "packets_out",
    "dest_pkts": "packets_in", "first_pkt_sec": "first_packet_time",
    "last_pkt_sec": "last_packet_time", "ip_proto": "ip_proto", "app_proto": "app_proto",
    "client_app": "client_app", "web_app": "web_app", "fw_rule": "rule", "fw_policy": "policy",
    "fw_rule_action": "rule_action", "sec_zone_ingress": "src_zone",
    "sec_zone_egress": "dest_zone", "iface_ingress": "src_interface",
    "iface_egress": "dest_interface", "sensor": "dvc", "url": "url",
    "referenced_host": "url_domain", "user_agent": "http_user_agent",
    "http_referrer": "http_referrer", "dns_query": "dns_query", "dns_ttl": "dns_ttl",
    "dns_record_name": "dns_record_type", "dest_ip_country": "dest_country",
    "src_ip_country": "src_country", "url_category": "url_category",
    "url_reputation": "url_reputation", "user": "user", "vlan_id": "vlan",
    "instance_id": "instance_id", "connection_id": "connection_counter",
    "client_version": "client_app_version",
    "http_response": "http_response", "tcp_flags": "tcp_flag", "ips_count":
        "intrusion_event_count", "file_count": "file_event_count", "num_ioc": "ioc_id",
}
NETWORK_TRAFFIC_REQUIRED = ("action", "app", "dest", "dvc", "src", "transport", "vendor_product",
                            "protocol", "src_port", "dest_port", "bytes", "bytes_in",
                            "bytes_out", "packets", "packets_in", "packets_out",
                            "protocol_version", "src_ip", "dest_ip")


def encore_fields(line: str) -> dict:
    return {key: value[1:-1] if value.startswith('"') else value
            for key, value in _KV.findall(line)}


@pytest.fixture(scope="module")
def capture():
    """``[(record, event or None, eNcore fields)]`` for every record, in wire order."""
    out = capture_events(FMC)
    lines = (CAPTURE / "expected-encore-splunk.log").read_text(encoding="utf-8").splitlines()
    assert len(out) == len(lines) == 54
    return [(record, event, encore_fields(line)) for (record, event), line in zip(out, lines)]


@pytest.fixture(scope="module")
def connections(capture):
    return [(event, encore) for record, event, encore in capture if record["recordType"] == 71]


def test_only_the_connection_records_become_events(capture, connections):
    assert len(connections) == 24
    assert all(event is None for record, event, _ in capture if record["recordType"] != 71)
    assert all(event.sourcetype == "cisco:firepower:estreamer:connection"
               for event, _ in connections)


COMMON = {"rec_type": 71, "rec_type_desc": "Connection Statistics", "event_type": 1003,
          "event_subtype": 1, "device_id": 1, "dvc": "10.101.101.161"}
ALLOW_ALL = {"action": "allowed", "rule_action_id": 2, "rule_action": "Allow",
             "rule_id": 268434433, "rule": "allow-all", "policy": "basic-ac",
             # the network analysis policy: metadata 700 names the revision the record carries
             "nap_policy": "Balanced Security and Connectivity", "src_zone": "inside",
             "dest_zone": "outside", "src_interface": "inside",
             "dest_interface": "outisde"}
CONSTANTS = {"vendor": "Cisco", "product": "Secure Firewall",
             "vendor_product": "Cisco Secure Firewall"}


def test_the_first_connection_in_full(connections):
    event, _ = connections[0]
    assert (event.time, event.host) == (1606923236.0, FMC)
    assert event.event == {
        **COMMON,
        "src": "192.168.50.50", "src_ip": "192.168.50.50", "src_port": 59265,
        "dest": "52.114.128.70", "dest_ip": "52.114.128.70", "dest_port": 443,
        "protocol_version": "ipv4", "protocol_id": 6, "ip_proto": "TCP", "transport": "tcp",
        "protocol": "ip", **ALLOW_ALL,
        "bytes": 6179, "bytes_out": 1687, "bytes_in": 4492,
        "packets": 18, "packets_out": 10, "packets_in": 8,
        "first_packet_time": 1606923236, "last_packet_time": 1606923301, "duration": 65,
        "connection_id": "1:3:98:1606923236", "session_id": "1:3:98:1606923236",
        "instance_id": 3, "connection_counter": 98, "app": "https", "app_proto_id": 1122,
        "app_proto": "HTTPS", "client_app": "SSL client",
        "web_app": "Microsoft", "user_id": 9999997,
        "url": "https://v10.vortex-win.data.microsoft.com", "dest_country": "united states",
        **CONSTANTS,
    }


def test_the_second_connection_in_full(connections):
    event, _ = connections[1]
    assert event.time == 1606923296.0
    assert event.event == {
        **COMMON,
        "src": "192.168.50.50", "src_ip": "192.168.50.50", "src_port": 59266,
        "dest": "72.21.81.240", "dest_ip": "72.21.81.240", "dest_port": 80,
        "protocol_version": "ipv4", "protocol_id": 6, "ip_proto": "TCP", "transport": "tcp",
        "protocol": "ip", **ALLOW_ALL,
        "bytes": 1109, "bytes_out": 562, "bytes_in": 547,
        "packets": 9, "packets_out": 5, "packets_in": 4,
        "first_packet_time": 1606923296, "last_packet_time": 1606923357, "duration": 61,
        "connection_id": "1:19:102:1606923296", "session_id": "1:19:102:1606923296",
        "instance_id": 19, "connection_counter": 102, "app": "http", "app_proto_id": 676,
        "app_proto": "HTTP",
        "client_app": "Microsoft CryptoAPI", "client_app_version": "10.0",
        "web_app": "Microsoft Update", "user_id": 9999997,
        "url": "http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/"
               "authrootstl.cab?04c7a2831bdad503",
        "url_domain": "ctldl.windowsupdate.com", "http_user_agent": "Microsoft-CryptoAPI/10.0",
        "dest_country": "united states",
        **CONSTANTS,
    }


def test_every_connection_agrees_with_encore(connections):
    compared = 0
    for event, encore in connections:
        e = event.event
        for encore_key, ours in SAME_FIELD.items():
            theirs = encore.get(encore_key)
            if theirs is None or theirs in ENCORE_NOTHING:
                assert ours not in e, (encore_key, theirs, e.get(ours))
            else:
                assert str(e.get(ours)) == theirs, (encore_key, theirs, e.get(ours))
                compared += 1
        assert e["connection_id"] == (f"1:{encore['instance_id']}:{encore['connection_id']}:"
                                      f"{encore['first_pkt_sec']}")
    assert compared > 24 * 20


def test_every_connection_is_timed_by_its_first_packet(connections):
    # eNcore stamps these records with the archive time (their header event time is 0).
    for event, encore in connections:
        assert event.time == float(encore["first_pkt_sec"])
        assert int(encore["event_sec"]) >= int(encore["last_pkt_sec"])


def test_every_connection_has_the_network_traffic_fields(connections):
    for event, _ in connections:
        missing = [name for name in NETWORK_TRAFFIC_REQUIRED if name not in event.event]
        assert not missing, missing
        e = event.event
        assert e["bytes"] == e["bytes_in"] + e["bytes_out"] > 0
        assert e["app"] in {"https", "http", "dns"}


def test_events_are_smaller_than_encores_lines(connections):
    """Licence volume (issue 4 item 6): what Splunk indexes per connection, ours vs eNcore."""
    ours = statistics.mean(len(event_json(event.event).encode()) for event, _ in connections)
    lines = (CAPTURE / "expected-encore-splunk.log").read_text(encoding="utf-8").splitlines()
    theirs = statistics.mean(len(line.encode()) for line in lines if line.startswith("rec_type=71"))
    print(f"\nconnection events of the capture: ours {ours:.0f} B/event, "
          f"eNcore {theirs:.0f} B/line ({ours / theirs:.0%})")
    assert ours < theirs * 0.6
