"""Bookmarks: where a stream resumes, so that nothing is lost and nothing is written twice.

A bookmark is ``(timestamp, count)``: the archive timestamp (record header) of the last record the
sink confirmed, and how many records of that very second were confirmed. An FMC streams in
archive order, and a second usually holds many records, so the count is what makes a resume exact.

Resuming (:class:`Resume`): the request asks for ``timestamp - 1`` — whether the FMC compares the
request time with ``>`` or ``>=`` is documented nowhere (docs/protocol.md, "Initial timestamp"),
and one second earlier is safe under
both — then every record older than ``timestamp`` and the first ``count`` records of ``timestamp``
are dropped as already delivered.

The bookmark of an FMC high-availability pair also names the FMC whose archive clock it counts
(``fmc``, ``host:port``): the two FMCs stamp the same events with different archive times, so
on the other FMC the client resumes by event identity instead (:mod:`.journal`). An input with
one FMC leaves ``fmc`` empty, as bookmarks were before.

Stores keep a bookmark per FMC identity behind two methods, ``load()`` and ``save()``: a JSON file
here; the add-on stores it in Splunk's KV store.
"""
from __future__ import annotations

import json
from typing import Any, Dict, NamedTuple, Optional, Union

from .atomic import write_atomic


class BookmarkUnreadable(ValueError):
    """A stored bookmark that cannot be read; the message names the store and the fix."""


class Bookmark(NamedTuple):
    timestamp: int
    count: int  # type: ignore[assignment]  # the stored field's name; shadows tuple.count
    fmc: str = ""  # the FMC of an HA pair whose archive clock this counts ("" = the only one)

    def advance(self, archive_timestamp: int) -> "Bookmark":
        """The bookmark after one more delivered record with this archive timestamp."""
        if archive_timestamp == self.timestamp:
            return Bookmark(self.timestamp, self.count + 1, self.fmc)
        if archive_timestamp > self.timestamp:
            return Bookmark(archive_timestamp, 1, self.fmc)
        return self  # an older record (an FMC re-sending its past): the bookmark never moves back

    def as_dict(self) -> Dict[str, Union[int, str]]:
        """The stored form: ``fmc`` only where there is one."""
        data: Dict[str, Union[int, str]] = {"timestamp": self.timestamp, "count": self.count}
        if self.fmc:
            data["fmc"] = self.fmc
        return data

    def as_json(self) -> str:
        return json.dumps(self.as_dict())

    @classmethod
    def from_dict(cls, data: Any) -> "Bookmark":
        """ValueError unless ``data`` is ``{"timestamp": int, "count": int[, "fmc": str]}``."""
        try:
            timestamp, count, fmc = data["timestamp"], data["count"], data.get("fmc", "")
        except (TypeError, KeyError, AttributeError):
            raise ValueError(f"not a bookmark: {data!r}") from None
        if not (isinstance(timestamp, int) and isinstance(count, int) and isinstance(fmc, str)) \
                or timestamp < 0 or count < 0:
            raise ValueError(f"not a bookmark: {data!r}")
        return cls(timestamp, count, fmc)

    @classmethod
    def from_json(cls, text: str) -> "Bookmark":
        try:
            return cls.from_dict(json.loads(text))
        except ValueError:
            raise ValueError(f"not a bookmark: {text!r}") from None


class Resume:
    """Drops the records a resumed stream repeats, given the bookmark it resumed from."""

    __slots__ = ("timestamp", "to_skip")

    def __init__(self, bookmark: Optional[Bookmark]):
        self.timestamp = bookmark.timestamp if bookmark else 0
        self.to_skip = bookmark.count if bookmark else 0

    @property
    def since(self) -> int:
        """The request timestamp: one second before the bookmark (see the module docstring)."""
        return max(self.timestamp - 1, 0)

    def already_delivered(self, archive_timestamp: Optional[int]) -> bool:
        if archive_timestamp is None or archive_timestamp > self.timestamp:
            return False  # metadata (no archive time) is always wanted; newer records are new
        if archive_timestamp < self.timestamp:
            return True
        if self.to_skip:
            self.to_skip -= 1
            return True
        return False


class FileBookmarkStore:
    """One JSON document in a file, replaced atomically (a crash leaves the old or the new one)."""

    def __init__(self, path: str):
        self.path = path

    def load(self) -> Optional[Bookmark]:
        try:
            with open(self.path, encoding="utf-8") as f:
                return Bookmark.from_json(f.read())
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as e:
            raise BookmarkUnreadable(f"bookmark file {self.path} is unreadable ({e}); "
                                     f"move it away to start from the configured "
                                     f"position") from None

    def save(self, bookmark: Bookmark) -> None:
        write_atomic(self.path, bookmark.as_json(), prefix=".bookmark-")


class MemoryBookmarkStore:
    """For the command line's ``stream`` without ``--bookmark``, and for tests."""

    def __init__(self, bookmark: Optional[Bookmark] = None):
        self.bookmark = bookmark

    def load(self) -> Optional[Bookmark]:
        return self.bookmark

    def save(self, bookmark: Bookmark) -> None:
        self.bookmark = bookmark
