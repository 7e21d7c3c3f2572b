"""The ``search`` command's terms over an event's fields (event types, data-model constraints,
dashboard base searches, ``| search`` post-filters).

As the Search Manual ("Use fields to retrieve events", "Boolean expressions", "Comparison
operators") describes them: ``field=value`` and ``field!=value`` (value bare or quoted; ``*``
wildcards; values compared without case, field names with case; a multivalue field matches when
any value does), ``field<value`` (and ``>``, ``<=``, ``>=``: numeric when both sides are
numbers), ``field IN (v1, v2)``, ``NOT``, ``OR``, ``AND`` or juxtaposition, parentheses.
Precedence is Splunk's: NOT, then OR, then AND (``a b OR c`` is ``a AND (b OR c)``).
``field!=value`` needs the field; ``NOT field=value`` also matches events without it.
A free-text term is a :class:`SearchError`: this model keeps no index of raw-text tokens.
"""
from __future__ import annotations

import re

from .values import number, render, values_of

_TOKEN = re.compile(r'\s*(?:(?P<punct>[(),])|(?P<op>!=|<=|>=|=|<|>)|"(?P<quoted>(?:[^"\\]|\\.)*)"'
                    r'|(?P<word>[^\s(),="!<>]+))')


class SearchError(ValueError):
    pass


def _tokens(text: str):
    position, tokens = 0, []
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise SearchError(f"cannot read {text[position:]!r} in {text!r}")
        position = found.end()
        kind = found.lastgroup
        value = found.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value)
        tokens.append((kind, value))
    return tokens


def glob(pattern: str):
    """Splunk value match: case-insensitive, ``*`` matches any run of characters."""
    parts = (re.escape(part) for part in pattern.split("*"))
    return re.compile(".*".join(parts) + r"\Z", re.IGNORECASE | re.DOTALL)


def _texts(fields: dict, name: str):
    return [text for text in (render(item) for item in values_of(fields.get(name))) if text != ""]


class _Term:
    def __init__(self, field, operator, patterns):
        self.field, self.operator = field, operator
        self.patterns = [glob(pattern) for pattern in patterns]
        self.raw = patterns

    def __call__(self, fields):
        values = _texts(fields, self.field)
        if not values:
            return False  # field!=x, like field=x, needs the field
        if self.operator in ("=", "!="):
            hit = any(pattern.match(value) for pattern in self.patterns for value in values)
            return not hit if self.operator == "!=" else hit
        limit = self.raw[0]
        for value in values:
            a, b = number(value), number(limit)
            if a is None or b is None:
                a, b = value.lower(), limit.lower()
            if {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[self.operator]:
                return True
        return False


class Search:
    """``Search(text)(fields)`` → bool. ``fields`` maps names to values or lists of values;
    ``.fields`` is the set of field names the search reads; ``.conjunction`` the search as
    ``[(field, operator, values)]`` when it is a plain AND of terms (else None)."""

    def __init__(self, text: str):
        self.text = text
        self.fields = set()
        self._tokens = _tokens(text)
        self._at = 0
        if not self._tokens:
            raise SearchError("empty search")
        self._test = self._and()
        if self._at != len(self._tokens):
            raise SearchError(f"unexpected {self._tokens[self._at][1]!r} in {text!r}")
        del self._tokens
        parts = getattr(self._test, "parts", [self._test])
        self.conjunction = [(p.field, p.operator, p.raw) for p in parts] \
            if all(isinstance(p, _Term) for p in parts) else None

    def __call__(self, fields: dict) -> bool:
        return self._test(fields)

    # --- recursive descent --------------------------------------------------------------------
    def _peek(self):
        return self._tokens[self._at] if self._at < len(self._tokens) else (None, None)

    def _take(self, kind=None, value=None):
        token = self._peek()
        if token[0] is None or (kind and token[0] != kind) or (value and token[1] != value):
            raise SearchError(f"expected {value or kind} at {token[1]!r} in {self.text!r}")
        self._at += 1
        return token[1]

    def _starts_operand(self):
        kind, value = self._peek()
        return kind == "word" and value not in ("AND", "OR") or (kind, value) == ("punct", "(")

    def _and(self):
        parts = [self._or()]
        while True:
            if self._peek() == ("word", "AND"):
                self._take()
            elif not self._starts_operand():
                break
            parts.append(self._or())
        if len(parts) == 1:
            return parts[0]

        def conjunction(fields):
            return all(p(fields) for p in parts)
        conjunction.parts = parts
        return conjunction

    def _or(self):
        parts = [self._not()]
        while self._peek() == ("word", "OR"):
            self._take()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def _not(self):
        if self._peek() == ("word", "NOT"):
            self._take()
            inner = self._not()
            return lambda f: not inner(f)
        return self._atom()

    def _atom(self):
        if self._peek() == ("punct", "("):
            self._take()
            inner = self._and()
            self._take("punct", ")")
            return inner
        field = self._take("word")
        kind, value = self._peek()
        if kind == "word" and value == "IN":
            self._take()
            self._take("punct", "(")
            values = [self._value()]
            while self._peek() == ("punct", ","):
                self._take()
                values.append(self._value())
            self._take("punct", ")")
            self.fields.add(field)
            return _Term(field, "=", values)
        if kind != "op":
            raise SearchError(f"free-text term {field!r} is not supported in {self.text!r}")
        operator = self._take("op")
        self.fields.add(field)
        return _Term(field, operator, [self._value()])

    def _value(self):
        kind, value = self._peek()
        if kind not in ("word", "quoted"):
            raise SearchError(f"expected a value at {value!r} in {self.text!r}")
        self._at += 1
        return value
