"""Automatic search-time field extraction from ``_raw``: ``KV_MODE = json``, ``KV_MODE = auto``
and ``EXTRACT-*`` regexes.

JSON, as ``spath`` extracts it ("Search Reference: spath"; ``KV_MODE = json`` is the same
extraction, props.conf.spec):

* nested objects give dotted paths, ``a.b``;
* arrays give ``name{}``, one value per element (a multivalue field), arrays of objects
  ``a{}.b``, nested arrays ``a{}{}``;
* strings are their text, numbers the text of the literal, ``true``/``false`` as text.

Automatic extraction reads only a window of the event (limits.conf.spec): ``[spath]
extraction_cutoff = 5000`` — "the first <integer> number of bytes … applies both the auto kv
extraction and the spath command" — and ``[kv] maxchars = 10240`` ("Truncate _raw to this size
and then do auto KV"). A key whose value is not complete inside the window is not extracted;
everything after it is gone from the search.
"""
from __future__ import annotations

import re

LIMITS = {"extraction_cutoff": 5000, "maxchars": 10240}


class ExtractionError(ValueError):
    pass


def window(raw: str, limits=None) -> str:
    """The part of ``_raw`` automatic extraction reads: ``maxchars`` characters, then
    ``extraction_cutoff`` bytes of UTF-8 (a character cut in two is dropped)."""
    limits = {**LIMITS, **(limits or {})}
    text = raw[:limits["maxchars"]]
    data = text.encode("utf-8")[:limits["extraction_cutoff"]]
    return data.decode("utf-8", errors="ignore")


class _Truncated(Exception):
    """The window ended inside the JSON: what was read so far stands."""


_WHITESPACE = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}


class _JsonFields:
    """A JSON reader that records every complete scalar under its spath name as it goes, so
    a document cut by the window keeps the fields before the cut."""

    def __init__(self, text: str):
        self.text, self.at, self.fields = text, 0, {}

    def run(self) -> dict:
        try:
            self._skip()
            if self._peek() != "{":
                raise ExtractionError("a KV_MODE = json event must be a JSON object")
            self._value("")
            self._skip()
            if self.at != len(self.text):
                raise ExtractionError(f"text after the JSON object at {self.at}")
        except _Truncated:
            pass
        return self.fields

    def _peek(self):
        if self.at >= len(self.text):
            raise _Truncated
        return self.text[self.at]

    def _skip(self):
        self.at = _WHITESPACE.match(self.text, self.at).end()

    def _add(self, path, value):
        if not path:
            raise ExtractionError("a scalar JSON document has no field name")
        self.fields.setdefault(path, []).append(value)

    def _string(self):
        found = _STRING.match(self.text, self.at)
        if found is None:
            if self.text.find('"', self.at + 1) < 0:
                raise _Truncated
            raise ExtractionError(f"malformed JSON string at {self.at}")
        self.at = found.end()
        return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, found.group(1))

    def _value(self, path):
        self._skip()
        char = self._peek()
        if char == "{":
            self.at += 1
            self._skip()
            if self._peek() == "}":
                self.at += 1
                return
            while True:
                self._skip()
                key = self._string()
                self._skip()
                if self._peek() != ":":
                    raise ExtractionError(f"expected ':' at {self.at}")
                self.at += 1
                self._value(f"{path}.{key}" if path else key)
                self._skip()
                char = self._peek()
                self.at += 1
                if char == "}":
                    return
                if char != ",":
                    raise ExtractionError(f"expected ',' or '}}' at {self.at - 1}")
        elif char == "[":
            self.at += 1
            self._skip()
            if self._peek() == "]":
                self.at += 1
                return
            while True:
                self._value(path + "{}")
                self._skip()
                char = self._peek()
                self.at += 1
                if char == "]":
                    return
                if char != ",":
                    raise ExtractionError(f"expected ',' or ']' at {self.at - 1}")
        elif char == '"':
            self._add(path, self._string())
        else:
            found = _NUMBER.match(self.text, self.at)
            if found is not None:
                if found.end() == len(self.text):
                    raise _Truncated  # the number may go on past the window
                self.at = found.end()
                self._add(path, found.group())
                return
            for literal in ("true", "false", "null"):
                if self.text.startswith(literal, self.at):
                    if literal == "null":
                        raise ExtractionError("JSON null values are not modelled "
                                              "(the add-on never writes them)")
                    self.at += len(literal)
                    self._add(path, literal)
                    return
                if literal.startswith(self.text[self.at:]):
                    raise _Truncated
            raise ExtractionError(f"malformed JSON at {self.at}: {self.text[self.at:self.at + 20]!r}")


def _unescape(match):
    code = match.group(1)
    if code.startswith("u") and len(code) == 5:
        return chr(int(code[1:], 16))
    try:
        return _ESCAPES[code]
    except KeyError:
        raise ExtractionError(f"invalid JSON escape \\{code}") from None


def collapse(fields: dict) -> dict:
    """One value → the value; several → a multivalue list (Splunk: mvcount 1 is a single
    value)."""
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def json_fields(raw: str, limits=None) -> dict:
    return collapse(_JsonFields(window(raw, limits)).run())


_KV_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|[^\s,;|]*)')


def auto_kv_fields(raw: str, limits=None) -> dict:
    """``KV_MODE = auto``: ``key=value`` pairs (a value bare up to white space, or quoted) in the
    first ``maxchars`` characters."""
    text = raw[:{**LIMITS, **(limits or {})}["maxchars"]]
    found = {}
    for key, value in _KV_PAIR.findall(text):
        if value.startswith('"'):
            value = value[1:-1]
        if value:
            found.setdefault(key, []).append(value)
    return collapse(found)


def pcre(regex: str):
    """A Splunk (PCRE) regex in Python's dialect: named groups are ``(?P<name>…)`` there."""
    return re.compile(regex.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"))


def regex_fields(regex: str, raw: str) -> dict:
    """``EXTRACT-<class> = <regex>``: the named groups of the first match on ``_raw``."""
    found = pcre(regex).search(raw)
    if found is None:
        return {}
    return {name: value for name, value in found.groupdict().items() if value}
