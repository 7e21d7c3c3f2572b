"""Field values as Splunk's search language sees them.

Every extracted field is text (one string, or a list of strings for a multivalue field); eval
and stats read text that looks like a number as that number ("Search Reference: eval",
"Usage": numeric strings are treated as numbers). ``None`` is null: the field is absent.
"""
from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def number(value):
    """The number a value reads as, or None (null, multivalue, boolean or non-numeric text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        return float(text)
    return None


def render(value) -> str:
    """A single value as the text Splunk shows (integral floats without a fraction)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a field value")
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    return str(value)


def values_of(value) -> list:
    """Every value of a field: [] for null, the list of a multivalue field, else [value]."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [value]


def present(value) -> bool:
    """A field is present when it has at least one non-empty value (Splunk drops empty
    values: a field whose value is "" does not exist for ``field=*``)."""
    return any(render(item) != "" for item in values_of(value))
