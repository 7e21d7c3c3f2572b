"""Where a session resumes and what it drops as already written, on either FMC of a pair.

On the FMC the bookmark belongs to, the bookmark is exact (:class:`~.bookmark.Resume`: ask from
one second before it, skip what it counts), and the identity journal (:mod:`.journal`) adds the
events of a flush whose bookmark save a crash prevented. On the other FMC of an HA pair the
bookmark's archive second is on another clock: the session asks from ``bookmark - margin`` on
the new FMC's clock and drops, by identity, every event the journal says was written; its
bookmark starts afresh, counting the new FMC's seconds (see :class:`Replay`).
"""
from __future__ import annotations

import logging
from typing import Optional, Set

from .bookmark import Bookmark, Resume
from .wire import GENESIS

log = logging.getLogger("estreamer.resume")


class Replay:
    """The identities a session drops, until its archive time passes ``horizon``: after that
    the FMC sends only what it never sent before, and the set is let go."""

    __slots__ = ("seen", "horizon")

    def __init__(self, seen: Set[str], horizon: int):
        self.seen, self.horizon = seen, horizon


class ResumePlan:
    """One session's start: the request timestamp, the count-based skip, the identities to drop
    and the bookmark the session's events advance (None: it starts with the first event)."""

    def __init__(self, since: int, resume: Resume, replay: Optional[Replay],
                 bookmark: Optional[Bookmark], same_fmc: bool):
        self.since, self.resume, self.replay = since, resume, replay
        self.bookmark, self.same_fmc = bookmark, same_fmc


def plan(saved: Optional[Bookmark], fmc: str, primary: str, journal, margin: float,
         start: int, paired: bool) -> ResumePlan:
    """The plan of a session on ``fmc`` (``host:port``) given the saved bookmark; ``primary``
    names the FMC a bookmark without ``fmc`` belongs to; ``start`` is the configured start
    timestamp (used without a bookmark); ``paired``: the input has a standby."""
    tag = fmc if paired else ""
    owner = (saved.fmc or primary) if saved is not None else None
    if saved is None:
        recent = journal.recent(fmc)
        return ResumePlan(start, Resume(None), _replay(recent, margin if paired else 0),
                          None, True)
    if owner == fmc:
        recent = journal.recent(fmc, since=saved.timestamp)
        return ResumePlan(Resume(saved).since, Resume(saved),
                          _replay(recent, margin if paired else 0),
                          saved._replace(fmc=tag), True)
    recent = journal.recent(fmc)
    since = max(saved.timestamp - int(margin), GENESIS)
    if recent.oldest is None or recent.oldest > since:
        log.warning("resuming on %s from %d (the bookmark of %s minus the failover margin of "
                    "%g s): the identity journal reaches back only to %s, so events of the "
                    "margin older than that may be written twice (the journal is bounded by "
                    "count, or is younger than the input)", fmc, since, owner, margin,
                    recent.oldest if recent.oldest is not None else "nothing")
    return ResumePlan(since, Resume(None), _replay(recent, margin), None, False)


def _replay(recent, margin: float) -> Optional[Replay]:
    if not recent.identities:
        return None
    return Replay(recent.identities, int(recent.newest + margin))


__all__ = ["Replay", "ResumePlan", "plan"]
