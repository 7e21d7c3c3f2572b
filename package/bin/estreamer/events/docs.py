"""The event fields of every family, as a Markdown document rendered from the event tables.

    python -m estreamer.events.docs [FILE]     (default docs/event-fields.md; make docs)

The tables are what the mappers run, so the document cannot drift from the events: a test holds
the shipped file to what this renders.
"""
from __future__ import annotations

import sys

from .profile import FALSY, NEVER, NONE, Const, Expansion

DEFAULT_PATH = "docs/event-fields.md"

_OMIT = {NONE: "no value", FALSY: "zero or empty", NEVER: "never"}


def _condition(row) -> str:
    constant = isinstance(row.transform, Const) and row.transform.value is not None
    parts = [_OMIT[row.omit]] if row.omit != NEVER and not constant else []
    if row.when:
        parts.append(f"not {_ref(row.when)}")
    if row.unless:
        parts.append(_ref(row.unless))
    return "; ".join(parts) or "never"


def _ref(ref) -> str:
    name = ref.lstrip("$?")
    return f"`{name}`" if not ref.startswith("$") else name.strip("_").replace("_", " ")


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(profiles=None, sourcetypes=None) -> str:
    """The document: one section per family, one row per key in the order events carry them."""
    from ..catalog import RECORDS
    from . import PROFILES, SOURCETYPES
    profiles = profiles if profiles is not None else PROFILES
    sourcetypes = sourcetypes if sourcetypes is not None else SOURCETYPES
    families, seen = [], set()
    for profile in profiles.values():
        if id(profile) not in seen:
            seen.add(id(profile))
            families.append(profile)
    out = ["# Event fields", "",
           "Generated from the event tables (`package/bin/estreamer/events/`) by "
           "`make docs`; do not edit. Each family's events carry "
           "these keys in this order; a key is left out as its last column says (no value, "
           "zero or empty, or a condition). Record fields are in `code`; the FMC's names "
           "come from its metadata records, `<thing>-<id>` while it has not sent one.", ""]
    for profile in families:
        records = ", ".join(f"{number} ({RECORDS[number].name})" if number in RECORDS
                            else str(number) for number in profile.record_types)
        out += [f"## {profile.family}", "",
                f"Sourcetype `{sourcetypes[profile.family]}`; records {records}.", ""]
        if profile.doc:
            out += [profile.doc, ""]
        out += ["| key | value | left out when |", "|---|---|---|"]
        for row in profile.rows:
            if not row.is_key:
                continue
            what = row.doc or row.transform.doc or ""
            out.append(f"| `{row.name}` | {_cell(what)} | {_cell(_condition(row))} |")
        for row in profile.rows:
            if isinstance(row.transform, Expansion):
                out += ["", f"After these keys: {row.transform.doc}."]
        out += ["", f"Event time: {_cell(profile.time.doc)}.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else DEFAULT_PATH
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render())
    print(f"event fields written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
