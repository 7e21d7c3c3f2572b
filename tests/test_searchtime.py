"""The model of Splunk's search time (tests/searchtime) behaves as Splunk documents it.

Each test names the documented rule it checks; the model's own docstrings cite the pages.
"""
import json

import pytest

from searchtime import (
    EvalError,
    Expression,
    ModelError,
    Pipeline,
    Search,
    SearchError,
    SearchHead,
    SplError,
    read_conf,
)
from searchtime.conf import ConfError
from searchtime.evaluate import PROPS_FUNCTIONS
from searchtime.extraction import ExtractionError, json_fields, window


def conf_dir(tmp_path, **files):
    """A package/default-like directory with the given conf files (and empty others)."""
    for name in ("props", "transforms", "eventtypes", "tags", "macros"):
        (tmp_path / f"{name}.conf").write_text(files.get(name, ""))
    for name, text in files.items():
        if name.endswith(".csv"):
            (tmp_path / name).write_text(text)
    return tmp_path


def event(raw, sourcetype="test:json", time=1700000000.0):
    if not isinstance(raw, str):
        raw = json.dumps(raw, separators=(",", ":"))
    return {"_raw": raw, "_time": time, "host": "fmc", "source": "s", "sourcetype": sourcetype,
            "index": "main"}


# --- conf files ----------------------------------------------------------------------------

def test_conf_files_are_read_with_comments_continuations_and_a_default_stanza(tmp_path):
    path = tmp_path / "x.conf"
    path.write_text("top = 1\n# comment\n[a]\nsearch = x=1 \\\n  y=2\n\n[eventtype=b]\n"
                    "network = enabled\n")
    assert read_conf(path) == {"default": {"top": "1"}, "a": {"search": "x=1 \n  y=2"},
                               "eventtype=b": {"network": "enabled"}}


@pytest.mark.parametrize("text, problem", [("[a]\nx = 1\nx = 2\n", "duplicate key"),
                                           ("[a]\n[a]\n", "duplicate stanza"),
                                           ("[a]\njust text\n", "not a key = value")])
def test_conf_reader_refuses_what_splunk_would_merge_or_ignore(tmp_path, text, problem):
    path = tmp_path / "x.conf"
    path.write_text(text)
    with pytest.raises(ConfError, match=problem):
        read_conf(path)


# --- JSON extraction (spath) -------------------------------------------------------------

def test_json_objects_give_dotted_paths_and_arrays_give_curly_brace_multivalue_fields():
    raw = json.dumps({"a": {"b": "x", "c": {"d": 1}}, "list": ["p", "q"], "one": ["only"],
                      "objs": [{"k": "v1"}, {"k": "v2", "n": 2.5}], "nested": [[1, 2], [3]],
                      "flag": True, "empty": [], "num": -1000.0})
    assert json_fields(raw) == {
        "a.b": "x", "a.c.d": "1", "list{}": ["p", "q"], "one{}": "only",
        "objs{}.k": ["v1", "v2"], "objs{}.n": "2.5", "nested{}{}": ["1", "2", "3"],
        "flag": "true", "num": "-1000.0"}


def test_an_array_is_never_extracted_under_its_plain_name():
    fields = json_fields('{"rule_reason":["IP Block","File Block"]}')
    assert "rule_reason" not in fields and fields["rule_reason{}"] == ["IP Block", "File Block"]


def test_json_text_keeps_escapes_and_unicode():
    assert json_fields(r'{"u":"caf\u00e9 \"q\" \\ /"}') == {"u": 'café "q" \\ /'}


def test_json_null_is_refused_rather_than_guessed():
    with pytest.raises(ExtractionError, match="null"):
        json_fields('{"a":null}')


def padded(prefix_keys, filler_to, after):
    """An event whose ``pad`` value ends exactly at byte ``filler_to``, then ``after``."""
    head = json.dumps(prefix_keys, separators=(",", ":"))[:-1] + ',"pad":"'
    tail = '"'
    pad = "x" * (filler_to - len(head.encode()) - len(tail))
    return head + pad + tail + "," + json.dumps(after, separators=(",", ":"))[1:]


def test_automatic_extraction_reads_only_the_first_5000_bytes():
    # limits.conf.spec [spath] extraction_cutoff = 5000
    raw = padded({"first": "a"}, 5000, {"late": "b"})
    assert len(raw.encode()) > 5000 and raw.encode()[4999:5000] == b'"'
    fields = json_fields(raw)
    assert fields["first"] == "a" and len(fields["pad"]) > 4000
    assert "late" not in fields


def test_a_value_cut_by_the_window_is_not_extracted_and_nothing_after_it():
    raw = padded({"first": "a"}, 5001, {"late": "b"})
    fields = json_fields(raw)
    assert fields == {"first": "a"}


def test_the_window_counts_bytes_not_characters():
    text = "é" * 2600  # 5,200 bytes of UTF-8, 2,600 characters
    fields = json_fields(json.dumps({"a": "1", "t": text, "z": "2"}, ensure_ascii=False))
    assert fields == {"a": "1"}
    assert len(window("é" * 3000).encode()) == 5000


def test_kv_maxchars_also_bounds_the_window():
    # limits.conf.spec [kv] maxchars = 10240 (characters), below a raised extraction_cutoff
    raw = padded({"first": "a"}, 12000, {"late": "b"})
    assert "late" not in json_fields(raw, {"extraction_cutoff": 100000})
    assert json_fields(raw, {"extraction_cutoff": 100000, "maxchars": 20000})["late"] == "b"


# --- FIELDALIAS, EVAL, LOOKUP, event types, tags: order and semantics ----------------------------

ORDER_PROPS = """
[test:json]
KV_MODE = json
FIELDALIAS-list = "items{}" AS items
FIELDALIAS-src = src_ip AS src
EVAL-from_alias = src . "/" . port
EVAL-from_eval = from_alias
EVAL-twice = port * 2
EVAL-port = port + 1
EVAL-from_lookup = proto_name
LOOKUP-a_protocols = protocols proto_id OUTPUT proto_name
LOOKUP-b_protocols = protocols proto_name AS proto_name OUTPUT proto_id AS proto_again
LOOKUP-c_on_eval = ports port OUTPUT service
"""
ORDER_TRANSFORMS = """
[protocols]
filename = protocols.csv
[ports]
filename = ports.csv
"""


@pytest.fixture
def order_head(tmp_path):
    conf_dir(tmp_path, props=ORDER_PROPS, transforms=ORDER_TRANSFORMS,
             eventtypes="[named]\nsearch = sourcetype=test:json proto_name=tcp\n",
             tags="[eventtype=named]\nnetwork = enabled\nold = disabled\n",
             **{"protocols.csv": "proto_id,proto_name\n6,tcp\n17,udp\n",
                "ports.csv": "port,service\n444,https-plus-one\n443,https\n"})
    return SearchHead(default=tmp_path, lookups=tmp_path)


ORDER_EVENT = {"src_ip": "10.0.0.1", "port": 443, "proto_id": 6, "items": ["a", "b"]}


def test_aliases_come_before_evals(order_head):
    fields = order_head.fields(event(ORDER_EVENT))
    assert fields["src"] == "10.0.0.1" and fields["items"] == ["a", "b"]
    assert fields["from_alias"] == "10.0.0.1/443"


def test_every_eval_sees_the_fields_from_before_any_eval(order_head):
    fields = order_head.fields(event(ORDER_EVENT))
    assert "from_eval" not in fields       # from_alias did not exist before the EVALs
    assert fields["twice"] == 886          # the extracted port, not EVAL-port's 444
    assert fields["port"] == 444


def test_lookups_come_after_evals_in_ascii_order_of_their_classes(order_head):
    fields = order_head.fields(event(ORDER_EVENT))
    assert "from_lookup" not in fields     # an EVAL cannot read a lookup's output
    assert fields["proto_name"] == "tcp"
    assert fields["proto_again"] == "6"    # LOOKUP-b reads LOOKUP-a's output
    assert fields["service"] == "https-plus-one"  # keyed on EVAL-port's value


def test_event_types_and_enabled_tags_come_after_lookups(order_head):
    fields = order_head.fields(event(ORDER_EVENT))
    assert fields["eventtype"] == "named" and fields["tag"] == "network"


@pytest.mark.parametrize("props, problem", [
    ("[t]\nFIELDALIAS-a = x AS y\nFIELDALIAS-b = y AS z\n", "do not chain"),
    ("[t]\nFIELDALIAS-a = x AS y z AS y\n", "several aliases"),
    ("[t]\nEVAL-x = mvjoin(a, \",\")\n", "mvjoin"),
    ("[t]\nREPORT-x = something\n", "REPORT"),
    ("[t]\nLOOKUP-x = nope a OUTPUT b\n", "no lookup"),
])
def test_knowledge_the_model_does_not_know_is_an_error(tmp_path, props, problem):
    conf_dir(tmp_path, props=props)
    with pytest.raises(ModelError, match=problem):
        SearchHead(default=tmp_path, lookups=tmp_path)


def alias_head(tmp_path, aliases):
    conf_dir(tmp_path, props=f"[test:json]\nKV_MODE = json\nFIELDALIAS-x = {aliases}\n")
    return SearchHead(default=tmp_path, lookups=tmp_path)


def test_as_overwrites_asnew_does_not_and_a_missing_source_clears_the_alias(tmp_path):
    head = alias_head(tmp_path, "a AS b c ASNEW d missing AS e")
    fields = head.fields(event({"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}))
    assert (fields["b"], fields["d"], "e" in fields) == ("1", "4", False)


def test_a_null_eval_result_leaves_the_field_absent(tmp_path):
    conf_dir(tmp_path, props='[test:json]\nKV_MODE = json\nEVAL-x = if(a == "1", null(), "y")\n'
                             'EVAL-user = coalesce(user, "unknown")\n')
    head = SearchHead(default=tmp_path, lookups=tmp_path)
    assert "x" not in head.fields(event({"a": "1", "x": "old"}))
    assert head.fields(event({"a": "2"}))["user"] == "unknown"
    assert head.fields(event({"user": "bob"}))["user"] == "bob"


def test_lookups_match_without_case_only_when_the_transform_says_so(tmp_path):
    conf_dir(tmp_path, props="[test:json]\nKV_MODE = json\n"
                             "LOOKUP-a = actions rule_action OUTPUT action\n",
             transforms="[actions]\nfilename = a.csv\ncase_sensitive_match = false\n",
             **{"a.csv": "rule_action,action\nAllow,allowed\n"})
    head = SearchHead(default=tmp_path, lookups=tmp_path)
    assert head.fields(event({"rule_action": "ALLOW"}))["action"] == "allowed"
    (tmp_path / "transforms.conf").write_text("[actions]\nfilename = a.csv\n")
    head = SearchHead(default=tmp_path, lookups=tmp_path)
    assert "action" not in head.fields(event({"rule_action": "ALLOW"}))


def test_a_multivalue_lookup_input_looks_up_each_value(tmp_path):
    conf_dir(tmp_path, props="[test:json]\nKV_MODE = json\nFIELDALIAS-x = \"ids{}\" AS ids\n"
                             "LOOKUP-a = names id AS ids OUTPUT name\n",
             transforms="[names]\nfilename = n.csv\n", **{"n.csv": "id,name\n1,one\n2,two\n"})
    head = SearchHead(default=tmp_path, lookups=tmp_path)
    assert head.fields(event({"ids": [1, 2]}))["name"] == ["one", "two"]


def test_the_extraction_window_applies_before_every_other_step(order_head):
    raw = padded({"proto_id": 6}, 5001, {"src_ip": "10.0.0.1", "port": 443})
    fields = order_head.fields(event(raw))
    assert fields["proto_name"] == "tcp" and "src" not in fields and "service" not in fields


# --- eval expressions ---------------------------------------------------------------------------

ROW = {"s": "text", "n": "443", "f": "1.5", "mv": ["a", "b"], "zero": "0"}


@pytest.mark.parametrize("expression, value", [
    ('s . "/" . n', "text/443"), ("n + 1", 444), ("n . 1", "4431"), ("f * 2", 3.0),
    ("missing . s", None), ("missing + 1", None), ("n / zero", None),
    ('coalesce(missing, s, "x")', "text"), ("coalesce(missing, mv)", ["a", "b"]),
    ('if(n == 443, "yes", "no")', "yes"), ('if(n == "443.0", "yes", "no")', "yes"),
    ('if(s == "TEXT", "yes", "no")', "no"), ('if(missing == 1, "yes", "no")', "no"),
    ('if(missing != 1, "yes", "no")', "no"), ('if(isnull(missing), "yes", "no")', "yes"),
    ('if(isnotnull(mv), "yes", "no")', "yes"), ("if(n > 50, 1, 0)", 1),
    ('if(s > "a", 1, 0)', 1), ('case(n == 1, "one", n == 443, "https")', "https"),
    ('case(n == 1, "one")', None), ('case(n == 1, "one", true(), "other")', "other"),
    ("lower(\"AbC\") . upper(s)", "abcTEXT"), ("lower(missing)", None),
    ("tostring(n + 1)", "444"), ('tonumber("0x1F", 16)', 31), ('tonumber("12")', 12),
    ('tonumber("x")', None), ("tostring(missing)", None), ("'s'", "text"),
    ('if(s LIKE "te%", 1, 0)', 1), ('if(NOT n == 443 OR s == "text", 1, 0)', 1),
    ('if(n == 443 AND s != "text", 1, 0)', 0), ("-n + 1", -442), ("2 + 3 * 4", 14),
    ('"a" . 1 + 2', "a3"), ("null()", None), (r'"x\d\"y\\"', 'x\\d"y\\'),
])
def test_eval_semantics(expression, value):
    assert Expression(expression, PROPS_FUNCTIONS)(ROW) == value


@pytest.mark.parametrize("expression, problem", [
    ("lower(mv)", "multivalue"), ('mv . "x"', "multivalue"), ('mv == "a"', "multivalue"),
    ("mvjoin(mv, \",\")", "mvjoin"), ('if(s, 1, 0)', "not a boolean"), ("n +", "expected"),
    ('tostring(n, "commas")', "format"), ("round(f)", "round"),
])
def test_eval_refuses_what_it_does_not_model(expression, problem):
    with pytest.raises(EvalError, match=problem):
        Expression(expression, PROPS_FUNCTIONS)(ROW)


# --- search terms -------------------------------------------------------------------------------

EVENT = {"sourcetype": "cisco:firepower:estreamer:connection", "rec_type": "71",
         "action": "Allowed", "user": "HOST$", "tag": ["network", "communicate"], "n": "0",
         "bytes": "1500"}


@pytest.mark.parametrize("search, matches", [
    ('sourcetype="cisco:firepower:estreamer:connection" rec_type=71', True),
    ('sourcetype="cisco:firepower:estreamer:connection" rec_type=72', False),
    ("rec_type IN (70, 71)", True), ("rec_type IN (1,2,3)", False),
    ("action=allowed", True), ("ACTION=allowed", False), ('action="ALLOWED"', True),
    ("user=*$", True), ("user=*x", False), ("action=*", True), ("missing=*", False),
    ("tag=network tag=communicate", True), ("tag=network tag=session", False),
    ("NOT (action=allowed user=*$)", False), ("NOT missing=1", True), ("missing!=1", False),
    ("action!=blocked", True), ("n=0", True), ("bytes>1000", True), ("bytes<=999", False),
    ("rec_type=1 action=allowed OR rec_type=71", False),  # OR binds tighter than AND
    ("(rec_type=1 action=allowed) OR rec_type=71", True),
    ("rec_type=71 AND (action=blocked OR action=allowed)", True),
])
def test_search_terms(search, matches):
    assert Search(search)(EVENT) is matches


@pytest.mark.parametrize("search", [
    "index=main | stats count", "error", "rec_type=71 (action=allowed", "rec_type IN 71",
    "rec_type=", ""])
def test_searches_outside_the_grammar_are_errors(search):
    with pytest.raises(SearchError):
        Search(search)


# --- pipelines ------------------------------------------------------------------------------------

@pytest.fixture
def pipeline(tmp_path):
    conf_dir(tmp_path, props="[test:json]\nKV_MODE = json\n",
             macros="[events]\ndefinition = index=main sourcetype=test:json\n"
                    "[named(1)]\nargs = f\ndefinition = $f$=*\n")
    return Pipeline(SearchHead(default=tmp_path, lookups=tmp_path))


STREAM = [event({"a": "x", "b": "1"}, time=1700000000), event({"a": "y", "b": "2"}, time=1700003600),
          event({"b": "3", "l": ["p", "q"]}, time=1700007200)]


def test_stats_by_leaves_out_rows_without_the_field_and_says_so(pipeline):
    result = pipeline.run("`events` | stats count sum(b) AS total BY a", events=STREAM)
    assert result.rows == [{"a": "x", "count": 1, "total": 1}, {"a": "y", "count": 1, "total": 2}]
    assert result.dropped == [("stats", "a", 1)]


def test_a_multivalue_by_field_counts_the_row_under_each_value(pipeline):
    result = pipeline.run("`events` `named(l{})` | stats count BY l{}", events=STREAM)
    assert result.rows == [{"l{}": "p", "count": 1}, {"l{}": "q", "count": 1}]


def test_timechart_puts_rows_without_the_split_field_under_null(pipeline):
    result = pipeline.run("`events` | timechart span=1h count BY a", events=STREAM)
    assert [row.get("NULL") for row in result.rows] == [0, 0, 1]
    assert result.dropped == [("timechart", "a", 1)]


def test_post_process_runs_on_the_base_results(pipeline):
    base = pipeline.run("`events` | fillnull value=unknown a | stats count BY a", events=STREAM)
    assert base.dropped == []
    post = pipeline.run("search a!=unknown | stats sum(count) AS n", rows=base.rows)
    assert post.rows == [{"n": 2}]


def test_tstats_reads_indexed_fields_only(pipeline):
    assert pipeline.run("| tstats count WHERE index=main BY sourcetype", events=STREAM).rows == [
        {"sourcetype": "test:json", "count": 3}]
    with pytest.raises(SplError, match="indexed"):
        pipeline.run("| tstats count WHERE index=main a=x", events=STREAM)


@pytest.mark.parametrize("spl, problem", [
    ("`events` | stats count BY nope", "field 'nope' does not exist"),
    ("`events` | transaction a", "command 'transaction' is not modelled"),
    ("`nothing` | stats count", "unknown macro"),
    ("`events` a=$token$ | stats count", "unresolved token"),
    ("`events` | stats median(b)", "median"),
    ("`events` | eval c = frobnicate(b)", "frobnicate"),
])
def test_pipelines_refuse_what_they_cannot_run(pipeline, spl, problem):
    with pytest.raises(SplError, match=problem):
        pipeline.run(spl, events=STREAM)
