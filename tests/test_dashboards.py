"""Dashboards (package/default/data/ui/views) and the searches of the add-on's alerts.

Every search is checked without a Splunk: macros are expanded from macros.conf, dashboard tokens take
their default values, and a small SPL reader walks the pipeline, tracking which fields exist after each
command. A search may name only sourcetypes from props.conf, event types from eventtypes.conf, tags from
tags.conf, lookups from transforms.conf, and fields that the add-on produces for the families the search
reads: the CIM and vendor fields of the design (../shared/spec/cim-mapping.md §2), the fields of events
the family mappers produce (estreamer.events), the input's health and log fields, Splunk's built-in fields, and fields the
search itself creates. The reader knows the commands these searches use; a new command must be taught
to it before a dashboard may use it.
"""
import csv
import fnmatch
import functools
import re
import xml.etree.ElementTree as ET

import pytest

from test_knowledge_objects import DEFAULT, LOOKUPS, PREFIX, VIEWS, mapped_capture, read_conf

DASHBOARDS = sorted(VIEWS.glob("*.xml"))

# --- the fields this add-on produces ---------------------------------------------------------

def _words(text):
    return set(text.split())


# (a) The CIM fields of the design's field tables (cim-mapping.md §2.0-§2.8), per family.
CIM_FIELDS = {
    "connection": _words("""
        src src_ip dest dest_ip protocol_version transport protocol src_port dest_port icmp_type icmp_code
        action rule_id rule src_zone dest_zone src_interface dest_interface bytes bytes_in bytes_out
        packets packets_in packets_out duration session_id app user vlan tcp_flag src_translated_ip
        dest_translated_ip src_translated_port dest_translated_port
    """),
    "intrusion": _words("""
        src dest src_port dest_port transport ids_type signature_id signature category severity
        severity_id action user
    """),
    "file": _words("src dest file_hash file_name file_path category severity action signature user"),
    "malware": _words("src dest file_hash file_name file_path category severity action signature user"),
    "correlation": _words("id signature_id signature severity severity_id description src dest user type app"),
    "identity": _words("user user_id src dest action app authentication_method authentication_service"),
    "vpn": _words("action signature dest_ip dest_mac src_ip user duration"),
    "discovery": _words("dest os version"),
    "intrusion_extra": set(),
    "metadata": set(),
}
COMMON_CIM_FIELDS = _words("dvc vendor product vendor_product")
# (c) The input's own events: health (contract in props.conf) and its log (solnlib format).
INPUT_FIELDS = {
    "health": _words("""
        scope fmc input interval connected events rate lag reconnects parse_errors unknown_types
        unknown_blocks mapping_errors bookmark last_error dvc device_id last_event_time
        future_records duplicates_dropped
    """),
    "log": _words("log_level pid tid file message"),
}
# (d) Splunk's own fields; tstats sees only the indexed ones.
BUILTIN_FIELDS = _words("_time _raw _indextime host source sourcetype index eventtype tag splunk_server linecount")
INDEXED_FIELDS = _words("_time _indextime host source sourcetype index splunk_server")


@functools.lru_cache(maxsize=None)
def mapper_fields():
    """(b) The keys the family mappers produce, per family: the keys each mapper declares (it raises
    on any other) and those of the real capture's mapped events."""
    from estreamer.events import FIELDS

    fields = {family: set(keys) for family, keys in FIELDS.items()}
    for event in mapped_capture():
        fields.setdefault(event.sourcetype[len(PREFIX):], set()).update(event.event)
    return fields


def produced_fields(family):
    if family in INPUT_FIELDS:
        return set(INPUT_FIELDS[family])
    return CIM_FIELDS[family] | COMMON_CIM_FIELDS | mapper_fields().get(family, set())


# --- the add-on's configuration, as the reader sees it ------------------------------------------

class AddOn:
    """What a search may refer to: macros, sourcetypes, event types, tags, lookups."""

    def __init__(self):
        self.macros = read_conf(DEFAULT / "macros.conf")
        self.sourcetypes = {n for n in read_conf(DEFAULT / "props.conf") if not n.startswith("source::")}
        self.eventtypes = {n: st["search"] for n, st in read_conf(DEFAULT / "eventtypes.conf").items()}
        self.tags = {tag for stanza in read_conf(DEFAULT / "tags.conf").values() for tag in stanza}
        self.lookups = {}
        for name, stanza in read_conf(DEFAULT / "transforms.conf").items():
            if "filename" not in stanza:
                continue  # index-time transforms, not lookups
            path = LOOKUPS / stanza["filename"]
            self.lookups[name] = _csv_header(path) if path.is_file() else None  # None: columns unknown yet

    def family_of(self, sourcetype_pattern):
        return {st[len(PREFIX):] for st in self.sourcetypes if fnmatch.fnmatchcase(st, sourcetype_pattern)}


def _csv_header(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return set(next(csv.reader(handle)))


MACRO = re.compile(r"`([^`(]+)(?:\(([^`]*)\))?`")


def expand_macros(spl, macros, depth=0):
    """Replace every `macro` / `macro(args)` with its definition, recursively."""
    assert depth < 10, "macro recursion too deep in {!r}".format(spl)

    def replace(match):
        name, args = match.group(1), match.group(2)
        values = [a.strip() for a in args.split(",")] if args else []
        key = "{}({})".format(name, len(values)) if values else name
        if key not in macros:
            raise SplError("unknown macro `{}`".format(key))
        stanza = macros[key]
        definition = stanza["definition"]
        for param, value in zip(stanza.get("args", "").replace(" ", "").split(",") if values else [], values):
            definition = definition.replace("${}$".format(param), value)
        return definition

    expanded = MACRO.sub(replace, spl)
    return expanded if expanded == spl else expand_macros(expanded, macros, depth + 1)


# --- a reader for the SPL these searches use ----------------------------------------------------

class SplError(AssertionError):
    pass


TOKEN = re.compile(r"""
    \s+
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<quoted>'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|==|=|<|>|\(|\)|,|\||\[|\]|\+|-|\*(?![\w:*])|/|%|\.(?!\w))
  | (?P<word>[\w:*@$][\w:*.@$-]*)
""", re.X)
KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "TRUE", "FALSE", "NULL"}
COMPARISONS = {"=", "!=", "<", ">", "<=", ">=", "=="}
STATS_FUNCTIONS = re.compile(
    r"^(count|c|dc|distinct_count|estdc|sum|sumsq|avg|mean|min|max|range|median|mode|stdev|stdevp|var|varp"
    r"|latest|earliest|first|last|values|list|latest_time|earliest_time|rate|per_second|per_minute"
    r"|per_hour|per_day|(exact|upper)?perc\d+|p\d+)$")
COMMAND_OPTIONS = {
    "stats": {"allnum", "delim", "partitions"},
    "eventstats": {"allnum"},
    "streamstats": {"allnum", "current", "global", "window", "time_window", "reset_on_change"},
    "timechart": {"span", "limit", "useother", "usenull", "bins", "cont", "partial", "fixedrange", "minspan",
                  "format", "sep", "otherstr", "nullstr", "agg"},
    "chart": {"limit", "useother", "usenull", "cont", "format", "sep", "otherstr", "nullstr", "span", "bins"},
    "top": {"limit", "countfield", "percentfield", "showcount", "showperc", "useother", "otherstr"},
    "rare": {"limit", "countfield", "percentfield", "showcount", "showperc", "useother", "otherstr"},
    "tstats": {"prestats", "summariesonly", "allow_old_summaries", "local", "append", "chunk_size", "span"},
    "addtotals": {"row", "col", "fieldname", "labelfield", "label"},
    "fillnull": {"value"},
    "bin": {"span", "bins", "minspan", "start", "end", "aligntime"},
}


def tokenize(spl):
    tokens, pos = [], 0
    while pos < len(spl):
        match = TOKEN.match(spl, pos)
        if not match:
            raise SplError("cannot read SPL at {!r}".format(spl[pos:pos + 30]))
        pos = match.end()
        kind = match.lastgroup
        if kind:
            tokens.append((kind, match.group(kind)))
    return tokens


def split_pipeline(tokens):
    commands, current, depth = [], [], 0
    for token in tokens:
        if token == ("op", "["):
            raise SplError("subsearches are not supported by this reader")
        depth += token == ("op", "(")
        depth -= token == ("op", ")")
        if token == ("op", "|") and depth == 0:
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    return commands


def split_commas(tokens):
    parts, current, depth = [], [], 0
    for token in tokens:
        depth += token == ("op", "(")
        depth -= token == ("op", ")")
        if token == ("op", ",") and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return [part for part in parts if part]


def is_number(text):
    return re.fullmatch(r"\d+(\.\d+)?", text) is not None


def parse_terms(tokens):
    """Search terms -> [(field, values)]; free text is refused (the add-on's searches always name fields)."""
    terms, index = [], 0
    while index < len(tokens):
        kind, text = tokens[index]
        if (kind == "op" and text in "()") or (kind == "word" and text.upper() in ("AND", "OR", "NOT")):
            index += 1
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if kind == "word" and following and following[0] == "op" and following[1] in COMPARISONS:
            value = tokens[index + 2][1] if index + 2 < len(tokens) else ""
            terms.append((text, [value.strip('"')]))
            index += 3
        elif kind == "word" and following == ("word", "IN"):
            end = index + 2
            while tokens[end] != ("op", ")"):
                end += 1
            values = [t[1].strip('"') for t in tokens[index + 3:end] if t != ("op", ",")]
            terms.append((text, values))
            index = end + 1
        else:
            raise SplError("free-text term {!r}".format(text))
    return terms


class Search:
    """Walks one search command by command; `fields` is what exists after each command."""

    def __init__(self, addon, spl):
        self.addon = addon
        self.raw = spl
        self.families = set()
        self.fields = set()
        self.dynamic = False  # after timechart/chart BY: columns are named after field values
        self.run(expand_macros(spl, addon.macros))

    # fields ------------------------------------------------------------------------------------
    def need(self, name, context):
        if "*" in name or name in self.fields or self.dynamic:
            return
        raise SplError("{}: field {!r} does not exist here (families: {})".format(
            context, name, ", ".join(sorted(self.families)) or "none"))

    def expression(self, tokens, context):
        """Field references in an eval/where expression: bare words not called as functions, and 'quoted' names."""
        for index, (kind, text) in enumerate(tokens):
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if kind == "quoted":
                self.need(text[1:-1], context)
            elif kind == "word" and following != ("op", "(") and not is_number(text) \
                    and text.upper() not in KEYWORDS:
                self.need(text, context)

    # pipeline ----------------------------------------------------------------------------------
    def run(self, spl):
        if "$" in spl:
            raise SplError("unresolved token in {!r}".format(spl))
        commands = split_pipeline(tokenize(spl))
        first, rest = commands[0], commands[1:]
        if first:
            self.event_search(first)
        elif not rest:
            raise SplError("empty search")
        for command in rest:
            if not command or command[0][0] != "word":
                raise SplError("malformed command {!r}".format(command))
            name, args = command[0][1].lower(), command[1:]
            handler = getattr(self, "cmd_" + {"bucket": "bin"}.get(name, name), None)
            if handler is None:
                raise SplError("command {!r} is not known to this reader".format(name))
            handler(args)

    def scope(self, terms):
        """The families a search reads, from its sourcetype and eventtype terms (all of them if none)."""
        for field, values in terms:
            for value in values:
                if field == "sourcetype":
                    families = self.addon.family_of(value)
                    if not families:
                        raise SplError("sourcetype {!r} is not defined in props.conf".format(value))
                    self.families |= families
                elif field == "eventtype":
                    if value not in self.addon.eventtypes:
                        raise SplError("eventtype {!r} is not defined in eventtypes.conf".format(value))
                    (st,) = [v for f, vs in parse_terms(tokenize(self.addon.eventtypes[value]))
                             for v in vs if f == "sourcetype"]
                    self.families |= self.addon.family_of(st)
                elif field == "tag" and value not in self.addon.tags:
                    raise SplError("tag {!r} is not set by tags.conf".format(value))
        if not self.families:
            self.families = set(CIM_FIELDS)
        self.fields = set(BUILTIN_FIELDS)
        for family in self.families:
            self.fields |= produced_fields(family)

    def check_terms(self, terms, context):
        for field, _ in terms:
            if field not in ("earliest", "latest", "index", "sourcetype", "eventtype", "tag"):
                self.need(field, context)

    def event_search(self, tokens):
        terms = parse_terms(tokens)
        self.scope(terms)
        self.check_terms(terms, "search")

    # commands ----------------------------------------------------------------------------------
    def options(self, command, args):
        """Leading and trailing name=value options of a command -> (options, remaining tokens)."""
        allowed, options, rest, index = COMMAND_OPTIONS.get(command, set()), {}, [], 0
        while index < len(args):
            kind, text = args[index]
            if kind == "word" and text in allowed and index + 1 < len(args) and args[index + 1] == ("op", "="):
                options[text] = args[index + 2][1]
                index += 3
            else:
                rest.append(args[index])
                index += 1
        return options, rest

    def aggregations(self, tokens, context):
        """`func(field) [AS name]` / `count` / `func(eval(expr)) AS name` -> output names."""
        outputs, index = [], 0
        while index < len(tokens):
            kind, text = tokens[index]
            if kind != "word" or not STATS_FUNCTIONS.match(text):
                raise SplError("{}: {!r} is not an aggregation".format(context, text))
            default = text
            index += 1
            if index < len(tokens) and tokens[index] == ("op", "("):
                end, depth = index, 0
                while True:
                    depth += tokens[end] == ("op", "(")
                    depth -= tokens[end] == ("op", ")")
                    if depth == 0:
                        break
                    end += 1
                inner = tokens[index + 1:end]
                if inner and inner[0] == ("word", "eval"):
                    self.expression(inner[2:-1], context)
                else:
                    (arg,) = [t[1] for t in inner]
                    self.need(arg, context)
                    default = "{}({})".format(text, arg)
                index = end + 1
            if index < len(tokens) and tokens[index][1].upper() == "AS":
                default = tokens[index + 1][1]
                index += 2
            outputs.append(default)
        return outputs

    def field_list(self, tokens):
        return [text for kind, text in tokens if kind in ("word", "string") and text != ","]

    def stats_like(self, command, args, keep_fields):
        options, args = self.options(command, args)
        words = [t[1].upper() for t in args]
        split = words.index("BY") if "BY" in words else len(args)
        over = words.index("OVER") if "OVER" in words else split
        aggregations = self.aggregations(args[:min(over, split)], command)
        groups = self.field_list(args[over + 1:split]) + self.field_list(args[split + 1:])
        for field in groups:
            self.need(field, command)
        produced = set(aggregations) | set(groups)
        self.fields = self.fields | produced if keep_fields else produced
        return options, groups

    def cmd_stats(self, args):
        self.stats_like("stats", args, keep_fields=False)

    def cmd_eventstats(self, args):
        self.stats_like("eventstats", args, keep_fields=True)

    def cmd_streamstats(self, args):
        self.stats_like("streamstats", args, keep_fields=True)

    def cmd_timechart(self, args):
        _, groups = self.stats_like("timechart", args, keep_fields=False)
        self.fields = (self.fields - set(groups)) | {"_time"}
        self.dynamic = bool(groups)  # one column per value of the BY field

    def cmd_chart(self, args):
        words = [t[1].upper() for t in args]
        split = words.index("BY") if "BY" in words else len(args)
        _, groups = self.stats_like("chart", args, keep_fields=False)
        self.fields -= set(self.field_list(args[split + 1:]))
        self.dynamic = split < len(args)

    def cmd_top(self, args):
        options, args = self.options("top", args)
        fields = self.field_list([t for t in args if t[1].upper() != "BY"])
        for field in fields:
            self.need(field, "top")
        self.fields = set(fields) | {options.get("countfield", "count"), options.get("percentfield", "percent")}

    cmd_rare = cmd_top

    def cmd_tstats(self, args):
        options, args = self.options("tstats", args)
        words = [t[1].upper() for t in args]
        if "FROM" in words:
            raise SplError("tstats FROM a data model is not used by this add-on")
        where = words.index("WHERE") if "WHERE" in words else None
        split = words.index("BY") if "BY" in words else len(args)
        aggregations_end = where if where is not None else split
        terms = parse_terms(args[where + 1:split]) if where is not None else []
        self.scope(terms)
        self.check_terms(terms, "tstats")
        self.fields = set(INDEXED_FIELDS)  # tstats sees indexed fields only
        aggregations = self.aggregations(args[:aggregations_end], "tstats")
        groups = self.field_list(args[split + 1:])
        for field in groups:
            self.need(field, "tstats")
        if options.get("prestats", "f").lower() in ("t", "true", "1"):
            self.fields = set(groups) | set(INDEXED_FIELDS)
        else:
            self.fields = set(aggregations) | set(groups)

    def cmd_search(self, args):
        self.check_terms(parse_terms(args), "search")

    def cmd_where(self, args):
        self.expression(args, "where")

    def cmd_eval(self, args):
        for assignment in split_commas(args):
            if len(assignment) < 3 or assignment[1] != ("op", "="):
                raise SplError("eval: malformed assignment {!r}".format(assignment))
            self.expression(assignment[2:], "eval")
            self.fields.add(assignment[0][1])

    def cmd_rename(self, args):
        for pair in split_commas(args):
            old, keyword, new = [t[1].strip('"') for t in pair]
            assert keyword.upper() == "AS"
            self.need(old, "rename")
            if "*" in old:
                continue  # wildcard renames rename value-named columns (after timechart BY)
            self.fields.discard(old)
            self.fields.add(new)

    def cmd_table(self, args):
        fields = self.field_list(args)
        for field in fields:
            self.need(field, "table")
        self.fields = set(fields)

    def cmd_fields(self, args):
        if args and args[0] == ("op", "-"):
            for field in self.field_list(args[1:]):
                self.need(field, "fields")
                self.fields.discard(field)
        else:
            self.cmd_table(args[1:] if args and args[0] == ("op", "+") else args)

    def cmd_sort(self, args):
        for kind, text in args:
            if kind == "word" and not is_number(text):
                self.need(text, "sort")

    def cmd_head(self, args):
        if len(args) > 1 or (args and not is_number(args[0][1])):
            raise SplError("head takes only a count here")

    cmd_tail = cmd_head

    def cmd_dedup(self, args):
        for field in self.field_list(args):
            self.need(field, "dedup")

    def cmd_fillnull(self, args):
        _, args = self.options("fillnull", args)
        for field in self.field_list(args):
            self.need(field, "fillnull")

    def cmd_addtotals(self, args):
        options, args = self.options("addtotals", args)
        for field in self.field_list(args):
            self.need(field, "addtotals")
        self.fields.add(options.get("fieldname", "Total"))

    def cmd_bin(self, args):
        _, args = self.options("bin", args)
        names = self.field_list(args)
        self.need(names[0], "bin")
        if len(names) == 3 and names[1].upper() == "AS":
            self.fields.add(names[2])

    def cmd_lookup(self, args):
        if not args or args[0][0] != "word":
            raise SplError("lookup without a table")
        table = args[0][1]
        if table not in self.addon.lookups:
            raise SplError("lookup {!r} is not defined in transforms.conf".format(table))
        columns = self.addon.lookups[table]
        words = [t[1].upper() for t in args]
        split = next((i for i, w in enumerate(words) if w in ("OUTPUT", "OUTPUTNEW")), len(args))

        def pairs(tokens):
            names = self.field_list([t for t in tokens if t != ("op", ",")])
            result, index = [], 0
            while index < len(names):
                if index + 2 < len(names) and names[index + 1].upper() == "AS":
                    result.append((names[index], names[index + 2]))
                    index += 3
                else:
                    result.append((names[index], names[index]))
                    index += 1
            return result

        for column, field in pairs(args[1:split]):
            if columns is not None and column not in columns:
                raise SplError("lookup {}: no column {!r}".format(table, column))
            self.need(field, "lookup")
        for column, field in pairs(args[split + 1:]):
            if columns is not None and column not in columns:
                raise SplError("lookup {}: no column {!r}".format(table, column))
            self.fields.add(field)


# --- dashboards ----------------------------------------------------------------------------------

def token_defaults(root):
    """Each input token -> the text it puts into a search at its default value."""
    values = {}
    for node in root.iter("input"):
        token = node.get("token")
        if node.get("type") == "time":
            default = node.find("default")
            values[token + ".earliest"] = default.findtext("earliest")
            values[token + ".latest"] = default.findtext("latest")
            continue
        default = node.findtext("default") or node.findtext("initialValue")
        if default is None:
            raise SplError("input {!r} has no default".format(token))
        chosen = [default] if node.get("type") != "multiselect" else default.split(",")
        inner = (node.findtext("delimiter") or " ").join(
            (node.findtext("valuePrefix") or "") + v + (node.findtext("valueSuffix") or "") for v in chosen)
        values[token] = (node.findtext("prefix") or "") + inner + (node.findtext("suffix") or "")
    return values


def substitute(text, tokens):
    def replace(match):
        name = match.group(1)
        if name == "":
            return "$"
        if name not in tokens:
            raise SplError("token ${}$ has no input".format(name))
        return tokens[name]

    return re.sub(r"\$([\w.]*)\$", replace, text)


def dashboard_searches(path):
    """(label, search element, full query with tokens at their defaults) for every search of a dashboard."""
    root = ET.parse(path).getroot()
    tokens = token_defaults(root)
    by_id = {node.get("id"): node for node in root.iter("search") if node.get("id")}
    found = []
    for index, node in enumerate(root.iter("search")):
        query = node.findtext("query")
        if query is None:
            continue
        if node.get("base"):
            base = by_id[node.get("base")].findtext("query")
            query = base.rstrip() + " | " + query.strip().lstrip("|")
        label = "{}#{}".format(path.stem, index)
        found.append((label, node, substitute(query, tokens)))
    return found


def all_dashboard_searches():
    return [pytest.param(node, query, id=label)
            for path in DASHBOARDS for label, node, query in dashboard_searches(path)]


def saved_searches():
    return [pytest.param(stanza["search"], id=name)
            for name, stanza in read_conf(DEFAULT / "savedsearches.conf").items()]


@pytest.fixture(scope="module")
def addon():
    return AddOn()


def test_there_are_the_six_dashboards():
    assert {path.stem for path in DASHBOARDS} == {
        "firepower_overview", "firepower_connections", "firepower_intrusions", "firepower_files_malware",
        "firepower_users_hosts", "firepower_input_health"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_is_simple_xml_1_1_with_a_label(path):
    root = ET.parse(path).getroot()
    assert root.tag in ("form", "dashboard")
    assert root.get("version") == "1.1"  # AppInspect fails dashboards of an older (or no) version
    assert root.findtext("label").strip()


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_queries_never_name_an_index_or_sourcetype(path):
    for node in ET.parse(path).getroot().iter("query"):
        assert not re.search(r"\b(index|sourcetype)\s*=|cisco:firepower", node.text), node.text
        assert "`cisco_firepower_" in node.text, "data must come through the add-on's macros: " + node.text


@pytest.mark.parametrize("node, query", all_dashboard_searches())
def test_dashboard_search_follows_the_time_picker(node, query):
    assert node.findtext("earliest") == "$time.earliest$"
    assert node.findtext("latest") == "$time.latest$"


@pytest.mark.parametrize("node, query", all_dashboard_searches())
def test_dashboard_search_refers_only_to_what_the_add_on_produces(addon, node, query):
    Search(addon, query)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_input_choices_and_formats_use_fields_their_search_returns(addon, path):
    root = ET.parse(path).getroot()
    tokens = token_defaults(root)
    for node in root.iter("input"):
        search = node.find("search")
        if search is None:
            continue
        result = Search(addon, substitute(search.findtext("query"), tokens))
        for tag in ("fieldForLabel", "fieldForValue"):
            result.need(node.findtext(tag), tag)
    for panel in root.iter("table"):
        formats = list(panel.iter("format"))
        if formats:
            result = Search(addon, substitute(panel.find("search").findtext("query"), tokens))
            for fmt in formats:
                result.need(fmt.get("field"), "format")


@pytest.mark.parametrize("search", saved_searches())
def test_alert_search_refers_only_to_what_the_add_on_produces(addon, search):
    Search(addon, search)


def test_built_add_on_keeps_this_nav_next_to_the_ucc_pages(built):
    # ucc-gen writes its own nav only when package/default/data/ui/nav/default.xml does not exist.
    ui = built["app"] / "default" / "data" / "ui"
    assert (ui / "nav" / "default.xml").read_bytes() == (DEFAULT / "data" / "ui" / "nav" / "default.xml").read_bytes()
    nav_views = {view.get("name") for view in ET.parse(ui / "nav" / "default.xml").getroot().iter("view")}
    shipped = {path.stem for path in (ui / "views").glob("*.xml")}
    assert nav_views - {"search"} <= shipped
    assert {"inputs", "configuration"} | {path.stem for path in DASHBOARDS} <= shipped


# --- the reader can fail -------------------------------------------------------------------------

@pytest.mark.parametrize("spl, problem", [
    ("`cisco_firepower_connection_events` | stats count BY signature", "field 'signature'"),
    ("`cisco_firepower_intrusion_events` | stats count BY src | table src dest", "field 'dest'"),
    ("`cisco_firepower_no_such_events` | stats count", "unknown macro"),
    ("`cisco_firepower_index` sourcetype=cisco:firepower:estreamer:nope | stats count", "not defined in props"),
    ("`cisco_firepower_index` eventtype=cisco_firepower_nope | stats count", "not defined in eventtypes"),
    ("`cisco_firepower_connection_events` | lookup cisco_firepower_nope protocol_id OUTPUT x", "not defined in transforms"),
    ("`cisco_firepower_connection_events` blocked | stats count", "free-text term"),
    ("`cisco_firepower_connection_events` | transaction src", "not known to this reader"),
    ("| tstats count WHERE `cisco_firepower_connection_events` BY dvc", "field 'dvc'"),
    ("`cisco_firepower_connection_events` host=\"$fmc$\" | stats count", "unresolved token"),
])
def test_reader_rejects_what_the_add_on_does_not_produce(addon, spl, problem):
    with pytest.raises(SplError, match=re.escape(problem)):
        Search(addon, spl)


def test_reader_follows_fields_through_the_pipeline(addon):
    search = Search(addon, "`cisco_firepower_connection_events` | eval service = transport . \"/\" . dest_port "
                           "| stats count dc(src) AS clients BY service | rename clients AS sources "
                           "| addtotals fieldname=total | fields - count")
    assert search.families == {"connection"}
    assert search.fields == {"service", "sources", "total"}


def test_reader_adds_lookup_outputs_and_checks_their_columns(addon):
    search = Search(addon, "`cisco_firepower_connection_events` "
                           "| lookup cisco_firepower_ip_protocols protocol_id OUTPUT ip_proto AS keyword "
                           "| stats count BY keyword")
    assert search.fields == {"count", "keyword"}
    if addon.lookups["cisco_firepower_ip_protocols"] is None:
        pytest.skip("package/lookups/cisco_firepower_ip_protocols.csv is not written yet")
    with pytest.raises(SplError, match="no column 'keyword'"):
        Search(addon, "`cisco_firepower_connection_events` | lookup cisco_firepower_ip_protocols protocol_id OUTPUT keyword")


def test_reader_scopes_eventtype_searches_to_their_family(addon):
    search = Search(addon, "`cisco_firepower_malware_detections` | stats count BY disposition")
    assert search.families == {"file", "malware"}


def test_multiselect_token_expands_with_prefixes_and_delimiter():
    root = ET.fromstring(
        '<form><fieldset><input type="multiselect" token="sev"><default>high,low</default>'
        '<prefix>(</prefix><suffix>)</suffix><valuePrefix>severity="</valuePrefix><valueSuffix>"</valueSuffix>'
        '<delimiter> OR </delimiter></input></fieldset></form>')
    assert substitute("x $sev$", token_defaults(root)) == 'x (severity="high" OR severity="low")'
