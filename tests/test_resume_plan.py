"""Where a session resumes and what it drops, on the FMC of its bookmark and on the other one."""
import logging
import struct

from estreamer.bookmark import Bookmark
from estreamer.journal import MemoryJournal
from estreamer.resume import plan

P, S = "10.0.0.1:8302", "10.0.0.2:8302"
START = 0


def journal(*batches):
    """A journal holding ``(fmc, [(archive, name)])`` batches (names stand for identities)."""
    j = MemoryJournal(window=600)
    for fmc, entries in batches:
        j.append(fmc, [struct.pack(">I", archive) + name.encode() for archive, name in entries])
        j.commit()
    return j


def keys(*names):
    return {name.encode() for name in names}


def test_without_a_bookmark_the_configured_start_is_asked_for():
    p = plan(None, P, P, journal(), 300, START, paired=True)
    assert p.since == START and p.bookmark is None and p.replay is None


def test_on_the_bookmarks_fmc_the_resume_is_exact_and_the_journal_adds_the_unsaved_flush():
    j = journal((P, [(1000, "a"), (1005, "b")]), (P, [(1006, "c")]))
    p = plan(Bookmark(1005, 1, P), P, P, j, 300, START, paired=True)
    assert p.same_fmc and p.since == 1004
    assert p.resume.timestamp == 1005 and p.resume.to_skip == 1
    assert p.replay.seen == keys("b", "c")  # from the bookmark's second on: "a" is behind it
    assert p.bookmark == Bookmark(1005, 1, P)


def test_a_bookmark_without_an_fmc_belongs_to_the_primary():
    p = plan(Bookmark(1005, 1), P, P, journal(), 300, START, paired=True)
    assert p.same_fmc and p.bookmark == Bookmark(1005, 1, P)


def test_an_input_without_a_standby_keeps_bookmarks_without_an_fmc():
    p = plan(Bookmark(1005, 1), P, P, journal((P, [(1006, "c")])), 300, START, paired=False)
    assert p.bookmark == Bookmark(1005, 1) and p.replay.horizon == 1006


def test_on_the_other_fmc_the_session_asks_from_the_bookmark_minus_the_margin():
    j = journal((P, [(700 + n, f"e{n}") for n in range(306)]))
    p = plan(Bookmark(1005, 3, P), S, P, j, 300, START, paired=True)
    assert not p.same_fmc
    assert p.since == 705
    assert p.resume.to_skip == 0 and p.resume.timestamp == 0  # nothing skipped by time
    assert p.replay.seen == keys(*[f"e{n}" for n in range(306)])
    assert p.replay.horizon == 1005 + 300
    assert p.bookmark is None  # the standby's clock: counted afresh


def test_back_on_the_primary_after_the_standby_the_standbys_identities_are_dropped_too():
    j = journal((P, [(1000, "a")]), (S, [(993, "b"), (994, "c")]))
    p = plan(Bookmark(1000, 1, P), P, P, j, 300, START, paired=True)
    assert p.replay.seen == keys("a", "b", "c")


def test_a_journal_that_does_not_reach_back_to_the_margin_is_reported(caplog):
    j = journal((P, [(1000, "a")]))
    with caplog.at_level(logging.WARNING, "estreamer.resume"):
        plan(Bookmark(1005, 1, P), S, P, j, 300, START, paired=True)
    assert "the identity journal reaches back only to 1000" in caplog.text
