"""SPL pipelines run over indexed events or over a base search's results.

    results = Pipeline(head).run(spl, events=[indexed(event), …], now=…)
    results.rows        # the result rows, as dicts
    results.dropped     # [(command, field, rows)]: rows a BY field dropped (stats) or put
                        # under NULL (chart, timechart)

Macros are expanded from macros.conf first ("Search Manual: Use search macros": ``$arg$``
substitution, nested macros). The commands this add-on's searches use are modelled from the
Search Reference, each as its page describes it; any other command, option or function is a
:class:`SplError` rather than a guess. A command that reads a field no input row has is an
error too (a search naming a field the add-on never produces finds nothing in Splunk).

* ``search``: :mod:`.search`; the first command reads the events' search-time fields
  (:class:`~searchtime.knowledge.SearchHead`).
* ``stats``, ``eventstats`` — ``count``, ``count(f)``, ``count(eval(…))``, ``dc``, ``sum``,
  ``avg``, ``min``, ``max``, ``latest``, ``earliest``, ``values``, ``first``, ``last``; rows
  without a BY field are left out ("stats": "events without a value for a BY field are not
  counted"); a multivalue BY field counts the row under each of its values; groups come out in
  ascending order of their BY values.
* ``timechart`` (``span``, ``limit``, ``useother``, ``usenull``) and ``chart … OVER … BY``: a
  row without the split field goes under ``NULL``; past ``limit`` (10) series go under
  ``OTHER``; every time bucket between the first and the last is present, ``count`` 0 in empty
  ones.
* ``tstats``: over indexed fields only (WHERE and BY on ``host``, ``source``, ``sourcetype``,
  ``index``, ``_time`` with ``span``), or ``FROM datamodel=<Model>[.<Dataset>]``: the events
  meeting the dataset's constraints (and its parents'), its fields named ``<Root>.<field>``.
* ``eval``, ``where`` (:mod:`.evaluate`), ``rename`` (wildcards), ``table``, ``fields``, ``sort``,
  ``head``, ``fillnull``, ``addtotals``, ``bin``/``bucket``, ``lookup``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .evaluate import EvalError, Expression, assigned, truth
from .knowledge import INDEXED_FIELDS, ModelError
from .search import Search, SearchError, glob
from .values import number, present, render, values_of


class SplError(ValueError):
    """A search this model cannot run, or one that refers to what does not exist."""


# --- macros ------------------------------------------------------------------------------------

_MACRO = re.compile(r"`([^`(]+)(?:\(([^`]*)\))?`")


def expand_macros(spl: str, macros: dict, depth: int = 0) -> str:
    """Every `macro` / `macro(args)` replaced by its definition, recursively."""
    if depth > 20:
        raise SplError(f"macro recursion too deep in {spl!r}")

    def replace(match):
        name, args = match.group(1), match.group(2)
        values = [a.strip() for a in args.split(",")] if args else []
        key = f"{name}({len(values)})" if values else name
        if key not in macros:
            raise SplError(f"unknown macro `{key}`")
        stanza = macros[key]
        definition = stanza["definition"]
        params = [p.strip() for p in stanza.get("args", "").split(",")] if values else []
        for param, value in zip(params, values):
            definition = definition.replace(f"${param}$", value)
        return definition

    expanded = _MACRO.sub(replace, spl)
    return expanded if expanded == spl else expand_macros(expanded, macros, depth + 1)


# --- reading commands --------------------------------------------------------------------------

def split_pipeline(spl: str):
    """The commands of a pipeline: split at ``|`` outside quotes, parentheses and brackets."""
    commands, start, depth, quote, position = [], 0, 0, None, 0
    while position < len(spl):
        char = spl[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "([":
            if char == "[":
                raise SplError("subsearches are not modelled")
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            commands.append(spl[start:position].strip())
            start = position + 1
        position += 1
    if quote or depth:
        raise SplError(f"unbalanced quotes or parentheses in {spl!r}")
    commands.append(spl[start:].strip())
    return commands


_ARG = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<punct>[(),=])|(?P<word>[^\s(),="]+))')


@dataclass
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def value(self):
        return re.sub(r"\\(.)", r"\1", self.text[1:-1]) if self.kind == "string" else self.text


def arg_tokens(text: str):
    out, position = [], 0
    while text[position:].strip():
        found = _ARG.match(text, position)
        if found is None:
            raise SplError(f"cannot read {text[position:position + 30]!r}")
        kind = found.lastgroup
        out.append(Token(kind, found.group(kind), found.start(kind), found.end(kind)))
        position = found.end()
    return out


def _is(token, text):
    return token is not None and token.kind in ("word", "punct") and token.text.upper() == text


def _options(tokens, allowed):
    """The command's ``name=value`` options named in ``allowed`` → (options, other tokens)."""
    options, rest, index = {}, [], 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "word" and token.text in allowed and index + 2 < len(tokens) \
                and _is(tokens[index + 1], "="):
            options[token.text] = tokens[index + 2].value
            index += 3
        else:
            rest.append(token)
            index += 1
    return options, rest


def _flag(options, name, default):
    value = options.get(name)
    if value is None:
        return default
    return value.lower() in ("t", "true", "1")


_SPAN = re.compile(r"(\d+)(s|sec|m|min|h|hr|d)")
_SPAN_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def span_seconds(text: str) -> int:
    found = _SPAN.fullmatch(text)
    if found is None:
        raise SplError(f"span={text} is not modelled")
    return int(found.group(1)) * _SPAN_SECONDS[found.group(2)]


# Automatic timechart spans ("timechart": bins=100 by default).
_AUTO_SPANS = (1, 10, 30, 60, 300, 600, 1800, 3600, 86400, 604800, 2592000)


def auto_span(low: float, high: float) -> int:
    for span in _AUTO_SPANS:
        if (high - low) / span <= 100:
            return span
    return _AUTO_SPANS[-1]


# --- aggregations ------------------------------------------------------------------------------

_FUNCTIONS = {"count", "c", "dc", "distinct_count", "sum", "avg", "mean", "min", "max", "latest",
              "earliest", "values", "first", "last", "range"}


@dataclass
class Aggregation:
    function: str
    field: str = None            # the field read (None: count of rows)
    expression: Expression = None
    name: str = ""

    def values(self, rows):
        if self.expression is not None:
            out = []
            for row in rows:
                value = self.expression(row, None)
                if value is True:
                    out.append(1)  # count(eval(x="y")) counts the rows where it holds
                elif value is not None and value is not False:
                    out.extend(values_of(value))
            return out
        return [item for row in rows for item in values_of(row.get(self.field))]

    def __call__(self, rows):
        function = {"c": "count", "distinct_count": "dc", "mean": "avg"}.get(self.function,
                                                                             self.function)
        if function == "count" and self.field is None and self.expression is None:
            return len(rows)
        if function in ("latest", "earliest"):
            timed = [(row.get("_time"), row[self.field]) for row in rows
                     if row.get(self.field) is not None]
            if not timed:
                return None
            chosen = (max if function == "latest" else min)(timed, key=lambda item: item[0])
            return chosen[1]
        values = self.values(rows)
        if function == "count":
            return len(values)
        if function == "dc":
            return len({render(value) for value in values})
        if function == "values":
            distinct = sorted({render(value) for value in values})
            return None if not distinct else distinct[0] if len(distinct) == 1 else distinct
        if function in ("first", "last"):
            return None if not values else values[0 if function == "first" else -1]
        numbers = [n for n in (number(value) for value in values) if n is not None]
        if function in ("min", "max"):
            if not values:
                return None
            if len(numbers) == len(values):
                return (min if function == "min" else max)(numbers)
            return (min if function == "min" else max)(render(value) for value in values)
        if not numbers:
            return None
        if function == "sum":
            return sum(numbers)
        if function == "avg":
            return sum(numbers) / len(numbers)
        if function == "range":
            return max(numbers) - min(numbers)
        raise SplError(f"stats function {self.function} is not modelled")


def parse_aggregations(tokens, text):
    """``count dc(src) AS clients sum(eval(…)) AS x`` → [Aggregation]."""
    out, index = [], 0
    while index < len(tokens):
        token = tokens[index]
        if _is(token, ","):
            index += 1
            continue
        if token.kind != "word" or token.text.lower() not in _FUNCTIONS:
            raise SplError(f"stats function {token.text!r} is not modelled")
        aggregation = Aggregation(token.text.lower())
        index += 1
        if index < len(tokens) and _is(tokens[index], "("):
            close = _closing(tokens, index)
            inner = tokens[index + 1:close]
            if inner and inner[0].text.lower() == "eval" and len(inner) > 2 and _is(inner[1], "("):
                source = text[inner[2].start:tokens[close - 1].start].strip()
                try:
                    aggregation.expression = Expression(source)
                except EvalError as error:
                    raise SplError(str(error)) from None
            elif len(inner) == 1:
                aggregation.field = inner[0].value
            else:
                raise SplError(f"cannot read {text[token.start:tokens[close].end]!r}")
            name = text[token.start:tokens[close].end]
            index = close + 1
        else:
            name = token.text
        if index + 1 < len(tokens) and _is(tokens[index], "AS"):
            name = tokens[index + 1].value
            index += 2
        aggregation.name = name
        out.append(aggregation)
    return out


def _closing(tokens, open_index):
    depth = 0
    for index in range(open_index, len(tokens)):
        if _is(tokens[index], "("):
            depth += 1
        elif _is(tokens[index], ")"):
            depth -= 1
            if depth == 0:
                return index
    raise SplError("unbalanced parentheses")


def _names(tokens):
    """Field names of a list (commas optional); anything else is an error."""
    for token in tokens:
        if token.kind == "punct" and token.text != ",":
            raise SplError(f"{token.text!r} where a field name was expected (an option this "
                           "model does not know?)")
    return [token.value for token in tokens if not _is(token, ",")]


def _sort_key(value):
    n = number(value)
    return (0, n, "") if n is not None else (1, 0, render(value))


def _group_keys(row, fields):
    """The BY-value combinations of a row (a multivalue field gives one per value), or None
    when a BY field is absent."""
    combos = [()]
    for name in fields:
        values = [v for v in values_of(row.get(name)) if render(v) != ""]
        if not values:
            return None
        combos = [combo + (value,) for combo in combos for value in values]
    return combos


@dataclass
class Results:
    rows: list
    dropped: list = field(default_factory=list)

    def column(self, name):
        return [row.get(name) for row in self.rows]


class _Env:
    def __init__(self, now):
        self.now = now


class Pipeline:
    """Runs SPL for one search head (its macros, lookups, event types and data models)."""

    def __init__(self, head):
        self.head = head

    def run(self, spl: str, events=None, rows=None, now=None) -> Results:
        """``events``: indexed events for a search that starts with search terms or
        ``tstats``; ``rows``: a base search's results for a post-process search (which may
        start without ``|``)."""
        expanded = expand_macros(spl, self.head.macros)
        token = re.search(r"\$\w[\w.]*\$", expanded)
        if token:
            raise SplError(f"unresolved token {token.group()} in {expanded!r}")
        commands = split_pipeline(expanded)
        run = _Run(self.head, events or [], now)
        if rows is not None:
            run.rows = [dict(row) for row in rows]
        elif commands[0]:
            run.first_search(commands[0])
        elif len(commands) > 1:
            run.generating(commands[1])
            commands = commands[1:]
        else:
            raise SplError("empty search")
        rest = commands[1:] if rows is None or not commands[0] else commands
        for command in rest:
            run.command(command)
        return Results(run.rows, run.dropped)


class _Run:
    def __init__(self, head, events, now):
        self.head, self.events = head, events
        self.env = _Env(now if now is not None else max(
            (event["_time"] for event in events), default=0) + 60)
        self.rows, self.dropped = [], []

    # fields ------------------------------------------------------------------------------------
    def need(self, names, context):
        if not self.rows:
            return
        for name in names:
            if "*" in name:
                continue
            if not any(row.get(name) is not None for row in self.rows):
                raise SplError(f"{context}: field {name!r} does not exist in any of the "
                               f"{len(self.rows)} rows here")

    def drop(self, command, fields, kept):
        for name in fields:
            missing = sum(1 for row in kept if not present(row.get(name)))
            if missing:
                self.dropped.append((command, name, missing))

    # commands ----------------------------------------------------------------------------------
    def first_search(self, text):
        try:
            search = Search(text)
        except SearchError as error:
            raise SplError(str(error)) from None
        rows = [self.head.fields(event) for event in self.events]
        self.rows = rows
        self.need(search.fields - {"index", "sourcetype", "eventtype", "tag", "host", "source"},
                  "search")
        self.rows = [row for row in rows if search(row)]

    def generating(self, text):
        name, _, args = text.partition(" ")
        if name != "tstats":
            raise SplError(f"generating command {name!r} is not modelled")
        self.cmd_tstats(args, text)

    def command(self, text):
        name, _, args = text.strip().partition(" ")
        name = {"bucket": "bin"}.get(name.lower(), name.lower())
        handler = getattr(self, "cmd_" + name, None)
        if handler is None:
            raise SplError(f"command {name!r} is not modelled")
        handler(args, text)

    def cmd_search(self, args, text):
        try:
            search = Search(args)
        except SearchError as error:
            raise SplError(str(error)) from None
        self.need(search.fields, "search")
        self.rows = [row for row in self.rows if search(row)]

    def cmd_where(self, args, text):
        expression = self._expression(args)
        self.need(expression.fields, "where")
        self.rows = [row for row in self.rows if truth(expression(row, self.env), "where")]

    def cmd_eval(self, args, text):
        for assignment in _split_top(args, ","):
            target, separator, source = assignment.partition("=")
            target = target.strip().strip("'\"")
            if not separator or not re.fullmatch(r"[\w.{}:]+", target) or source.startswith("="):
                raise SplError(f"eval: malformed assignment {assignment!r}")
            expression = self._expression(source)
            self.need(expression.fields, "eval")
            for row in self.rows:
                try:
                    value = assigned(expression(row, self.env), target)
                except EvalError as error:
                    raise SplError(str(error)) from None
                if value is None:
                    row.pop(target, None)
                else:
                    row[target] = value

    def _expression(self, source):
        try:
            return Expression(source.strip())
        except EvalError as error:
            raise SplError(str(error)) from None

    def _stats(self, command, args, keep_rows):
        tokens = arg_tokens(args)
        words = [token.text.upper() for token in tokens]
        split = words.index("BY") if "BY" in words else len(tokens)
        self._aggregate(command, parse_aggregations(tokens[:split], args),
                        _names(tokens[split + 1:]), keep_rows)

    def _aggregate(self, command, aggregations, groups, keep_rows):
        self.need([a.field for a in aggregations if a.field] +
                  [f for a in aggregations if a.expression for f in a.expression.fields] + groups,
                  command)
        buckets = {}
        for position, row in enumerate(self.rows):
            for key in _group_keys(row, groups) or ():
                buckets.setdefault(key, []).append(position)
        self.drop(command, groups, self.rows)
        if keep_rows:
            for positions in buckets.values():
                members = [self.rows[p] for p in positions]
                for aggregation in aggregations:
                    value = aggregation(members)
                    if value is not None:
                        for member in members:
                            member[aggregation.name] = value
            return
        if not groups:
            buckets = {(): list(range(len(self.rows)))}
        out = []
        for key in sorted(buckets, key=lambda k: [_sort_key(v) for v in k]):
            members = [self.rows[p] for p in buckets[key]]
            row = dict(zip(groups, key))
            for aggregation in aggregations:
                value = aggregation(members)
                if value is not None:
                    row[aggregation.name] = value
            out.append(row)
        self.rows = out

    def cmd_stats(self, args, text):
        self._stats("stats", args, keep_rows=False)

    def cmd_eventstats(self, args, text):
        self._stats("eventstats", args, keep_rows=True)

    def _series(self, command, rows, aggregations, split, options, names=None):
        """{series name: rows} of a chart/timechart split: rows without the split field under
        NULL (recorded), past ``limit`` series under OTHER; ``names`` fixes the series (a
        chart's columns, decided over all rows)."""
        if split is None:
            return {None: rows}
        series = {}
        for row in rows:
            values = [v for v in values_of(row.get(split)) if render(v) != ""]
            if not values:
                if _flag(options, "usenull", True):
                    series.setdefault("NULL", []).append(row)
                continue
            for value in values:
                series.setdefault(render(value), []).append(row)
        if names is not None:
            other = [row for name in list(series) if name not in names
                     for row in series.pop(name)]
            if "OTHER" in names:
                series["OTHER"] = other
            return series
        if series.get("NULL"):
            self.dropped.append((command, split, len(series["NULL"])))
        limit = int(options.get("limit", 10))
        named = [name for name in series if name != "NULL"]
        if limit and len(named) > limit:
            ranked = sorted(named, key=lambda name: -(number(aggregations[0](series[name])) or 0))
            other = [row for name in ranked[limit:] for row in series.pop(name)]
            if _flag(options, "useother", True):
                series["OTHER"] = other
        return series

    def cmd_timechart(self, args, text):
        options, tokens = _options(arg_tokens(args), {"span", "limit", "useother", "usenull",
                                                      "cont"})
        words = [token.text.upper() for token in tokens]
        split_at = words.index("BY") if "BY" in words else len(tokens)
        aggregations = parse_aggregations(tokens[:split_at], args)
        split = _names(tokens[split_at + 1:])
        if len(split) > 1:
            raise SplError("timechart splits by one field")
        split = split[0] if split else None
        self.need(["_time"] + [a.field for a in aggregations if a.field] + ([split] if split else []),
                  "timechart")
        times = [row["_time"] for row in self.rows]
        span = span_seconds(options["span"]) if "span" in options else auto_span(
            min(times, default=0), max(times, default=0))
        series = self._series("timechart", self.rows, aggregations, split, options)
        buckets = sorted({math.floor(t / span) * span for t in times})
        if buckets:
            buckets = list(range(int(buckets[0]), int(buckets[-1]) + span, span))
        out = []
        for start in buckets:
            row = {"_time": start}
            for name, members in series.items():
                inside = [m for m in members if start <= m["_time"] < start + span]
                for aggregation in aggregations:
                    column = aggregation.name if name is None else name if len(
                        aggregations) == 1 else f"{aggregation.name}: {name}"
                    value = aggregation(inside)
                    if value is None and aggregation.function in ("count", "c"):
                        value = 0
                    if value is not None:
                        row[column] = value
            out.append(row)
        self.rows = out

    def cmd_chart(self, args, text):
        options, tokens = _options(arg_tokens(args), {"limit", "useother", "usenull"})
        words = [token.text.upper() for token in tokens]
        over_at = words.index("OVER") if "OVER" in words else None
        by_at = words.index("BY") if "BY" in words else None
        end = min(i for i in (over_at, by_at, len(tokens)) if i is not None)
        aggregations = parse_aggregations(tokens[:end], args)
        if over_at is not None:
            over = _names(tokens[over_at + 1:by_at if by_at else len(tokens)])
            split = _names(tokens[by_at + 1:]) if by_at else []
        else:
            names = _names(tokens[by_at + 1:]) if by_at else []
            over, split = names[:1], names[1:]
        if len(over) != 1 or len(split) > 1:
            raise SplError("chart: one OVER field and at most one BY field are modelled")
        over, split = over[0], split[0] if split else None
        self.need([over] + [a.field for a in aggregations if a.field] + ([split] if split else []),
                  "chart")
        groups = {}
        for row in self.rows:
            for key in _group_keys(row, [over]) or ():
                groups.setdefault(key[0], []).append(row)
        self.drop("chart", [over], self.rows)
        series_names = list(self._series("chart", self.rows, aggregations, split, options))
        out = []
        for key in sorted(groups, key=_sort_key):
            row = {over: key}
            members = self._series("chart", groups[key], aggregations, split, options,
                                   names=series_names)
            for name in series_names:
                if name not in members:
                    continue  # chart leaves a cell without events empty
                for aggregation in aggregations:
                    value = aggregation(members[name])
                    if value is not None:
                        row[aggregation.name if name is None else name] = value
            out.append(row)
        self.rows = out

    def cmd_tstats(self, args, text):
        options, tokens = _options(arg_tokens(args), {"summariesonly", "allow_old_summaries",
                                                      "prestats", "local", "fillnull_value"})
        if _flag(options, "prestats", False):
            raise SplError("tstats prestats=t is not modelled")
        words = [token.text.upper() for token in tokens]
        marks = {word: words.index(word) for word in ("FROM", "WHERE", "BY") if word in words}
        first = min(marks.values(), default=len(tokens))
        aggregations = parse_aggregations(tokens[:first], args)

        def section(word):
            if word not in marks:
                return []
            later = [i for i in marks.values() if i > marks[word]]
            return tokens[marks[word] + 1:min(later, default=len(tokens))]

        by = section("BY")
        span = None
        by_options, by = _options(by, {"span"})
        if "span" in by_options:
            span = span_seconds(by_options["span"])
        groups = _names(by)
        where = section("WHERE")
        where_text = args[where[0].start:where[-1].end] if where else ""
        source = section("FROM")
        if source:
            rows = self._datamodel_rows(source)
        else:
            rows = [{name: value for name, value in self.head.fields(event).items()
                     if name in INDEXED_FIELDS} for event in self.events]
        if where_text:
            try:
                search = Search(where_text)
            except SearchError as error:
                raise SplError(str(error)) from None
            if not source and not search.fields <= INDEXED_FIELDS:
                raise SplError(f"tstats WHERE on {sorted(search.fields - INDEXED_FIELDS)}: "
                               "only indexed fields can be filtered without a data model")
            rows = [row for row in rows if search(row)]
        if span:
            for row in rows:
                row["_time"] = math.floor(row["_time"] / span) * span
        if "fillnull_value" in options:  # "fillnull_value": BY fields without a value get it
            for row in rows:
                for name in groups:
                    if not present(row.get(name)):
                        row[name] = options["fillnull_value"]
        if not source:
            for name in groups + [a.field for a in aggregations if a.field]:
                if name not in INDEXED_FIELDS:
                    raise SplError(f"tstats: {name} is not an indexed field")
        self.rows = rows
        self._aggregate("tstats", aggregations, groups, keep_rows=False)

    def _datamodel_rows(self, source):
        if len(source) != 3 or source[0].text != "datamodel" or not _is(source[1], "="):
            raise SplError("tstats FROM datamodel=<Model>[.<Dataset>] only")
        models = self.head.datamodels
        if models is None:
            raise SplError("no CIM data models loaded (pytest-splunk-addon wheel)")
        model_name, _, dataset_name = source[2].value.partition(".")
        definition = models.models.get(model_name)
        if definition is None:
            raise SplError(f"no data model {model_name}")
        path = _dataset_path(definition["objects"], dataset_name)
        if path is None:
            raise SplError(f"no dataset {dataset_name!r} in {model_name}")
        root = path[0]["name"].replace(" ", "_")
        constraints = [Search(d["search_constraints"]) for d in path]
        names = {f["name"] for d in path for f in d["fields"]}
        rows = []
        for event in self.events:
            fields = self.head.fields(event)
            if all(constraint(fields) for constraint in constraints):
                row = {name: fields[name] for name in INDEXED_FIELDS if name in fields}
                for name in names:
                    if fields.get(name) is not None:
                        row[f"{root}.{name}"] = fields[name]
                rows.append(row)
        return rows

    def _pairs(self, args):
        pairs = []
        for part in _split_top(args, ","):
            tokens = [token.value for token in arg_tokens(part)]
            while tokens:
                if len(tokens) < 3 or tokens[1].upper() != "AS":
                    raise SplError(f"rename: cannot read {part!r}")
                pairs.append((tokens[0], tokens[2]))
                tokens = tokens[3:]
        return pairs

    def cmd_rename(self, args, text):
        for old, new in self._pairs(args):
            if "*" in old:
                pattern = re.compile(re.escape(old).replace(r"\*", "(.*)") + r"\Z")
                for row in self.rows:
                    for name in list(row):
                        found = pattern.match(name)
                        if found:
                            row[new.replace("*", found.group(1), 1)] = row.pop(name)
                continue
            self.need([old], "rename")
            for row in self.rows:
                if old in row:
                    row[new] = row.pop(old)

    def cmd_table(self, args, text):
        names = _names(arg_tokens(args))
        self.need(names, "table")
        out = []
        for row in self.rows:
            kept = {}
            for name in names:
                matcher = glob(name) if "*" in name else None
                for key in row:
                    if (key == name or (matcher and matcher.match(key))) and key not in kept:
                        kept[key] = row[key]
            out.append(kept)
        self.rows = out

    def cmd_fields(self, args, text):
        tokens = arg_tokens(args)
        if tokens and tokens[0].text in ("-", "+"):
            remove, names = tokens[0].text == "-", _names(tokens[1:])
        else:
            remove, names = False, _names(tokens)
        self.need(names, "fields")
        for row in self.rows:
            for key in list(row):
                wanted = key in names or (not remove and key.startswith("_"))
                if wanted == remove:
                    del row[key]

    def cmd_sort(self, args, text):
        tokens = arg_tokens(args)
        limit = 10000
        if tokens and tokens[0].kind == "word" and tokens[0].text.isdigit():
            limit, tokens = int(tokens[0].text), tokens[1:]
        keys, descending = [], False
        for token in tokens:
            if _is(token, ","):
                continue
            if token.text in ("-", "+"):
                descending = token.text == "-"
                continue
            name = token.text
            if name[0] in "-+":
                descending, name = name[0] == "-", name[1:]
            keys.append((name, descending))
            descending = False
        self.need([name for name, _ in keys], "sort")
        for name, reverse in reversed(keys):
            present_rows = [row for row in self.rows if row.get(name) is not None]
            missing = [row for row in self.rows if row.get(name) is None]
            present_rows.sort(key=lambda row: _sort_key(values_of(row[name])[0]), reverse=reverse)
            self.rows = present_rows + missing
        self.rows = self.rows[:limit]

    def cmd_head(self, args, text):
        args = args.strip()
        if args and not args.isdigit():
            raise SplError("head takes only a count here")
        self.rows = self.rows[:int(args or 10)]

    def cmd_fillnull(self, args, text):
        options, tokens = _options(arg_tokens(args), {"value"})
        value = options.get("value", "0")
        names = _names(tokens) or sorted({key for row in self.rows for key in row
                                          if not key.startswith("_")})
        for row in self.rows:
            for name in names:
                if not present(row.get(name)):
                    row[name] = value

    def cmd_addtotals(self, args, text):
        options, tokens = _options(arg_tokens(args), {"fieldname", "row", "col"})
        if _flag(options, "col", False) or not _flag(options, "row", True):
            raise SplError("addtotals: only row totals are modelled")
        target, names = options.get("fieldname", "Total"), _names(tokens)
        for row in self.rows:
            total = 0
            for key, value in row.items():
                if (key in names if names else not key.startswith("_")) and \
                        number(value) is not None:
                    total += number(value)
            row[target] = total

    def cmd_bin(self, args, text):
        options, tokens = _options(arg_tokens(args), {"span"})
        names = _names(tokens)
        if "span" not in options or not names:
            raise SplError("bin: span= and a field are modelled")
        span = span_seconds(options["span"]) if names[0] == "_time" else number(options["span"])
        target = names[2] if len(names) == 3 and names[1].upper() == "AS" else names[0]
        self.need(names[:1], "bin")
        for row in self.rows:
            value = number(row.get(names[0]))
            if value is not None:
                row[target] = math.floor(value / span) * span

    def cmd_lookup(self, args, text):
        from .knowledge import parse_lookup
        table, inputs, outputs, mode = parse_lookup(args)
        lookup = self.head.lookups.get(table)
        if lookup is None:
            raise SplError(f"lookup {table!r} is not defined in transforms.conf")
        self.need([name for _, name in inputs], "lookup")
        for row in self.rows:
            try:
                lookup.apply(row, inputs, outputs, mode)
            except ModelError as error:
                raise SplError(str(error)) from None


def _split_top(text: str, separator: str):
    parts, start, depth, quote = [], 0, 0, None
    for position, char in enumerate(text):
        if quote:
            if char == quote and text[position - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _dataset_path(datasets, name, parents=()):
    """The datasets from the root down to ``name`` (spaces read as underscores)."""
    for dataset in datasets:
        path = parents + (dataset,)
        if not name or dataset["name"].replace(" ", "_") == name.replace(" ", "_"):
            return list(path)
        found = _dataset_path(dataset["child_dataset"], name, path)
        if found:
            return found
    return None
