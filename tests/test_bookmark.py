"""Bookmarks: (archive second, records of that second delivered); resumes drop exactly the repeats."""
import json
import os

import pytest

from estreamer.bookmark import Bookmark, FileBookmarkStore, MemoryBookmarkStore, Resume


def test_a_record_of_the_same_second_counts_one_more():
    assert Bookmark(100, 2).advance(100) == Bookmark(100, 3)


def test_a_record_of_a_later_second_starts_a_new_count():
    assert Bookmark(100, 7).advance(101) == Bookmark(101, 1)


def test_an_older_record_never_moves_the_bookmark_back():
    assert Bookmark(100, 7).advance(99) == Bookmark(100, 7)


def test_a_resume_asks_for_one_second_before_the_bookmark():
    # safe whether the FMC compares the request time with > or >= (docs/protocol.md)
    assert Resume(Bookmark(1_700_000_010, 3)).since == 1_700_000_009


def test_a_resume_drops_older_seconds_and_the_delivered_records_of_the_bookmark_second():
    resume = Resume(Bookmark(100, 2))
    seen = [(t, resume.already_delivered(t)) for t in (99, 99, 100, 100, 100, 101, 100)]
    assert seen == [(99, True), (99, True), (100, True), (100, True), (100, False),
                    (101, False), (100, False)]


def test_metadata_without_an_archive_time_is_never_a_repeat():
    assert Resume(Bookmark(100, 5)).already_delivered(None) is False


def test_without_a_bookmark_nothing_is_a_repeat():
    resume = Resume(None)
    assert (resume.since, resume.already_delivered(0), resume.already_delivered(5)) == (0, False, False)


def test_the_file_store_round_trips_and_starts_empty(tmp_path):
    store = FileBookmarkStore(str(tmp_path / "fmc" / "bookmark.json"))
    assert store.load() is None
    store.save(Bookmark(1_700_000_000, 12))
    assert FileBookmarkStore(store.path).load() == Bookmark(1_700_000_000, 12)
    assert json.loads(open(store.path).read()) == {"timestamp": 1_700_000_000, "count": 12}


def test_the_file_store_replaces_the_file_and_leaves_no_temporary_files(tmp_path):
    store = FileBookmarkStore(str(tmp_path / "bookmark.json"))
    for n in range(5):
        store.save(Bookmark(100 + n, n))
    assert os.listdir(tmp_path) == ["bookmark.json"]
    assert store.load() == Bookmark(104, 4)


@pytest.mark.parametrize("content", ["", "{", '{"timestamp": "x", "count": 1}', '{"count": 1}',
                                     '{"timestamp": -1, "count": 0}'])
def test_an_unreadable_bookmark_file_is_a_clear_error_not_a_silent_restart(tmp_path, content):
    path = tmp_path / "bookmark.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="bookmark file .* is unreadable"):
        FileBookmarkStore(str(path)).load()


def test_the_memory_store_keeps_the_last_bookmark():
    store = MemoryBookmarkStore()
    store.save(Bookmark(5, 1))
    assert store.load() == Bookmark(5, 1)


# --- the FMC a bookmark belongs to (HA pairs) ---------------------------------------------------

def test_a_bookmark_of_an_ha_pair_keeps_its_fmc_as_it_advances():
    assert Bookmark(100, 2, "fmc2:8302").advance(100) == Bookmark(100, 3, "fmc2:8302")
    assert Bookmark(100, 2, "fmc2:8302").advance(101) == Bookmark(101, 1, "fmc2:8302")


def test_the_file_store_keeps_the_fmc_and_reads_bookmarks_without_one(tmp_path):
    store = FileBookmarkStore(str(tmp_path / "b.json"))
    store.save(Bookmark(1_700_000_000, 12, "[2001:db8::2]:8302"))
    assert json.loads((tmp_path / "b.json").read_text()) == {
        "timestamp": 1_700_000_000, "count": 12, "fmc": "[2001:db8::2]:8302"}
    assert store.load() == Bookmark(1_700_000_000, 12, "[2001:db8::2]:8302")
    store.save(Bookmark(5, 1))
    assert json.loads((tmp_path / "b.json").read_text()) == {"timestamp": 5, "count": 1}
    assert store.load().fmc == ""


def test_an_fmc_that_is_not_text_makes_the_bookmark_unreadable(tmp_path):
    (tmp_path / "b.json").write_text('{"timestamp": 5, "count": 1, "fmc": 7}')
    with pytest.raises(ValueError, match="unreadable"):
        FileBookmarkStore(str(tmp_path / "b.json")).load()
