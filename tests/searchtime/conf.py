"""Splunk ``.conf`` files as ``{stanza: {key: value}}``.

As the Admin Manual ("About configuration files", "Configuration file structure") describes them:
``[stanza]`` headers, ``key = value`` settings, ``#`` comment lines, a trailing backslash continuing
a value on the next line (the line break is kept), settings before the first stanza belong to
``[default]``. Splunk merges a repeated stanza or key silently (the last one wins); in the add-on's
own files that is always a mistake, so ``strict`` (the default) makes it an error.
"""
from __future__ import annotations

import pathlib


class ConfError(ValueError):
    """A conf file this reader refuses, with the file and line."""


def read_conf(path, strict: bool = True) -> dict:
    path = pathlib.Path(path)
    stanzas, current = {}, None
    lines = iter(enumerate(path.read_text(encoding="utf-8").splitlines(), 1))
    for number, line in lines:
        while line.endswith("\\"):
            line = line[:-1] + "\n" + next(lines, (number, ""))[1]
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{path.name}:{number}"
        if text.startswith("["):
            if not text.endswith("]"):
                raise ConfError(f"{where}: malformed stanza line {text!r}")
            name = text[1:-1]
            if strict and name in stanzas:
                raise ConfError(f"{where}: duplicate stanza [{name}]")
            current = stanzas.setdefault(name, {})
            continue
        key, separator, value = text.partition("=")
        if not separator:
            raise ConfError(f"{where}: not a key = value line: {text!r}")
        if current is None:
            current = stanzas.setdefault("default", {})
        key = key.strip()
        if strict and key in current:
            raise ConfError(f"{where}: duplicate key {key!r}")
        current[key] = value.strip()
    return stanzas
