"""State files (bookmark, metadata cache, remembered generations) are written whole or not at
all: through ``estreamer.atomic.write_atomic`` (fsync, then replace, cleanup on failure)."""
import os

import pytest

from estreamer import atomic
from estreamer.atomic import write_atomic
from estreamer.bookmark import Bookmark, FileBookmarkStore
from estreamer.generations import FileGenerationStore
from estreamer.metadata import MetadataCache


def test_the_new_content_replaces_the_old(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("old")
    write_atomic(str(path), "new")
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["state.json"]


def test_a_missing_directory_is_created(tmp_path):
    path = tmp_path / "a" / "b" / "state.json"
    write_atomic(str(path), b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"


def test_the_data_is_on_disk_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(atomic.os, "replace",
                        lambda a, b: (calls.append("replace"), real_replace(a, b)))
    write_atomic(str(tmp_path / "state.json"), "x")
    assert calls[:2] == ["fsync", "replace"]


def failing_replace(*args):
    raise OSError(28, "No space left on device")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    path.write_text("old")
    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        write_atomic(str(path), "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["state.json"]


@pytest.mark.parametrize("save", [
    lambda path: FileBookmarkStore(path).save(Bookmark(1700000000, 3)),
    lambda path: MetadataCache().save(path),
    lambda path: FileGenerationStore(path).save("fmc:8302", "7.0"),
], ids=["bookmark", "metadata cache", "generations"])
def test_every_state_file_is_written_atomically(tmp_path, monkeypatch, save):
    path = tmp_path / "state.json"
    path.write_text("old")
    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError):
        save(str(path))
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["state.json"]
