"""Dashboards (package/default/data/ui/views) and the add-on's alerts, run through the search-time
model (tests/searchtime) on a stream of every family as Splunk would index it: the simulator's
records of every family, the design's scenarios, the input's own health events and log lines.

Every panel's search returns rows, and no BY field drops an event (stats) or files it under NULL
(chart, timechart). Each dashboard runs one transforming summary search; its panels post-process
the summary. Where a dashboard can count from the CIM data models (tstats), the same holds with
the data models of the pinned pytest-splunk-addon wheel.
"""
import functools
import re
import xml.etree.ElementTree as ET

import pytest

from cim.datamodels import DataModels, fetch_wheel
from cim.fixtures import scenario_events, simulator_events
from searchtime import (
    DEFAULT,
    Dashboard,
    DashboardError,
    Pipeline,
    SearchHead,
    SplError,
    indexed,
    read_conf,
    substitute,
)

VIEWS = DEFAULT / "data" / "ui" / "views"
DASHBOARDS = sorted(VIEWS.glob("*.xml"))
FMC = "fmc-sim.example.net"
INPUT = "fmc_sim"
T_END = 1700086400.0  # the stream's health reports run up to here
PRIMARY, STANDBY = "10.0.0.1:8302", "10.0.0.2:8302"  # the FMCs of the input's HA pair


# --- the stream -------------------------------------------------------------------------------

def health_stream():
    """The input's health events over six intervals: devices reporting, one reconnect with its
    error, a quiet device, lag, a failover to the HA pair's standby in the fifth, as
    ``estreamer_splunk.health`` writes them."""
    from estreamer_splunk.health import health_events

    devices = {1: {"last_event_time": T_END - 7200, "events": 0, "lag": 1.5,
                   "name": "ftd-hq-01.example.net"},
               2: {"last_event_time": T_END - 60, "events": 0, "lag": 0.5, "name": "ftd-branch-1"}}
    stats, previous, events = {"connected": True, "reconnects": 0, "events": 0,
                               "parse_errors": 0, "unknown_types": 0, "unknown_blocks": 0,
                               "mapping_errors": 0, "bookmark": None, "last_error": None,
                               "client_cert_days_left": 21, "future_records": 0,
                               "duplicates_dropped": 0, "devices": {},
                               "active_fmc": PRIMARY, "failovers": 0}, None, []
    for step in range(6):
        now = T_END - (5 - step) * 3600
        stats = dict(stats, events=stats["events"] + 500 * step, bookmark=[now - 30, 0],
                     devices={key: dict(value, events=value["events"] + 250 * step)
                              for key, value in devices.items()})
        if step == 3:
            stats.update(reconnects=1, parse_errors=2, connected=False,
                         last_error="connection reset by the FMC")
        if step == 4:
            stats.update(active_fmc=STANDBY, failovers=1)
        events += health_events(stats, previous, 60, now, FMC, INPUT, FMC, lag=2.5)
        previous = stats
    return [indexed(event) for event in events]


LOG_LINES = (
    "2023-11-15 20:00:00,123 log_level=WARNING pid=42 tid=MainThread file=runner.py:run:80 | "
    "lost the FMC session: connection reset by the FMC; reconnecting in 5 s",
    "2023-11-15 20:00:05,001 log_level=ERROR pid=42 tid=MainThread file=client.py:read:120 | "
    "record type 9999 could not be mapped",
    "2023-11-15 20:00:06,001 log_level=INFO pid=42 tid=MainThread file=runner.py:run:60 | connected",
)


def log_stream():
    return [{"_raw": line, "_time": T_END - 1800 + n, "host": "forwarder-1",
             "source": "/opt/splunk/var/log/splunk/ta_firepower_estreamer_fmc_sim.log",
             "sourcetype": "cisco:firepower:estreamer:log", "index": "_internal"}
            for n, line in enumerate(LOG_LINES)]


@functools.lru_cache(maxsize=None)
def stream():
    events = [event for _, event in simulator_events(1200)]
    events += [event for _, _, event in scenario_events()]
    return tuple([indexed(event) for event in events] + health_stream() + log_stream())


@functools.lru_cache(maxsize=None)
def datamodels():
    wheel, reason = fetch_wheel()
    return DataModels(wheel) if wheel else None


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(SearchHead(datamodels=datamodels()))


def modes(dashboard):
    """Token choices to run: the defaults, and counting from the data models where offered."""
    out = [("default", {})]
    if any(node.get("token") == "counts" for node in dashboard.inputs):
        out.append(("datamodel", {"counts": "datamodel"}))
    return out


CASES = [pytest.param(path, choice, id=f"{path.stem}-{mode}")
         for path in DASHBOARDS for mode, choice in modes(Dashboard(path))]


def run(pipeline, path, choice):
    if choice.get("counts") == "datamodel" and datamodels() is None:
        pytest.skip("pytest-splunk-addon data models unavailable")
    dashboard = Dashboard(path)
    tokens = dashboard.tokens(choice)
    return dashboard, tokens, dashboard.run(pipeline, list(stream()), tokens, now=T_END)


# --- the panel test ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, choice", CASES)
def test_every_panel_returns_rows_and_no_by_field_drops_events(pipeline, path, choice):
    _, _, results = run(pipeline, path, choice)
    empty = [search.label for search, result in results if search.visible and not result.rows]
    assert empty == []
    dropped = {search.label: result.dropped for search, result in results
               if search.visible and result.dropped}
    assert dropped == {}


@pytest.mark.parametrize("path, choice", CASES)
def test_input_choices_and_formats_use_fields_their_search_returns(pipeline, path, choice):
    dashboard, tokens, results = run(pipeline, path, choice)
    by_owner = {id(search.owner): result for search, result in results}
    for node in dashboard.inputs:
        if node.find("search") is not None:
            rows = by_owner[id(node)].rows
            for tag in ("fieldForLabel", "fieldForValue"):
                assert any(node.findtext(tag) in row for row in rows), (node.get("token"), tag)
    for table in dashboard.root.iter("table"):
        if id(table) not in by_owner:
            continue  # hidden in this mode
        rows = by_owner[id(table)].rows
        for fmt in table.iter("format"):
            assert any(fmt.get("field") in row for row in rows), fmt.get("field")


def test_the_worst_impact_of_a_target_is_its_lowest_impact(pipeline):
    # Impact 1 (vulnerable) is the worst, 0 is unknown.
    dashboard, tokens, results = run(pipeline, VIEWS / "firepower_intrusions.xml", {})
    rows = next(result.rows for search, result in results if "Worst impact" in search.label)
    intrusions = [event for event in stream()
                  if event["sourcetype"] == "cisco:firepower:estreamer:intrusion"]
    head = pipeline.head
    impacts = {}
    for event in intrusions:
        fields = head.fields(event)
        if int(fields.get("impact", 0)) > 0:
            impacts.setdefault(fields["dest"], set()).add(int(fields["impact"]))
    assert any(len(values) > 1 for values in impacts.values())
    for row in rows:
        assert row["worst_impact"] == min(impacts[row["dest"]])


def test_the_security_intelligence_panels_show_categories(pipeline):
    _, _, results = run(pipeline, VIEWS / "firepower_connections.xml", {})
    rows = next(result.rows for search, result in results
                if search.label.endswith("Security Intelligence matches"))
    assert rows and all(row["sec_intel_category"] != "unknown" for row in rows)


# --- structure --------------------------------------------------------------------------------

def test_there_are_the_six_dashboards():
    assert {path.stem for path in DASHBOARDS} == {
        "firepower_overview", "firepower_connections", "firepower_intrusions",
        "firepower_files_malware", "firepower_users_hosts", "firepower_input_health"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_is_simple_xml_1_1_with_a_label(path):
    root = ET.parse(path).getroot()
    assert root.tag in ("form", "dashboard")
    assert root.get("version") == "1.1"  # AppInspect fails dashboards of an older (or no) version
    assert root.findtext("label").strip()


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_each_dashboard_runs_one_transforming_summary_that_every_panel_post_processes(path):
    dashboard = Dashboard(path)
    searches = dashboard.searches(dashboard.tokens())
    inputs = {id(node) for node in dashboard.inputs}
    bases = [s for s in searches if id(s.owner) not in inputs and not s.base]
    assert len(bases) == 1 and bases[0].id, [s.label for s in bases]
    (base,) = bases
    assert all(s.base == base.id for s in searches if id(s.owner) not in inputs and s is not base)
    expanded = [Pipeline(SearchHead()).head.macros]  # macros of the shipped conf
    from searchtime import expand_macros
    text = expand_macros(base.query, expanded[0])
    assert re.search(r"\|\s*(stats|tstats)\b", text), text


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_summary_and_input_searches_follow_the_time_picker(path):
    dashboard = Dashboard(path)
    for search in dashboard.searches(dashboard.tokens()):
        if not search.base:
            assert search.element.findtext("earliest") == "$time.earliest$", search.label
            assert search.element.findtext("latest") == "$time.latest$", search.label


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_queries_never_name_an_index_or_sourcetype(path):
    for node in ET.parse(path).getroot().iter("query"):
        assert not re.search(r"\b(index|sourcetype)\s*=|cisco:firepower", node.text), node.text


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_summaries_filter_nothing_but_the_fmc_and_panels_filter_the_summary(path):
    # Filters matching everything (dvc="*" action="*") give indexers nothing to narrow on: the
    # summary reads only indexed fields from the tokens; choices filter its rows.
    dashboard = Dashboard(path)
    for search in dashboard.searches(dashboard.tokens()):
        if search.id:
            query = search.element.findtext("query")
            assert set(re.findall(r"\$(\w+)\$", query)) <= {"fmc", "counts"}, query


def test_the_index_macro_is_documented_as_the_first_thing_to_set():
    stanza = read_conf(DEFAULT / "macros.conf")["cisco_firepower_index"]
    assert stanza["description"].startswith("Set this first")
    for path in DASHBOARDS:
        assert "cisco_firepower_index macro" in Dashboard(path).root.findtext("description")


def test_counting_from_the_data_models_is_an_option_off_by_default():
    offered = [path.stem for path in DASHBOARDS
               if any(node.get("token") == "counts" for node in Dashboard(path).inputs)]
    assert offered == ["firepower_connections", "firepower_files_malware", "firepower_intrusions"]
    for stem in offered:
        dashboard = Dashboard(VIEWS / f"{stem}.xml")
        (summary,) = [s for s in dashboard.searches(dashboard.tokens()) if s.id]
        assert "_summary_events(" in summary.query
        (summary,) = [s for s in dashboard.searches(dashboard.tokens({"counts": "datamodel"}))
                      if s.id]
        assert "_summary_datamodel(" in summary.query


# --- alerts -----------------------------------------------------------------------------------

def saved_searches():
    return [pytest.param(stanza["search"], id=name)
            for name, stanza in read_conf(DEFAULT / "savedsearches.conf").items()]


@pytest.mark.parametrize("search", saved_searches())
def test_alert_search_runs_on_the_inputs_events(pipeline, search):
    pipeline.run(search, events=list(stream()), now=T_END + 3600)


def test_the_failover_alert_names_the_input_and_the_fmc_now_serving(pipeline):
    stanza = read_conf(DEFAULT / "savedsearches.conf")["Firepower eStreamer - Failover"]
    assert stanza["disabled"] == "1"
    rows = pipeline.run(stanza["search"], events=list(stream()), now=T_END).rows
    assert [(row["fmc"], row["input"], row["active_fmc"], str(row["failovers"]))
            for row in rows] == [(FMC, INPUT, STANDBY, "1")]


def test_the_serving_fmc_panel_shows_which_fmc_served_when(pipeline):
    _, _, results = run(pipeline, VIEWS / "firepower_input_health.xml", {})
    (chart,) = [result for search, result in results if "BY active_fmc" in search.query]
    served = {name for row in chart.rows for name, value in row.items()
              if name in (PRIMARY, STANDBY) and value not in (None, "", "0", 0)}
    assert served == {PRIMARY, STANDBY}
    (table,) = [result for search, result in results
                if "table fmc input status active_fmc" in search.query]
    assert [(row["active_fmc"], str(row["failovers"])) for row in table.rows] == [(STANDBY, "1")]


def test_the_silent_device_alert_names_the_quiet_device(pipeline):
    stanza = read_conf(DEFAULT / "savedsearches.conf")["Firepower eStreamer - Managed device silent"]
    rows = pipeline.run(stanza["search"], events=list(stream()), now=T_END).rows
    assert [(row["fmc"], row["dvc"]) for row in rows] == [(FMC, "ftd-hq-01.example.net")]


def test_built_add_on_keeps_this_nav_next_to_the_ucc_pages(built):
    # ucc-gen writes its own nav only when package/default/data/ui/nav/default.xml does not exist.
    ui = built["app"] / "default" / "data" / "ui"
    assert (ui / "nav" / "default.xml").read_bytes() == \
        (DEFAULT / "data" / "ui" / "nav" / "default.xml").read_bytes()
    nav_views = {view.get("name") for view in ET.parse(ui / "nav" / "default.xml").getroot().iter("view")}
    shipped = {path.stem for path in (ui / "views").glob("*.xml")}
    assert nav_views - {"search"} <= shipped
    assert {"inputs", "configuration"} | {path.stem for path in DASHBOARDS} <= shipped


# --- the model's dashboard reading ------------------------------------------------------------

def form(tmp_path, body):
    path = tmp_path / "d.xml"
    path.write_text(f'<form version="1.1"><label>x</label>{body}</form>')
    return Dashboard(path)


def test_multiselect_token_expands_with_prefixes_and_delimiter(tmp_path):
    dashboard = form(tmp_path, (
        '<fieldset><input type="multiselect" token="sev"><default>high,low</default>'
        '<prefix>(</prefix><suffix>)</suffix><valuePrefix>severity="</valuePrefix>'
        '<valueSuffix>"</valueSuffix><delimiter> OR </delimiter></input></fieldset>'))
    assert substitute("x $sev$", dashboard.tokens()) == 'x (severity="high" OR severity="low")'


def test_change_conditions_set_tokens_and_depends_hides_panels(tmp_path):
    dashboard = form(tmp_path, (
        '<fieldset><input type="dropdown" token="mode"><choice value="a">A</choice>'
        '<choice value="b">B</choice><default>a</default><change>'
        '<condition value="a"><set token="show">yes $value$</set></condition>'
        '<condition value="b"><unset token="show"></unset></condition></change></input>'
        '</fieldset><row depends="$show$"><panel><table><search><query>x</query></search>'
        '</table></panel></row>'))
    tokens = dashboard.tokens()
    assert tokens["show"] == "yes a"
    assert [s.visible for s in dashboard.searches(tokens)] == [True]
    tokens = dashboard.tokens({"mode": "b"})
    assert "show" not in tokens and [s.visible for s in dashboard.searches(tokens)] == [False]


def test_a_token_without_an_input_is_an_error(tmp_path):
    dashboard = form(tmp_path, '<row><panel><table><search><query>`x` $nope$</query></search>'
                               '</table></panel></row>')
    with pytest.raises(DashboardError, match="nope"):
        dashboard.searches(dashboard.tokens())


def test_a_post_process_needs_its_base(tmp_path, pipeline):
    dashboard = form(tmp_path, '<row><panel><table><search base="gone"><query>stats count'
                               '</query></search></table></panel></row>')
    with pytest.raises(SplError, match="gone"):
        dashboard.run(pipeline, [])
