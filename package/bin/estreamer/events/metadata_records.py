"""Metadata records (``…:metadata``, off by default), records the decoder could not read, and
records a family mapper could not map."""
from __future__ import annotations

from .common import clean, is_framing, record_name, snake

_SKIP = frozenset(("recordType", "archiveTimestamp"))


def map_metadata(r, ctx):
    out = {"rec_type": r["recordType"], "rec_type_desc": record_name(r["recordType"])}
    return _time(r), _own_fields(r, out, keep_zero=True)


def map_unknown(r, ctx):
    """An unknown record type or block version, or bytes the decoder could not read (a
    malformed record, the rest of a damaged bundle): its number, what was wrong and the bytes,
    for later decoding."""
    out = {}
    if r["recordType"] is not None:
        out["rec_type"] = r["recordType"]
    name = record_name(r["recordType"])
    if name:
        out["rec_type_desc"] = name
    if r.get("blockType") is not None:
        out["block_type"] = r["blockType"]
    if r.get("malformed"):
        out["malformed"] = r["malformed"]
    out["raw"] = r["raw"]
    return _time(r), out


def map_unmappable(r, ctx, error: Exception):
    """A record its family's mapper failed on (a block version the mapper does not know, values
    it did not expect): its decoded fields as they are, and what went wrong, so nothing is lost."""
    out = {"rec_type": r["recordType"], "rec_type_desc": record_name(r["recordType"]),
           "mapping_error": f"{type(error).__name__}: {error}"}
    return _time(r), _own_fields(r, out, keep_zero=False)


def _own_fields(r, out: dict, keep_zero: bool) -> dict:
    """``out`` with the record's fields added, cleaned and snake_case (framing left out)."""
    for key, value in r.items():
        if key not in _SKIP and not is_framing(key):
            value = clean(value, keep_zero)
            if value is not None:
                out[snake(key)] = value
    return out


def _time(r):
    """Only events carry an archive timestamp; the mapper stamps the rest with the clock."""
    return float(r.get("archiveTimestamp") or 0)
