"""Simple XML dashboards as Splunk Web runs their searches ("Dashboards and Visualizations:
Simple XML Reference", "Token usage in dashboards", "Post-process searches").

* Input tokens take their default (or a chosen) value: ``prefix`` + the values, each wrapped in
  ``valuePrefix``/``valueSuffix`` and joined by ``delimiter`` (multiselect), + ``suffix``; a time
  input sets ``<token>.earliest`` and ``<token>.latest``. An input's ``<change>`` conditions set
  and unset tokens (``$value$`` and ``$label$`` inside them).
* A ``<search base="id">`` is a post-process search: its query runs on the results of the
  search with that id (a leading ``|`` is optional).
* A panel, row or chart with ``depends="$a$,$b$"`` shows only when all are set, with
  ``rejects`` only when none is.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .pipeline import SplError


class DashboardError(SplError):
    pass


def substitute(text: str, tokens: dict) -> str:
    def replace(match):
        name = match.group(1)
        if name == "":
            return "$"
        if name not in tokens:
            raise DashboardError(f"token ${name}$ is not set")
        return tokens[name]
    return re.sub(r"\$([\w.]*)\$", replace, text)


def _token_names(text):
    return re.findall(r"\$([\w.]+)\$", text or "")


@dataclass
class Search:
    """One ``<search>``: ``query`` with tokens substituted, ``base`` the id of the search it
    post-processes, ``element`` the XML element (with ``<earliest>`` …), ``owner`` the element
    that shows it (chart, table, single, input …)."""
    label: str
    query: str
    id: str
    base: str
    element: ET.Element
    owner: ET.Element
    visible: bool


class Dashboard:
    def __init__(self, path):
        self.path = path
        self.name = getattr(path, "stem", str(path))
        self.root = ET.parse(path).getroot()
        self._parents = {child: parent for parent in self.root.iter() for child in parent}

    @property
    def inputs(self):
        return list(self.root.iter("input"))

    def tokens(self, chosen=None) -> dict:
        """Each token's text with every input at its default, or at ``chosen[token]``
        (a list for a multiselect)."""
        chosen = chosen or {}
        tokens = {}
        for node in self.inputs:
            token, kind = node.get("token"), node.get("type")
            if kind == "time":
                default = node.find("default")
                tokens[token + ".earliest"] = default.findtext("earliest")
                tokens[token + ".latest"] = default.findtext("latest")
                continue
            value = chosen.get(token)
            if value is None:
                value = node.findtext("default")
                if value is None:
                    value = node.findtext("initialValue")
                if value is None:
                    raise DashboardError(f"{self.name}: input {token!r} has no default")
                if kind == "multiselect":
                    value = value.split(",")
            values = value if isinstance(value, list) else [value]
            inner = (node.findtext("delimiter") or " ").join(
                (node.findtext("valuePrefix") or "") + v + (node.findtext("valueSuffix") or "")
                for v in values)
            tokens[token] = (node.findtext("prefix") or "") + inner + (node.findtext("suffix") or "")
            self._change(node, values[0] if len(values) == 1 else ",".join(values), tokens)
        return tokens

    def _change(self, node, value, tokens):
        change = node.find("change")
        if change is None:
            return
        labels = {choice.get("value"): choice.text for choice in node.findall("choice")}
        for condition in change.findall("condition"):
            if condition.get("value") not in (None, value):
                continue
            for action in condition:
                target = action.get("token")
                if action.tag == "set":
                    text = (action.text or "").replace("$value$", value).replace(
                        "$label$", labels.get(value) or value)
                    tokens[target] = substitute(text, tokens)
                elif action.tag == "unset":
                    tokens.pop(target, None)
                else:
                    raise DashboardError(f"{self.name}: <{action.tag}> in <change> not modelled")
            return  # the first matching condition applies

    def shown(self, element, tokens) -> bool:
        """``depends``/``rejects`` of the element and every element around it."""
        while element is not None:
            if any(name not in tokens for name in _token_names(element.get("depends"))):
                return False
            if any(name in tokens for name in _token_names(element.get("rejects"))):
                return False
            element = self._parents.get(element)
        return True

    def searches(self, tokens) -> list:
        """Every ``<search>`` with its query (tokens substituted)."""
        found = []
        for index, node in enumerate(self.root.iter("search")):
            query = node.findtext("query")
            if query is None:
                continue
            owner = self._parents.get(node)
            title = owner.findtext("title") if owner is not None else None
            panel = self._parents.get(owner)
            if not title and panel is not None:
                title = panel.findtext("title")
            label = f"{self.name}#{index}" + (f" {title}" if title else "")
            found.append(Search(label, substitute(query, tokens), node.get("id"), node.get("base"),
                                node, owner, self.shown(owner, tokens)))
        return found

    def run(self, pipeline, events, tokens=None, now=None):
        """``[(Search, Results)]`` for every search shown, post-processes on their base's
        results (a hidden panel's search is not run: its fields may not exist in this mode)."""
        tokens = self.tokens() if tokens is None else tokens
        searches = self.searches(tokens)
        results, out = {}, []
        ordered = [s for s in searches if not s.base] + [s for s in searches if s.base]
        for search in ordered:
            if not search.visible:
                continue
            if search.base:
                if search.base not in results:
                    raise DashboardError(f"{search.label}: no search with id {search.base!r}")
                result = pipeline.run(search.query, rows=results[search.base].rows, now=now)
            else:
                result = pipeline.run(search.query, events=events, now=now)
            if search.id:
                results[search.id] = result
            out.append((search, result))
        return out
