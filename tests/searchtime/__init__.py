"""A model of Splunk's search time, faithful to Splunk's documentation and no kinder.

The add-on's knowledge objects (``package/default``: props, transforms and lookups, event
types, tags, macros) applied to events as a search head applies them, and SPL run over the
result. Every rule cites the Splunk doc or ``.spec`` it follows; what the model does not know
is an error, never a guess.

    from searchtime import SearchHead, Pipeline, indexed

    head = SearchHead()                              # package/default + package/lookups
    event = indexed(mapper_event)                    # _raw exactly as the input writes it
    fields = head.fields(event)                      # extraction (5,000-byte window),
                                                     # FIELDALIAS, EVAL, LOOKUP, eventtype, tag
    head.eventtypes["cisco_firepower_connection"](fields)   # one event type's search
    rows = Pipeline(head).run("`cisco_firepower_connection_events` | stats count BY action",
                              events=[event, …]).rows

Modules: :mod:`.conf` (``read_conf``), :mod:`.extraction` (JSON/auto KV/EXTRACT and the
limits), :mod:`.evaluate` (eval expressions), :mod:`.search` (search terms), :mod:`.knowledge`
(props/transforms/eventtypes/tags per event), :mod:`.pipeline` (macros, commands),
:mod:`.dashboards` (Simple XML tokens, base and post-process searches).
"""
from .conf import ConfError, read_conf
from .dashboards import Dashboard, DashboardError, substitute
from .evaluate import PROPS_FUNCTIONS, EvalError, Expression
from .extraction import LIMITS, ExtractionError, json_fields, window
from .knowledge import DEFAULT, INDEXED_FIELDS, LOOKUPS, ModelError, SearchHead, indexed
from .pipeline import Pipeline, Results, SplError, expand_macros
from .search import Search, SearchError
from .values import number, present, render, values_of

__all__ = [
    "ConfError", "read_conf", "Dashboard", "DashboardError", "substitute", "PROPS_FUNCTIONS",
    "EvalError", "Expression", "LIMITS", "ExtractionError", "json_fields", "window", "DEFAULT",
    "INDEXED_FIELDS", "LOOKUPS", "ModelError", "SearchHead", "indexed", "Pipeline", "Results",
    "SplError", "expand_macros", "Search", "SearchError", "number", "present", "render",
    "values_of",
]
