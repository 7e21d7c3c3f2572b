"""The one way state files are written: whole or not at all.

A bookmark, the metadata cache and the remembered event generations each live in one small
file that a crash, a full disk or a kill must never leave half written. :func:`write_atomic`
writes a temporary file beside the target, fsyncs it, renames it over the target (atomic on
POSIX and Windows) and fsyncs the directory so the rename survives a power cut; on any failure
the temporary file is removed and the old file stays as it was. (The identity journal appends
and fsyncs by design, and is not written through here.)
"""
from __future__ import annotations

import os
import tempfile
from typing import Union


def write_atomic(path: str, data: Union[str, bytes], prefix: str = ".state-") -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8), creating its directory."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    sync_directory(directory)


def sync_directory(directory: str) -> None:
    """Make a rename or a new file's name durable; a platform that cannot open a directory
    (Windows) skips it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["sync_directory", "write_atomic"]
