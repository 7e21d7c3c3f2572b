"""The identities of the events written lately, journaled before the events are flushed.

A resume drops what was already written. On the FMC the bookmark belongs to, the bookmark says
where that ends — except for the events of a flush whose bookmark save a crash prevented. On the
other FMC of an HA pair the bookmark says nothing exact (each FMC stamps its own archive time).
Both gaps close with the identities (:mod:`.identity`) of the events written lately.

Each flush is journaled in two steps. Before the sink flushes a batch, its identities are
appended (:meth:`IdentityJournal.append`): whatever can have reached the sink is in the journal,
whenever the process dies. Once the flush has returned, a commit line follows
(:meth:`IdentityJournal.commit`). A resume drops the committed identities; those of a batch whose
commit is missing (the process died during that very flush: the sink may hold all, part or none
of it) are *in doubt* and are not dropped, so a crash can repeat the events of the one flush it
interrupted but never loses one. A crash between a flush and its bookmark save — the window where
a resume used to repeat the whole batch — repeats nothing.

Files: ``<prefix>.<n>`` segments (``n`` counts up), append-only text: one line per event, its
entry in hex (the archive second and the identity, :mod:`.identity`); ``=`` after a batch the
sink confirmed (``!`` before the next batch when a flush failed instead); ``@ <fmc>`` wherever
the FMC serving the events changes (archive timestamps of two FMCs are not comparable). Each
process start opens a new segment, so a line torn by a crash is only ever the last line of a
segment (and is ignored). A batch is one ``write`` and one ``fdatasync`` (``sync=True``), its
commit one ``write``: system calls per flush, never per event. The sync makes the identities
outlive a power loss too; a lost commit line only puts its batch in doubt.

Bounded two ways: by count (``max_entries`` over all segments: the oldest segment goes) and by
archive time (a segment whose newest event is older than ``window`` seconds before the newest
one goes). The client's window is twice the failover margin: it resumes on the other FMC from
``bookmark - margin`` on *that* FMC's clock, which is up to one more margin (the skew the
margin is sized for) earlier on ours.
"""
from __future__ import annotations

import collections
import glob
import os
import struct
from typing import List, NamedTuple, Optional, Set, Tuple

from .atomic import sync_directory
from .identity import archive_of

DEFAULT_MAX_ENTRIES = 1_000_000
SEGMENTS = 8  # the count bound drops an eighth of the journal at a time


class Recent(NamedTuple):
    """What a resume drops: the identities, and the archive seconds the journal covers."""
    identities: Set[bytes]
    oldest: Optional[int]   # the oldest archive second journaled (None: empty journal)
    newest: Optional[int]
    in_doubt: int = 0       # entries of flushes a crash interrupted (not dropped)


class _Segment:
    """A segment file and what it holds: entries, archive seconds, FMCs (``known`` once read,
    or when this process wrote all of it)."""
    __slots__ = ("path", "entries", "oldest", "newest", "fmcs", "known")

    def __init__(self, path, known=False):
        self.path, self.known = path, known
        self.entries, self.oldest, self.newest, self.fmcs = 0, None, None, set()

    def add(self, fmc, oldest, newest, entries):
        self.entries += entries
        self.fmcs.add(fmc)
        self.oldest = oldest if self.oldest is None else min(self.oldest, oldest)
        self.newest = newest if self.newest is None else max(self.newest, newest)


def _read(path) -> Tuple[List[Tuple[Optional[str], int, bytes]], int]:
    """``(fmc, archive, identity)`` of a segment's committed entries (``fmc`` None before a
    marker), and how many entries after the last commit are in doubt."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return [], 0
    out, batch, fmc, doubtful = [], [], None, 0
    end = data.rfind(b"\n")
    for line in data[:end + 1].decode("utf-8", "replace").splitlines():
        if line == "=":
            out += batch
            batch = []
        elif line == "!":  # that flush failed: its batch stays in doubt
            doubtful += len(batch)
            batch = []
        elif line.startswith("@ "):
            fmc = line[2:]
        else:
            try:
                entry = bytes.fromhex(line)
                batch.append((fmc, archive_of(entry), entry[4:]))
            except (ValueError, struct.error):
                continue  # damaged line: the identity cannot help, the rest still can
    return out, doubtful + len(batch)


class IdentityJournal:
    def __init__(self, prefix: str, window: float, max_entries: int = DEFAULT_MAX_ENTRIES,
                 sync: bool = True):
        self.prefix, self.window, self.sync = prefix, window, sync
        self.max_entries = max(max_entries, SEGMENTS)
        self._per_segment = self.max_entries // SEGMENTS
        self._segments: List[_Segment] = []
        self._fd = None
        self._fmc = None        # the FMC of the lines written last in the open segment
        self._loaded = False
        self._uncommitted = False  # a batch appended and not yet committed

    # --- the resume side --------------------------------------------------------------------

    def recent(self, fmc: str, since: Optional[int] = None) -> Recent:
        """The identities a resume from ``fmc`` must drop: every one journaled for another FMC,
        and those of ``fmc`` at or after archive second ``since`` (None: all of them)."""
        if not self._loaded:
            self._segments, self._loaded = [_Segment(path) for path in self._paths()], True
        identities, in_doubt = set(), 0
        for segment in self._segments:
            if segment.known and since is not None and segment.fmcs <= {fmc} and \
                    (segment.newest is None or segment.newest < since):
                continue  # all of it behind the bookmark, on its own FMC: not needed
            lines, doubtful = _read(segment.path)
            in_doubt += doubtful
            if not segment.known:
                segment.known = True
                segment.entries = len(lines) + doubtful
                for owner, archive, _ in lines:
                    segment.add(owner, archive, archive, 0)
            for owner, archive, identity in lines:
                if since is None or owner != fmc or archive >= since:
                    identities.add(identity)
        stamps = [s for segment in self._segments for s in (segment.oldest, segment.newest)
                  if s is not None]
        return Recent(identities, min(stamps, default=None), max(stamps, default=None),
                      in_doubt)

    # --- the writing side -------------------------------------------------------------------

    def append(self, fmc: str, entries: List[bytes]) -> None:
        """Journal the entries (:meth:`.identity.Identities.entry`) of events about to be
        flushed, in archive order (one write)."""
        if not entries:
            return
        if not self._loaded:
            self.recent(fmc)
        if self._fd is None or self._segments[-1].entries >= self._per_segment:
            self._rotate()
        text = "\n".join(map(bytes.hex, entries)) + "\n"
        if self._uncommitted:  # the previous flush failed: its batch must stay in doubt
            text = "!\n" + text
        if fmc != self._fmc:
            text = f"@ {fmc}\n" + text
            self._fmc = fmc
        data = text.encode("utf-8")
        while data:
            data = data[os.write(self._fd, data):]
        if self.sync:
            _datasync(self._fd)
        first, last = archive_of(entries[0]), archive_of(entries[-1])
        self._segments[-1].add(fmc, min(first, last), max(first, last), len(entries))
        self._uncommitted = True

    def commit(self) -> None:
        """The sink confirmed the batch appended last: a resume may drop its events."""
        if self._uncommitted:
            data = b"=\n"
            while data:
                data = data[os.write(self._fd, data):]
            self._uncommitted = False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # --- segments ---------------------------------------------------------------------------

    def _paths(self) -> List[str]:
        found = []
        for path in glob.glob(glob.escape(self.prefix) + ".*"):
            suffix = path[len(self.prefix) + 1:]
            if suffix.isdigit():
                found.append((int(suffix), path))
        return [path for _, path in sorted(found)]

    def _rotate(self) -> None:
        self.close()
        number = 1
        if self._segments:
            number = int(self._segments[-1].path[len(self.prefix) + 1:]) + 1
        path = f"{self.prefix}.{number:06d}"
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fmc = None  # every segment names its FMC before its first line
        self._segments.append(_Segment(path, known=True))
        if self.sync:
            sync_directory(directory)  # a new segment's name must survive a power loss too
        self._prune()

    def _prune(self) -> None:
        """Drop the oldest segments beyond the count bound or older than the window (never the
        one being written)."""
        segments = self._segments
        newest = max((s.newest for s in segments if s.newest is not None), default=None)
        total = sum(s.entries for s in segments)
        while len(segments) > 1:
            first = segments[0]
            too_many = total + self._per_segment > self.max_entries
            too_old = newest is not None and first.newest is not None and \
                first.newest < newest - self.window
            if not (too_many or too_old or first.entries == 0):
                break
            try:
                os.unlink(first.path)
            except FileNotFoundError:
                pass
            total -= first.entries
            segments.pop(0)


class MemoryJournal:
    """The same contract kept in memory: for the command line's ``stream`` without
    ``--bookmark`` (reconnects and failovers within the run), and for tests."""

    def __init__(self, window: float, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.window = window
        self.entries = collections.deque(maxlen=max(max_entries, 1))  # (fmc, entry)
        self.newest = None
        self._batch = []

    def recent(self, fmc: str, since: Optional[int] = None) -> Recent:
        stamps = [archive_of(entry) for _, entry in self.entries]
        return Recent({entry[4:] for (owner, entry), archive in zip(self.entries, stamps)
                       if since is None or owner != fmc or archive >= since},
                      min(stamps, default=None), max(stamps, default=None), len(self._batch))

    def append(self, fmc: str, entries: List[bytes]) -> None:
        self._batch = [(fmc, entry) for entry in entries]

    def commit(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        self.entries.extend(batch)
        newest = max(archive_of(batch[0][1]), archive_of(batch[-1][1]))
        if self.newest is None or newest > self.newest:
            self.newest = newest
        while archive_of(self.entries[0][1]) < self.newest - self.window:
            self.entries.popleft()

    def close(self) -> None:
        pass


def _datasync(fd) -> None:
    sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
    sync(fd)


__all__ = ["DEFAULT_MAX_ENTRIES", "IdentityJournal", "MemoryJournal", "Recent"]
