"""Knowledge objects in package/default: props, transforms, eventtypes, tags, macros, saved searches, nav.

The expectations: one sourcetype per record family, CIM values computed at ingest (so props.conf
parses JSON, finds the time and, at search time, only adds names: no search-time CIM chain; the one
search-time layer by design is the ESCU compatibility layer of Cisco Security Cloud's names, held to
its rules in test_escu_compat.py), the ten lookup tables for ad-hoc use, one event type per family's
CIM data model with its tags plus the Security Intelligence event type, and alerts that ship disabled.
Line breaking, timestamp extraction and index-time transforms are replayed on events the family
mappers make from the real FMC capture.
"""
import csv
import datetime
import functools
import json
import pathlib
import re

import pytest

from conftest import VECTORS
from searchtime import Search, SearchError, SearchHead, indexed, read_conf, render
from searchtime.extraction import pcre
from searchtime.indexing import extract_time, index_time, source_pattern, split_events
from searchtime.knowledge import parse_aliases

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT = REPO / "package" / "default"
LOOKUPS = REPO / "package" / "lookups"
VIEWS = DEFAULT / "data" / "ui" / "views"

PREFIX = "cisco:firepower:estreamer:"
DATA_FAMILIES = (
    "connection", "intrusion", "intrusion_extra", "file", "malware", "correlation", "identity", "vpn",
    "discovery", "metadata",
)
JSON_SOURCETYPES = tuple(PREFIX + family for family in DATA_FAMILIES + ("health",))
LOG_SOURCETYPE = PREFIX + "log"

# Lookup file -> its key column(s) (estreamer.events.tables).
LOOKUP_KEYS = {
    "cisco_firepower_ip_protocols.csv": ("protocol_id",),
    "cisco_firepower_ac_rule_actions.csv": ("rule_action",),
    "cisco_firepower_ids_inline_results.csv": ("blocked_id",),
    "cisco_firepower_ids_severity.csv": ("priority_id", "impact"),
    "cisco_firepower_correlation_priority.csv": ("priority",),
    "cisco_firepower_file_actions.csv": ("file_action_id",),
    "cisco_firepower_file_dispositions.csv": ("disposition_id",),
    "cisco_firepower_malware_event_types.csv": ("malware_event_type_id",),
    "cisco_firepower_identity_auth_types.csv": ("auth_type_id",),
    "cisco_firepower_vpn_records.csv": ("rec_type",),
    # the ESCU compatibility layer's (README: Cisco Security Cloud's field names)
    "cisco_firepower_escu_inline_results.csv": ("blocked_id",),
    "cisco_firepower_escu_impacts.csv": ("impact",),
    "cisco_firepower_file_types.csv": ("file_type",),
}
NAME_KEYED_LOOKUPS = {"cisco_firepower_ac_rule_actions.csv", "cisco_firepower_file_types.csv"}
# The sourcetypes of the ESCU compatibility layer (Cisco Security Cloud's field names).
ESCU_SOURCETYPES = tuple(PREFIX + family for family in ("connection", "intrusion", "file",
                                                        "malware"))

# Each event type's search and exact tags (one per family's CIM data model, plus the Security
# Intelligence event type).
MALWARE_THREAT_TYPES = "1, 2, 553648143, 553648145, 553648155, 553648168, 1090519054, 2164260880, 2164260893"
EVENTTYPES = {
    "cisco_firepower_connection": (
        'sourcetype="cisco:firepower:estreamer:connection" rec_type=71', {"network", "communicate"}),
    "cisco_firepower_security_intelligence": (
        'sourcetype="cisco:firepower:estreamer:connection" rec_type=71 si_event=1',
        {"security_intelligence"}),
    "cisco_firepower_intrusion": (
        'sourcetype="cisco:firepower:estreamer:intrusion" rec_type=400', {"ids", "attack"}),
    "cisco_firepower_file_malware": (
        'sourcetype="cisco:firepower:estreamer:file" rec_type=502', {"malware", "attack"}),
    "cisco_firepower_malware": (
        'sourcetype="cisco:firepower:estreamer:malware" rec_type=125 '
        "malware_event_type_id IN ({})".format(MALWARE_THREAT_TYPES), {"malware", "attack"}),
    "cisco_firepower_correlation": (
        'sourcetype="cisco:firepower:estreamer:correlation" rec_type=112', {"alert"}),
    "cisco_firepower_authentication": (
        'sourcetype="cisco:firepower:estreamer:identity" rec_type=95 auth_type_id IN (1, 2, 3, 4, 5)',
        {"authentication"}),
    "cisco_firepower_vpn_start": (
        'sourcetype="cisco:firepower:estreamer:vpn" rec_type=170', {"network", "session", "vpn", "start"}),
    "cisco_firepower_vpn_end": (
        'sourcetype="cisco:firepower:estreamer:vpn" rec_type=171', {"network", "session", "vpn", "end"}),
}
EXPECTED_DATA_MODEL = {
    "cisco_firepower_connection": "Network_Traffic",
    "cisco_firepower_security_intelligence": None,
    "cisco_firepower_intrusion": "Intrusion_Detection",
    "cisco_firepower_file_malware": "Malware",
    "cisco_firepower_malware": "Malware",
    "cisco_firepower_correlation": "Alerts",
    "cisco_firepower_authentication": "Authentication",
    "cisco_firepower_vpn_start": "Network_Sessions",
    "cisco_firepower_vpn_end": "Network_Sessions",
}
# CIM data model -> tag groups; a group that is a subset of an event's tags maps it to the model
# (the hard-coded list of pytest-splunk-addon's "one data model per eventtype" test).
DATA_MODEL_TAGS = {
    "Alerts": [{"alert"}],
    "Authentication": [{"authentication"}],
    "Certificates": [{"certificate"}],
    "Change": [{"change"}],
    "Compute_Inventory": [{"inventory"}],
    "DLP": [{"dlp", "incident"}],
    "Data_Access": [{"data", "access"}],
    "Databases": [{"database"}],
    "Email": [{"email"}],
    "Endpoint": [{"listening", "port"}, {"process", "report"}, {"service", "report"},
                 {"endpoint", "filesystem"}, {"endpoint", "registry"}],
    "Event_Signatures": [{"track_event_signatures"}],
    "Interprocess_Messaging": [{"messaging"}],
    "Intrusion_Detection": [{"ids", "attack"}],
    "JVM": [{"jvm"}],
    "Malware": [{"malware", "attack"}, {"malware", "operations"}],
    "Network_Resolution": [{"network", "resolution", "dns"}],
    "Network_Sessions": [{"network", "session"}],
    "Network_Traffic": [{"network", "communicate"}],
    "Performance": [{"performance"}],
    "Ticket_Management": [{"ticketing"}],
    "Updates": [{"update", "status"}, {"update", "error"}],
    "Vulnerabilities": [{"report", "vulnerability"}],
    "Web": [{"web"}, {"proxy"}],
}
# CIM CommonFields.json "not allowed" names (asset and identity context ES adds) and `tag`.
NOT_ALLOWED_FIELDS = set(
    "dest_bunit dest_category dest_priority dvc_bunit dvc_category dvc_priority src_bunit src_category "
    "src_priority src_user_bunit src_user_category src_user_priority user_bunit user_category "
    "user_priority tag".split()
)
ALERTS = (
    "Firepower eStreamer - FMC silent",
    "Firepower eStreamer - Managed device silent",
    "Firepower eStreamer - Ingest lag",
    "Firepower eStreamer - Parse errors or unknown record types rising",
    "Firepower eStreamer - Client certificate expiring",
    "Firepower eStreamer - Failover",
)


@functools.lru_cache(maxsize=None)
def mapped_capture():
    """The real FMC capture (../shared/vectors) decoded and mapped by the family mappers, as the
    modular input would: metadata records teach the cache, every other record becomes an Event."""
    from estreamer import wire
    from estreamer.decoder import RecordDecoder
    from estreamer.events import EventMapper
    from estreamer.metadata import MetadataCache

    decoder, cache = RecordDecoder(), MetadataCache(10000)
    mapper = EventMapper(cache, host="fmc-1.example.net")
    events = []
    for path in sorted((VECTORS / "fmc-capture-2020").glob("bundle-*.bin")):
        bundles = [m for m in wire.FrameParser().feed(path.read_bytes())
                   if m.type == wire.MessageType.MESSAGE_BUNDLE]
        for message in bundles:
            for body in wire.split_bundle(message.body).bodies:
                record = decoder.decode(body)
                cache.learn(record)
                event = mapper.map(record)
                if event is not None:
                    events.append(event)
    assert events, "the capture yielded no events"
    return tuple(events)


def conf(name):
    return read_conf(DEFAULT / (name + ".conf"))


def eventtype_terms(search):
    """The restricted eventtype grammar: a plain AND of ``field=value`` and
    ``field IN (…)`` terms, read by the search-time model → {field: set of values}."""
    conjunction = Search(search).conjunction
    assert conjunction is not None, "not a plain conjunction: {!r}".format(search)
    terms = {}
    for field, operator, values in conjunction:
        assert operator == "=", "{}{} is not an equality".format(field, operator)
        assert field not in terms, "field {} constrained twice".format(field)
        terms[field] = set(values)
    return terms


def data_models(tags):
    return {model for model, groups in DATA_MODEL_TAGS.items() if any(group <= set(tags) for group in groups)}


# --- props.conf --------------------------------------------------------------------------------

def test_props_has_a_stanza_per_family_plus_health_and_log_and_nothing_else():
    sourcetypes = {name for name in conf("props") if not name.startswith("source::")}
    assert sourcetypes == set(JSON_SOURCETYPES) | {LOG_SOURCETYPE}


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES)
def test_json_sourcetype_parses_json_at_search_time_only(sourcetype):
    stanza = conf("props")[sourcetype]
    assert stanza["KV_MODE"] == "json"
    assert "INDEXED_EXTRACTIONS" not in stanza  # with KV_MODE = json every field would be extracted twice


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES + (LOG_SOURCETYPE,))
def test_sourcetype_never_merges_lines_and_keeps_the_largest_events(sourcetype):
    stanza = conf("props")[sourcetype]
    assert stanza["SHOULD_LINEMERGE"] == "false"
    assert pcre(stanza["LINE_BREAKER"]).groups >= 1  # Splunk discards the first capture group
    assert int(stanza["TRUNCATE"]) >= 100000  # intrusion packets carry up to 64 KiB of payload as hex


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES + (LOG_SOURCETYPE,))
def test_sourcetype_has_explicit_time_settings(sourcetype):
    stanza = conf("props")[sourcetype]
    for key in ("TIME_PREFIX", "TIME_FORMAT", "MAX_TIMESTAMP_LOOKAHEAD"):
        assert stanza.get(key), "{} lacks {}".format(sourcetype, key)
    pcre(stanza["TIME_PREFIX"])


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES + (LOG_SOURCETYPE,))
def test_sourcetype_is_described_for_the_ui(sourcetype):
    stanza = conf("props")[sourcetype]
    assert stanza.get("category") and stanza.get("description")
    assert stanza.get("pulldown_type") in ("true", "false")


def test_command_line_event_lines_index_as_the_input_writes_them():
    from estreamer.events import event_json

    props, transforms = conf("props"), conf("transforms")
    for event in mapped_capture():
        line = event_json(event.as_line())
        indexed = index_time(props[PREFIX + "connection"], transforms, line, "forwarder",
                             PREFIX + "connection")
        assert indexed == {"_raw": event_json(event.event), "host": event.host,
                           "sourcetype": event.sourcetype,
                           "_time": pytest.approx(event.time, abs=1e-6)}


@pytest.mark.parametrize("family", DATA_FAMILIES)
def test_command_line_event_line_goes_to_its_family_whatever_the_monitor_sourcetype(family):
    from estreamer.events import Event, event_json

    props, transforms = conf("props"), conf("transforms")
    inner = {"rec_type": 1, "note": 'quote " and brace } inside', "url": "http://x/?a={b}"}
    event = Event(1700000000.25, PREFIX + family, "fmc-east.example.net", inner)
    for line in (event_json(event.as_line()), json.dumps(event.as_line())):  # compact or not
        indexed = index_time(props[PREFIX + "metadata"], transforms, line, "forwarder", PREFIX + "metadata")
        assert json.loads(indexed["_raw"]) == inner
        assert indexed["sourcetype"] == PREFIX + family
        assert indexed["host"] == "fmc-east.example.net"
        assert indexed["_time"] == pytest.approx(1700000000.25)


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES)
def test_events_from_the_input_pass_index_time_unchanged(sourcetype):
    from estreamer.events import event_json

    props, transforms = conf("props"), conf("transforms")
    for event in mapped_capture():
        raw = event_json(event.event)
        indexed = index_time(props[sourcetype], transforms, raw, event.host, sourcetype)
        # no timestamp read from the event's content: the input's own time stands
        assert indexed == {"_raw": raw, "host": event.host, "sourcetype": sourcetype, "_time": None}


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES)
def test_json_sourcetype_runs_the_command_line_transforms_in_order(sourcetype):
    stanza = conf("props")[sourcetype]
    assert [n.strip() for n in stanza["TRANSFORMS-command_line_events"].split(",")] == [
        "cisco_firepower_line_host", "cisco_firepower_line_sourcetype", "cisco_firepower_line_event"]


def test_mapped_events_use_the_sourcetypes_of_props():
    from estreamer.events import SOURCETYPES

    assert set(SOURCETYPES.values()) == {PREFIX + family for family in DATA_FAMILIES}
    assert {event.sourcetype for event in mapped_capture()} <= set(JSON_SOURCETYPES)


@pytest.mark.parametrize("sourcetype", JSON_SOURCETYPES)
def test_json_file_breaks_into_one_event_per_line(sourcetype):
    stanza = conf("props")[sourcetype]
    lines = [json.dumps({"time": 1583222411.5 + n, "n": n, "note": "a | b"}) for n in range(3)]
    assert split_events(stanza, "\n".join(lines) + "\r\n") == lines


def test_log_sourcetype_keeps_a_traceback_inside_its_event():
    stanza = conf("props")[LOG_SOURCETYPE]
    first = ("2024-03-01 12:00:00,123 log_level=ERROR pid=42 tid=MainThread file=input.py:run:80 | "
             "lost the FMC session\nTraceback (most recent call last):\n  File \"input.py\", line 80\n"
             "ConnectionResetError: [Errno 104] Connection reset by peer")
    second = "2024-03-01 12:00:05,001 log_level=INFO pid=42 tid=MainThread file=input.py:run:60 | connected"
    events = split_events(stanza, first + "\n" + second + "\n")
    assert events == [first, second]
    assert extract_time(stanza, first) == datetime.datetime(2024, 3, 1, 12, 0, 0, 123000)
    message = pcre(stanza["EXTRACT-message"]).search(first).group("message")
    assert message.startswith("lost the FMC session\nTraceback") and message.endswith("by peer")


def test_input_log_files_get_the_log_sourcetype():
    stanzas = {name: st for name, st in conf("props").items() if name.startswith("source::")}
    assert [st["sourcetype"] for st in stanzas.values()] == [LOG_SOURCETYPE]
    pattern = source_pattern(next(iter(stanzas)))
    for path in ("/opt/splunk/var/log/splunk/ta_firepower_estreamer_firepower_estreamer.log",
                 "/opt/splunk/var/log/splunk/ta_firepower_estreamer_firepower_estreamer.log.3"):
        assert pattern.match(path), path
    assert not pattern.match("/opt/splunk/var/log/splunk/splunkd.log")


def test_props_search_time_objects_only_add_names():
    # Every CIM field is computed at ingest: no search-time CIM chain. Search
    # time gives JSON arrays their plain names, the CIM convention "unknown" to Alerts' required
    # user, and, on the connection, intrusion, file and malware sourcetypes only, the ESCU
    # compatibility layer's names (classes escu_*; test_escu_compat.py holds them to their rules).
    for name, stanza in conf("props").items():
        for key, value in stanza.items():
            kind, _, kind_class = key.partition("-")
            where = "[{}] {}".format(name, key)
            if kind == "FIELDALIAS" and kind_class == "arrays":
                for source, target, mode in parse_aliases(value):
                    assert (source, mode) == (target + "{}", "AS"), where
            elif kind == "FIELDALIAS":
                assert kind_class.startswith("escu_") and name in ESCU_SOURCETYPES, where
            elif kind == "EVAL" and name == PREFIX + "correlation":
                assert (key, value) == ("EVAL-user", 'coalesce(user, "unknown")')
            elif kind == "EVAL":
                assert name in ESCU_SOURCETYPES, where
            elif kind == "LOOKUP":
                assert kind_class.startswith("escu_") and name in ESCU_SOURCETYPES, where
            else:
                assert kind != "REPORT", where


@functools.lru_cache(maxsize=None)
def searchable_events():
    """Events of every family (the design's scenarios and the simulator's stream) with the
    fields a search head gives them."""
    from cim.fixtures import scenario_events, simulator_events
    head = SearchHead()
    events = [event for _, _, event in scenario_events()] + [e for _, e in simulator_events()]
    return [(event, head.fields(indexed(event))) for event in events]


def test_every_json_array_is_searchable_under_its_plain_name():
    seen = set()
    for event, fields in searchable_events():
        for key, value in event.event.items():
            if isinstance(value, list):
                seen.add(key)
                expected = [render(item) for item in value]
                assert fields.get(key) == (expected[0] if len(expected) == 1 else expected), key
    assert {"rule_reason", "tcp_flag", "sec_intel_category", "sec_intel_list_id"} <= seen


def test_a_correlation_event_without_a_user_has_user_unknown_at_search_time():
    correlations = [(event, fields) for event, fields in searchable_events()
                    if event.sourcetype == PREFIX + "correlation"]
    without = [fields for event, fields in correlations if "user" not in event.event]
    assert len(without) > 10
    assert {fields.get("user") for fields in without} == {"unknown"}
    for event, fields in correlations:
        if "user" in event.event:
            assert fields["user"] == event.event["user"]


def test_props_never_produces_a_not_allowed_field():
    for name, stanza in conf("props").items():
        for key, value in stanza.items():
            produced = set(re.findall(r"\?<(\w+)>", value)) if key.startswith("EXTRACT-") else set()
            assert not produced & NOT_ALLOWED_FIELDS, "[{}] {}".format(name, key)


def test_sourcetype_names_are_the_design_namespace():
    for name in conf("props"):
        if not name.startswith("source::"):
            assert re.match(r"^cisco:firepower:estreamer:[a-z_]+$", name), name


# --- transforms.conf and lookups ---------------------------------------------------------------

def lookup_stanzas():
    return {name: stanza for name, stanza in conf("transforms").items() if "filename" in stanza}


def test_transforms_defines_each_design_lookup_under_its_file_name():
    lookups = lookup_stanzas()
    assert {stanza["filename"] for stanza in lookups.values()} == set(LOOKUP_KEYS)
    for name, stanza in lookups.items():
        assert stanza["filename"] == name + ".csv"


def test_transforms_has_only_lookups_and_the_command_line_transforms():
    others = set(conf("transforms")) - set(lookup_stanzas())
    assert others == {"cisco_firepower_line_host", "cisco_firepower_line_sourcetype",
                      "cisco_firepower_line_event"}


def test_name_keyed_lookup_matches_without_case_and_id_keyed_ones_exactly():
    for name, stanza in lookup_stanzas().items():
        expected = "false" if stanza["filename"] in NAME_KEYED_LOOKUPS else "true"
        assert stanza.get("case_sensitive_match", "true") == expected, name


@pytest.mark.parametrize("filename", sorted(LOOKUP_KEYS))
def test_lookup_definition_points_at_a_shipped_csv_keyed_as_designed(filename):
    if not LOOKUPS.is_dir():
        pytest.skip("package/lookups/ does not exist yet: the lookup CSVs are written with the "
                    "family mappers")
    path = LOOKUPS / filename
    assert path.is_file(), "transforms.conf names {} but package/lookups/ lacks it".format(filename)
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert tuple(header[:len(LOOKUP_KEYS[filename])]) == LOOKUP_KEYS[filename]


# --- eventtypes.conf and tags.conf -------------------------------------------------------------

def test_eventtypes_are_exactly_the_designed_ones():
    eventtypes = conf("eventtypes")
    assert set(eventtypes) == set(EVENTTYPES)
    for name, (search, _) in EVENTTYPES.items():
        assert " ".join(eventtypes[name]["search"].split()) == search, name


@pytest.mark.parametrize("name", sorted(EVENTTYPES))
def test_eventtype_search_is_a_plain_conjunction_on_a_family_sourcetype(name):
    search = conf("eventtypes")[name]["search"]
    assert search.startswith("sourcetype=")
    terms = eventtype_terms(search)
    assert "index" not in terms and "|" not in search
    (sourcetype,) = terms["sourcetype"]
    assert sourcetype in conf("props")
    assert "rec_type" in terms


def test_tags_are_exactly_the_designed_ones_and_all_enabled():
    tags = conf("tags")
    assert set(tags) == {"eventtype=" + name for name in EVENTTYPES}
    for name, (_, expected) in EVENTTYPES.items():
        stanza = tags["eventtype=" + name]
        assert set(stanza) == expected, name
        assert set(stanza.values()) == {"enabled"}, name  # pytest-splunk-addon counts disabled tags too


@pytest.mark.parametrize("name", sorted(EVENTTYPES))
def test_each_eventtype_maps_to_its_designed_data_model(name):
    expected = EXPECTED_DATA_MODEL[name]
    assert data_models(conf("tags")["eventtype=" + name]) == ({expected} if expected else set())


def test_no_event_can_be_tagged_into_two_data_models():
    # Two event types can match one event when, for every field both constrain, their values overlap;
    # such an event carries the union of both tag sets.
    eventtypes, tags = conf("eventtypes"), conf("tags")
    terms = {name: eventtype_terms(stanza["search"]) for name, stanza in eventtypes.items()}
    for first in terms:
        for second in terms:
            common = set(terms[first]) & set(terms[second])
            if first < second and all(terms[first][f] & terms[second][f] for f in common):
                union = set(tags["eventtype=" + first]) | set(tags["eventtype=" + second])
                assert len(data_models(union)) <= 1, (first, second, data_models(union))


def test_security_intelligence_events_are_also_connection_events():
    terms = {name: eventtype_terms(stanza["search"]) for name, stanza in conf("eventtypes").items()}
    connection, si = terms["cisco_firepower_connection"], terms["cisco_firepower_security_intelligence"]
    assert all(si[field] <= values for field, values in connection.items())
    assert si["si_event"] == {"1"}


# --- macros.conf -------------------------------------------------------------------------------

MACRO_CALL = re.compile(r"`([^`(]+)(?:\(([^`]*)\))?`")


def macro_key(name, args):
    return "{}({})".format(name, len(args.split(","))) if args else name


def test_index_macro_defaults_to_all_indexes():
    assert conf("macros")["cisco_firepower_index"]["definition"] == "(index=*)"


def test_every_macro_called_by_a_macro_exists():
    macros = conf("macros")
    for name, stanza in macros.items():
        for called, args in MACRO_CALL.findall(stanza["definition"]):
            assert macro_key(called, args) in macros, "{} calls unknown macro {}".format(name, called)


def test_sourcetype_and_index_strings_live_in_one_macro_each():
    macros = conf("macros")
    with_sourcetype = [n for n, st in macros.items() if "sourcetype=" in st["definition"]]
    assert with_sourcetype == ["cisco_firepower_sourcetype(1)"]
    with_index = sorted(n for n, st in macros.items() if "index=" in st["definition"])
    # the input's log is always in _internal, whatever index the events go to
    assert with_index == ["cisco_firepower_index", "cisco_firepower_log_events"]


@pytest.mark.parametrize("family", DATA_FAMILIES + ("health", "log"))
def test_every_family_has_a_base_search_macro(family):
    stanza = conf("macros")["cisco_firepower_{}_events".format(family)]
    assert "`cisco_firepower_sourcetype({})`".format(family) in stanza["definition"]


def test_all_events_macro_covers_every_data_family_and_no_input_event():
    definition = conf("macros")["cisco_firepower_events"]["definition"]
    families = set(re.findall(r"`cisco_firepower_sourcetype\((\w+)\)`", definition))
    assert families == set(DATA_FAMILIES)


# --- savedsearches.conf ------------------------------------------------------------------------

def test_the_six_health_alerts_exist():
    assert set(conf("savedsearches")) == set(ALERTS)


@pytest.mark.parametrize("name", ALERTS)
def test_alert_ships_disabled_but_ready_to_schedule(name):
    stanza = conf("savedsearches")[name]
    assert stanza["disabled"] == "1"
    assert stanza["enableSched"] == "1"
    assert stanza["dispatch.earliest_time"] and stanza["dispatch.latest_time"]
    assert stanza["counttype"] == "number of events" and stanza["relation"] == "greater than"
    assert stanza["alert.track"] == "1" and stanza["alert.suppress"] == "1"
    assert set(stanza["alert.suppress.fields"].split(",")) <= set(re.findall(r"\w+", stanza["search"]))


@pytest.mark.parametrize("name", ALERTS)
def test_alert_cron_runs_at_most_every_five_minutes(name):
    fields = conf("savedsearches")[name]["cron_schedule"].split()
    assert len(fields) == 5
    minute = fields[0]
    step = re.fullmatch(r"\*/(\d+)", minute)
    assert step and 5 <= int(step.group(1)) <= 60, minute  # AppInspect warns above 12 runs an hour


@pytest.mark.parametrize("name", ALERTS)
def test_alert_description_tells_the_admin_what_to_do(name):
    description = conf("savedsearches")[name]["description"]
    assert len(description) > 150
    assert re.search(r"\b(Check|check|look|turn on|upgrade)\b", description)


@pytest.mark.parametrize("name", ALERTS)
def test_alert_finds_its_data_through_the_macros(name):
    search = conf("savedsearches")[name]["search"]
    assert "index=" not in search and "sourcetype=" not in search
    assert re.search(r"`cisco_firepower_\w+_events`|`cisco_firepower_events`", search)


# --- navigation --------------------------------------------------------------------------------

def test_nav_lists_every_dashboard_and_the_ucc_pages():
    import xml.etree.ElementTree as ET

    nav = ET.parse(DEFAULT / "data" / "ui" / "nav" / "default.xml").getroot()
    views = [view.get("name") for view in nav.iter("view")]
    dashboards = {path.stem for path in VIEWS.glob("*.xml")}
    assert dashboards and dashboards <= set(views)
    assert {"inputs", "configuration", "search"} <= set(views)  # UCC generates inputs/configuration
    assert len(views) == len(set(views))
    assert [view.get("name") for view in nav.iter("view")
            if view.get("default") == "true"] == ["configuration"]


def test_no_dashboard_shadows_a_ucc_page():
    assert not {path.stem for path in VIEWS.glob("*.xml")} & {"inputs", "configuration", "dashboard",
                                                             "search"}


def test_eventtype_grammar_rejects_free_text_pipes_and_or():
    with pytest.raises(SearchError):
        eventtype_terms('sourcetype="cisco:firepower:estreamer:connection" blocked')
    with pytest.raises(SearchError):
        eventtype_terms('sourcetype="cisco:firepower:estreamer:connection" | where rec_type=71')
    with pytest.raises(AssertionError):
        eventtype_terms('sourcetype="cisco:firepower:estreamer:connection" rec_type=71 OR rec_type=72')


def test_data_model_matching_needs_a_whole_tag_group():
    assert data_models({"network", "communicate", "security_intelligence"}) == {"Network_Traffic"}
    assert data_models({"network"}) == set()
    assert data_models({"network", "session", "communicate"}) == {"Network_Traffic", "Network_Sessions"}
