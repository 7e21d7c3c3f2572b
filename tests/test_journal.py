"""The identity journal: append-only segments in the checkpoint directory, bounded by count and
by archive time, read back by a resume."""
import os
import struct
import subprocess
import sys
import textwrap

from conftest import REPO_ROOT
from estreamer.journal import SEGMENTS, IdentityJournal, MemoryJournal

P, S = "10.0.0.1:8302", "10.0.0.2:8302"


def key(name) -> bytes:
    """An identity (the tests need not make real ones: the journal stores any bytes)."""
    return name.encode()


def entry(archive, name) -> bytes:
    return struct.pack(">I", archive) + key(name)


def entries(start, count, second=1000, per_second=10):
    return [entry(second + (start + n) // per_second, f"71:1:{start + n}") for n in range(count)]


def keys(*names):
    return {key(n) for n in names}


def numbered(numbers):
    return {key(f"71:1:{n}") for n in numbers}


def flushed(journal, fmc, batch):
    """What the client does around a flush: the identities first, the commit once it returned."""
    journal.append(fmc, batch)
    journal.commit()


def test_what_was_appended_is_read_back_by_a_new_process(tmp_path):
    prefix = str(tmp_path / "input.identities")
    first = IdentityJournal(prefix, window=600)
    flushed(first, P, entries(0, 30))
    first.close()
    recent = IdentityJournal(prefix, window=600).recent(S)
    assert recent.identities == numbered(range(30))
    assert (recent.oldest, recent.newest) == (1000, 1002)


def test_the_lines_are_the_entries_in_hex_and_name_the_fmc(tmp_path):
    prefix = str(tmp_path / "j")
    journal = IdentityJournal(prefix, window=600)
    flushed(journal, P, [entry(1000, "a")])
    flushed(journal, S, [entry(1007, "b")])
    journal.close()
    (segment,) = [p for p in os.listdir(tmp_path)]
    assert segment == "j.000001"
    assert (tmp_path / segment).read_text() == (
        f"@ {P}\n{entry(1000, 'a').hex()}\n=\n@ {S}\n{entry(1007, 'b').hex()}\n=\n")


def test_on_the_same_fmc_only_identities_from_the_bookmark_second_on_are_needed(tmp_path):
    journal = IdentityJournal(str(tmp_path / "j"), window=600)
    flushed(journal, P, entries(0, 50))            # seconds 1000..1004
    recent = journal.recent(P, since=1003)
    assert recent.identities == numbered(range(30, 50))


def test_identities_of_the_other_fmc_are_always_needed(tmp_path):
    """Their archive seconds are on another clock: they cannot be compared with the bookmark."""
    journal = IdentityJournal(str(tmp_path / "j"), window=600)
    flushed(journal, P, entries(0, 10))
    flushed(journal, S, [entry(990, "71:1:100")])
    assert key("71:1:100") in journal.recent(P, since=1003).identities


def test_each_start_writes_a_new_segment_so_a_torn_line_stays_last(tmp_path):
    prefix = str(tmp_path / "j")
    first = IdentityJournal(prefix, window=600)
    flushed(first, P, entries(0, 5))
    first.close()
    with open(prefix + ".000001", "a") as f:
        f.write(entry(1001, "71:1:99").hex()[:9])  # a crash in the middle of a write
    second = IdentityJournal(prefix, window=600)
    flushed(second, P, entries(5, 5))
    second.close()
    assert sorted(os.listdir(tmp_path)) == ["j.000001", "j.000002"]
    recent = IdentityJournal(prefix, window=600).recent(P)
    assert recent.identities == numbered(range(10))


def test_the_count_bound_drops_the_oldest_segments(tmp_path):
    prefix = str(tmp_path / "j")
    journal = IdentityJournal(prefix, window=10**9, max_entries=80)
    for n in range(40):
        flushed(journal, P, entries(n * 10, 10))
    journal.close()
    identities = IdentityJournal(prefix, window=10**9).recent(P).identities
    assert len(identities) <= 80
    assert key("71:1:399") in identities and key("71:1:0") not in identities
    assert len(os.listdir(tmp_path)) <= SEGMENTS


def test_the_window_bound_drops_segments_older_than_the_window(tmp_path):
    prefix = str(tmp_path / "j")
    journal = IdentityJournal(prefix, window=600, max_entries=80)
    flushed(journal, P, [entry(1000, "old")] * 10)
    flushed(journal, P, [entry(1700, f"new{n}") for n in range(10)])
    flushed(journal, P, [entry(1701, f"newer{n}") for n in range(10)])
    identities = journal.recent(P).identities
    assert key("old") not in identities and key("new0") in identities


def test_an_append_is_one_write_and_one_datasync(tmp_path):
    """The journal must cost little per event: a flush's identities go in one system call."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO_ROOT / "package" / "bin")!r})
        from estreamer.journal import IdentityJournal
        journal = IdentityJournal({str(tmp_path / "j")!r}, window=600)
        journal.append("fmc", [bytes(12)])
        journal.commit()
        calls = []
        real_write, real_sync = os.write, os.fdatasync
        os.write = lambda fd, data: calls.append("write") or real_write(fd, data)
        os.fdatasync = lambda fd: calls.append("sync") or real_sync(fd)
        journal.append("fmc", [n.to_bytes(4, "big") + bytes(60) for n in range(500)])
        calls.append("flush")
        journal.commit()
        print(",".join(calls))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "write,sync,flush,write"


def test_without_sync_the_batch_is_written_but_not_synced(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(os, "fdatasync", lambda fd: synced.append(fd))
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    journal = IdentityJournal(str(tmp_path / "j"), window=600, sync=False)
    flushed(journal, P, entries(0, 5))
    assert not synced
    journal.sync = True
    flushed(journal, P, entries(5, 5))
    assert len(synced) == 1  # the batch (its segment exists already)


def test_the_memory_journal_keeps_the_same_contract():
    journal = MemoryJournal(window=600, max_entries=30)
    flushed(journal, P, entries(0, 40))
    recent = journal.recent(S)
    assert recent.identities == numbered(range(10, 40))
    flushed(journal, P, [entry(5000, "late")])
    assert journal.recent(S).identities == keys("late")
    assert journal.recent(P, since=5000).identities == keys("late")


def test_a_batch_without_its_commit_is_in_doubt_and_not_dropped(tmp_path):
    """The process died during that flush: the sink may hold none of it, so it is sent again."""
    prefix = str(tmp_path / "j")
    journal = IdentityJournal(prefix, window=600)
    flushed(journal, P, entries(0, 10))
    journal.append(P, entries(10, 10))  # killed before the flush returned
    journal.close()
    recent = IdentityJournal(prefix, window=600).recent(P)
    assert recent.identities == numbered(range(10))
    assert recent.in_doubt == 10


def test_a_failed_flush_leaves_its_batch_in_doubt_when_the_next_one_commits(tmp_path):
    prefix = str(tmp_path / "j")
    journal = IdentityJournal(prefix, window=600)
    journal.append(P, entries(0, 10))   # the sink raised: no commit
    flushed(journal, P, entries(10, 10))
    recent = journal.recent(P)
    assert recent.identities == numbered(range(10, 20))
    assert recent.in_doubt == 10


def test_the_memory_journal_drops_only_committed_batches():
    journal = MemoryJournal(window=600)
    journal.append(P, entries(0, 5))
    assert journal.recent(P).identities == set()
    journal.commit()
    assert len(journal.recent(P).identities) == 5


def test_a_resume_on_the_same_fmc_reads_only_the_segments_it_needs(tmp_path, monkeypatch):
    """A reconnect to the bookmark's FMC needs the identities from the bookmark on only: the
    segments wholly behind it (of that FMC alone) are not read again."""
    from estreamer import journal as journal_module
    journal = IdentityJournal(str(tmp_path / "j"), window=10**9, max_entries=80)
    for n in range(5):  # ten entries a segment, each segment a second of its own
        flushed(journal, P, [entry(1000 + n, f"{n}:{k}") for k in range(10)])
    flushed(journal, S, [entry(1003, "standby")])
    read = []
    real = journal_module._read
    monkeypatch.setattr(journal_module, "_read", lambda path: read.append(path) or real(path))
    recent = journal.recent(P, since=1004)
    assert recent.identities == {key(f"4:{k}") for k in range(10)} | keys("standby")
    assert [os.path.basename(p) for p in read] == ["j.000005", "j.000006"]
    assert (recent.oldest, recent.newest) == (1000, 1004)
