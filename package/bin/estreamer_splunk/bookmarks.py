"""The input's bookmark in Splunk's KV store, with a file in the checkpoint dir as the fallback.

KV store: collection ``TA_firepower_estreamer_checkpointer`` (default/collections.conf), one
document per input: ``{"_key": <input>, "state": "{\\"timestamp\\": T, \\"count\\": N}"}``,
written through solnlib's KVStoreCheckpointer (it creates the collection if it is missing).

Fallback: when the KV store cannot be reached (connection refused, no answer within ``timeout``,
HTTP 5xx such as "KV Store is initializing" or "KV Store is disabled"), the bookmark goes to a
JSON file in the input's checkpoint_dir for the rest of this run, and one warning says so and where the file is. Both
are read on load and the later bookmark wins (a bookmark only moves forward), so a run that fell
back and a later run on the KV store never resume from an older position; the file is removed
once the KV store holds a bookmark at least as new.
"""
import logging
import os
import re
import socket
from contextlib import contextmanager

from estreamer.bookmark import Bookmark, FileBookmarkStore

APP = "TA_firepower_estreamer"
COLLECTION = "TA_firepower_estreamer_checkpointer"
# Seconds one KV store call may take before it counts as unavailable (solnlib retries a failed
# call 3 times, 7 s apart in all, so a stalled splunkd holds the input ~40 s once, then the file).
TIMEOUT = 10.0

_log = logging.getLogger(__name__)


def fallback_path(checkpoint_dir, input_name):
    """The fallback file of an input: one per input, named after it (filesystem-safe)."""
    return os.path.join(checkpoint_dir, "{}.bookmark.json".format(
        re.sub(r"[^\w.-]+", "_", input_name)))


def _unavailable(exc):
    """True for failures that mean "no KV store right now", not "wrong request"."""
    from splunklib import binding
    from solnlib.modular_input.checkpointer import CheckpointerException

    if isinstance(exc, binding.HTTPError):
        return exc.status >= 500
    return isinstance(exc, (OSError, CheckpointerException))


def _describe(exc):
    status = getattr(exc, "status", None)
    if status is not None:
        return "HTTP {} {}".format(status, str(exc).split(" -- ", 1)[-1])
    return "{}: {}".format(type(exc).__name__, exc)


class KVStoreBookmarkStore:
    """BookmarkStore (``load``/``save``) of one input, keyed by the input name."""

    def __init__(self, input_name, session_key, scheme, host, port, checkpoint_dir,
                 app=APP, collection=COLLECTION, logger=None, timeout=TIMEOUT):
        self.input_name = input_name
        self.timeout = timeout
        self.collection = collection
        self.file_path = fallback_path(checkpoint_dir, input_name)
        self._file = FileBookmarkStore(self.file_path)
        self._connect = dict(session_key=session_key, scheme=scheme, host=host, port=port,
                             app=app)
        self._checkpointer = None
        self._fallen_back = False
        self._file_may_exist = True  # until a save to the KV store finds none
        self._log = logger or _log

    @classmethod
    def for_input(cls, config, logger=None):
        """The store of an :class:`estreamer_splunk.settings.InputConfig`."""
        return cls(config.name, config.session_key, config.scheme, config.host, config.port,
                   config.checkpoint_dir, app=config.app, logger=logger)

    @property
    def backend(self):
        """"kvstore" or "file" (after a fallback)."""
        return "file" if self._fallen_back else "kvstore"

    # -- BookmarkStore --------------------------------------------------------------------------
    def load(self):
        from_file = self._file.load()
        if self._fallen_back:
            return from_file
        try:
            with self._bounded():
                state = self._kv().get(self.input_name)
        except Exception as exc:  # noqa: BLE001 - only "unavailable" is handled, the rest re-raised
            if not _unavailable(exc):
                raise
            self._fall_back(exc)
            return from_file
        from_kv = self._parse(state) if state is not None else None
        if from_kv is None or (from_file is not None and from_file > from_kv):
            return from_file
        return from_kv

    def save(self, bookmark):
        if not self._fallen_back:
            try:
                with self._bounded():
                    self._kv().update(self.input_name, {"timestamp": int(bookmark.timestamp),
                                                        "count": int(bookmark.count)})
            except Exception as exc:  # noqa: BLE001
                if not _unavailable(exc):
                    raise
                self._fall_back(exc)
            else:
                self._drop_file(bookmark)
                return
        self._file.save(Bookmark(int(bookmark.timestamp), int(bookmark.count)))

    # -- internals ------------------------------------------------------------------------------
    @contextmanager
    def _bounded(self):
        """Every socket splunklib opens in here times out after ``self.timeout``: solnlib gives
        its HTTP handler no timeout (it opens one connection per request, with the process
        default), and a splunkd that stops answering must not stall the input."""
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(self.timeout)
        try:
            yield
        finally:
            socket.setdefaulttimeout(previous)

    def _kv(self):
        if self._checkpointer is None:
            from solnlib.modular_input.checkpointer import KVStoreCheckpointer

            c = self._connect
            self._checkpointer = KVStoreCheckpointer(
                self.collection, c["session_key"], c["app"], scheme=c["scheme"],
                host=c["host"], port=c["port"])
        return self._checkpointer

    def _parse(self, state):
        try:
            timestamp, count = state["timestamp"], state["count"]
            if not (isinstance(timestamp, int) and isinstance(count, int)) \
                    or timestamp < 0 or count < 0:
                raise ValueError
        except (TypeError, KeyError, ValueError):
            raise ValueError(
                "the bookmark of input {!r} in KV store collection {} is not "
                "{{\"timestamp\": int, \"count\": int}} ({!r}): delete that document (key "
                "{!r}) to start from the input's start position".format(
                    self.input_name, self.collection, state, self.input_name)) from None
        return Bookmark(timestamp, count)

    def _fall_back(self, exc):
        self._fallen_back = True
        self._checkpointer = None
        self._log.warning(
            "KV store unavailable (%s): the bookmark of input %s is kept in the file %s "
            "until the input restarts", _describe(exc), self.input_name, self.file_path)

    def _drop_file(self, saved):
        """The KV store now holds ``saved``: an older fallback file has served its purpose."""
        if not self._file_may_exist:
            return
        try:
            from_file = self._file.load()
        except ValueError:
            from_file = None
        if from_file is None:
            self._file_may_exist = False
        elif from_file <= saved:
            try:
                os.unlink(self.file_path)
            except OSError:
                return
            self._file_may_exist = False
            self._log.info("bookmark of input %s moved from %s back to the KV store",
                           self.input_name, self.file_path)


__all__ = ["COLLECTION", "KVStoreBookmarkStore", "fallback_path"]
