"""Bookmarks: where a stream resumes, so that nothing is lost and nothing is written twice.

A bookmark is ``(timestamp, count)``: the archive timestamp (record header) of the last record the
sink confirmed, and how many records of that very second were confirmed. An FMC streams in
archive order, and a second usually holds many records, so the count is what makes a resume exact.

Resuming (:class:`Resume`): the request asks for ``timestamp - 1`` — whether the FMC compares the
request time with ``>`` or ``>=`` is unspecified (spec §2.11), and one second earlier is safe under
both — then every record older than ``timestamp`` and the first ``count`` records of ``timestamp``
are dropped as already delivered.

Stores keep a bookmark per FMC identity behind two methods, ``load()`` and ``save()``: a JSON file
here; the add-on stores it in Splunk's KV store.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import NamedTuple, Optional


class BookmarkUnreadable(ValueError):
    """A stored bookmark that cannot be read; the message names the store and the fix."""


class Bookmark(NamedTuple):
    timestamp: int
    count: int

    def advance(self, archive_timestamp: int) -> "Bookmark":
        """The bookmark after one more delivered record with this archive timestamp."""
        if archive_timestamp == self.timestamp:
            return Bookmark(self.timestamp, self.count + 1)
        if archive_timestamp > self.timestamp:
            return Bookmark(archive_timestamp, 1)
        return self  # an older record (an FMC re-sending its past): the bookmark never moves back

    def as_json(self) -> str:
        return json.dumps({"timestamp": self.timestamp, "count": self.count})

    @classmethod
    def from_json(cls, text: str) -> "Bookmark":
        data = json.loads(text)
        timestamp, count = data["timestamp"], data["count"]
        if not (isinstance(timestamp, int) and isinstance(count, int)) or timestamp < 0 or count < 0:
            raise ValueError(f"not a bookmark: {text!r}")
        return cls(timestamp, count)


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
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".bookmark-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(bookmark.as_json())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


class MemoryBookmarkStore:
    """For the command line's ``stream`` without ``--bookmark``, and for tests."""

    def __init__(self, bookmark: Optional[Bookmark] = None):
        self.bookmark = bookmark

    def load(self) -> Optional[Bookmark]:
        return self.bookmark

    def save(self, bookmark: Bookmark) -> None:
        self.bookmark = bookmark
