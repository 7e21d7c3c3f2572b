"""The input's bookmark in Splunk's KV store, mirrored to a file in the checkpoint dir.

KV store: collection ``TA_firepower_estreamer_checkpointer`` (default/collections.conf), one
document per input: ``{"_key": <input>, "state": "{\\"timestamp\\": T, \\"count\\": N}"}``,
written through solnlib's KVStoreCheckpointer (it creates the collection if it is missing). The
bookmark of an input with a standby FMC adds ``"fmc": "<host:port>"``, the FMC it belongs to.

Mirror: the same bookmark in ``<checkpoint_dir>/<input>.bookmark.json``, written atomically at
most once a second and at shutdown (:meth:`close`). ``load`` takes the later of the two (a
bookmark only moves forward), so neither a KV store that lost a write nor a file that missed the
last second sends the input back.

"KV store unavailable" never means "no bookmark". splunkd starts modular inputs before its KV
store is ready (solnlib documents the 503 "when KV Store is initializing"), so ``load`` waits for
it up to ``wait`` seconds (not for a KV store splunkd reports disabled: the file is then the
store) (one warning, and ``on_wait`` for a health event); if it is still unavailable then, the
file alone is used, and without a file :class:`KVStoreUnavailable` says to exit non-zero for
splunkd to retry — never to start from the FMC's oldest event. Only "no
such document" from a reachable KV store and no file means a first start. An unavailable KV
store mid-run (connection refused, no answer within ``timeout``, HTTP 5xx) moves the saves to
the file for the rest of the run, with one warning.

splunkd hands an input its session key once; an idle key ages out (server.conf
``sessionTimeout``, an hour by default). :meth:`keep_alive` reads the KV store when nothing else
used the key for :data:`KEEPALIVE` seconds. Should splunkd refuse the key anyway (401, 403), the
bookmark is saved to the file and :class:`SessionExpired` says to exit non-zero: splunkd
restarts the input with a fresh key, and it resumes from the file.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, TypeVar

from estreamer.bookmark import Bookmark, BookmarkUnreadable, FileBookmarkStore

from .app import APP, checkpoint_file
from .settings import InputConfig

_T = TypeVar("_T")

COLLECTION = "TA_firepower_estreamer_checkpointer"
# Seconds one KV store call may take before it counts as unavailable (solnlib retries a failed
# call 3 times, 7 s apart in all, so a stalled splunkd holds the input ~40 s once, then the file).
TIMEOUT = 10.0
WAIT = 300.0  # how long load() waits for a KV store that is starting ([advanced] kvstore_wait)
WAIT_STEP = 5.0  # seconds between two tries while waiting
KEEPALIVE = 600.0  # an idle session key is used at least this often (splunkd's default: 1 h)
MIRROR_INTERVAL = 1.0  # the file mirror is written at most this often (and at shutdown)

_log = logging.getLogger(__name__)


class KVStoreUnavailable(Exception):
    """The KV store did not come up within the wait and no file holds a bookmark (or the input
    was stopped while waiting): starting would mean starting from the wrong place."""


class SessionExpired(Exception):
    """splunkd refused the input's session key; the bookmark is in the file."""


def fallback_path(checkpoint_dir: str, input_name: str) -> str:
    """The mirror file of an input: one per input, named after it (filesystem-safe)."""
    return checkpoint_file(checkpoint_dir, input_name, "bookmark.json")


def _unavailable(exc: BaseException) -> bool:
    """True for failures that mean "no KV store right now", not "wrong request"."""
    from solnlib.modular_input.checkpointer import CheckpointerException
    from splunklib import binding

    if isinstance(exc, binding.HTTPError):
        return exc.status >= 500
    return isinstance(exc, (OSError, CheckpointerException))


def _disabled(exc: BaseException) -> bool:
    """True for splunkd's 503 "KV Store is disabled" (server.conf [kvstore] disabled)."""
    return getattr(exc, "status", None) == 503 and "disabled" in str(exc)


def _refused(exc: BaseException) -> bool:
    """True when splunkd refuses the session key itself."""
    from splunklib import binding

    return isinstance(exc, binding.HTTPError) and exc.status in (401, 403)


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    if status is not None:
        return "HTTP {} {}".format(status, str(exc).split(" -- ", 1)[-1].strip())
    return "{}: {}".format(type(exc).__name__, exc)


def _later(a: Optional[Bookmark], b: Optional[Bookmark]) -> Optional[Bookmark]:
    """The later of the KV store's bookmark ``a`` and the file's ``b``. Bookmarks of two FMCs
    of a pair are on two clocks: then the KV store's, written at every save, is the newer."""
    if a is None or (b is not None and b.fmc == a.fmc and b > a):
        return b
    return a


class KVStoreBookmarkStore:
    """BookmarkStore (``load``/``save``, plus ``keep_alive`` and ``close``) of one input, keyed
    by the input name. ``stop`` (a threading.Event) ends a wait early; ``on_wait(text)`` is
    called once when ``load`` starts waiting for the KV store."""

    def __init__(self, input_name: str, session_key: str, scheme: str, host: Optional[str],
                 port: Optional[int], checkpoint_dir: str, app: str = APP,
                 collection: str = COLLECTION, logger: Optional[logging.Logger] = None,
                 timeout: float = TIMEOUT, wait: float = WAIT,
                 stop: Optional[threading.Event] = None,
                 on_wait: Optional[Callable[[str], None]] = None, keepalive: float = KEEPALIVE,
                 clock: Callable[[], float] = time.monotonic):
        self.input_name = input_name
        self.timeout, self.wait, self.keepalive = timeout, wait, keepalive
        self.collection = collection
        self.file_path = fallback_path(checkpoint_dir, input_name)
        self._file = FileBookmarkStore(self.file_path)
        self._connect = dict(session_key=session_key, scheme=scheme, host=host, port=port,
                             app=app)
        self._checkpointer: Any = None
        self._fallen_back = False
        self._expired = False
        self._stop = stop or threading.Event()
        self._on_wait = on_wait
        self._clock = clock
        self._last_call = clock()   # the session key was used (by splunkd, handing it over)
        self._latest: Optional[Bookmark] = None  # the newest bookmark saved
        self._mirrored: Optional[Bookmark] = None  # the bookmark the file holds (as far as this run wrote it)
        self._mirrored_at: Optional[float] = None
        self._log = logger or _log

    @classmethod
    def for_input(cls, config: InputConfig, logger: Optional[logging.Logger] = None,
                  **options: Any) -> "KVStoreBookmarkStore":
        """The store of an :class:`estreamer_splunk.settings.InputConfig`."""
        return cls(config.name, config.session_key, config.scheme, config.host, config.port,
                   config.checkpoint_dir, app=config.app, logger=logger, **options)

    @property
    def backend(self) -> str:
        """"kvstore" or "file" (after a fallback)."""
        return "file" if self._fallen_back or self._expired else "kvstore"

    # -- BookmarkStore --------------------------------------------------------------------------
    def load(self) -> Optional[Bookmark]:
        from_file = self._load_file()
        if self._fallen_back:
            return from_file
        deadline = self._clock() + self.wait
        waiting_since = None
        while True:
            try:
                if waiting_since is not None:
                    self._probe()  # quiet until the KV store answers (solnlib retries and logs)
                state = self._call(lambda kv: kv.get(self.input_name))
                break
            except Exception as exc:  # noqa: BLE001 - sorted below, the rest re-raised
                if _refused(exc):
                    raise SessionExpired(self._refused_text(exc, None)) from None
                if not _unavailable(exc):
                    if isinstance(exc, (ValueError, KeyError, TypeError)):
                        raise BookmarkUnreadable(self._bad_document(exc)) from None
                    raise
                if _disabled(exc):  # it will not come up by waiting: the file is the store
                    self._fall_back(exc)
                    return from_file
                left = deadline - self._clock()
                if left <= 0 or self._stop.is_set():
                    return self._without_kvstore(exc, from_file)
                if waiting_since is None:
                    waiting_since = self._clock()
                    self._announce_wait(exc, from_file)
                self._stop.wait(min(WAIT_STEP, left))
        if waiting_since is not None:
            self._log.info("KV store ready after %.0f s: reading the bookmark of input %s",
                           self._clock() - waiting_since, self.input_name)
        from_kv = self._parse(state) if state is not None else None
        return _later(from_kv, from_file)

    def save(self, bookmark: Bookmark) -> None:
        bookmark = Bookmark(int(bookmark.timestamp), int(bookmark.count), bookmark.fmc)
        self._latest = bookmark
        if not (self._fallen_back or self._expired):
            try:
                self._call(lambda kv: kv.update(self.input_name, bookmark.as_dict()))
            except Exception as exc:  # noqa: BLE001
                if _refused(exc):
                    self._expire(exc)
                if not _unavailable(exc):
                    raise
                self._fall_back(exc)
            else:
                if self._mirrored_at is None or \
                        self._clock() - self._mirrored_at >= MIRROR_INTERVAL:
                    self._mirror()
                return
        self._mirror()

    def keep_alive(self) -> None:
        """Use the session key if nothing did for ``keepalive`` seconds (a cheap KV read), so
        that splunkd does not age it out while the FMC is quiet."""
        if self._fallen_back or self._expired or \
                self._clock() - self._last_call < self.keepalive:
            return
        try:
            self._call(lambda kv: kv.get(self.input_name))
        except Exception as exc:  # noqa: BLE001
            if _refused(exc):
                self._expire(exc)
            if not _unavailable(exc):
                raise
            self._last_call = self._clock()  # the next save falls back if it lasts

    def close(self) -> None:
        """At shutdown: the file mirrors the last bookmark saved."""
        if self._latest is not None and self._latest != self._mirrored:
            self._mirror()

    # -- internals ------------------------------------------------------------------------------
    def _call(self, request: Callable[[Any], _T]) -> _T:
        """One KV store request, bounded in time; a success means the key was just used."""
        with self._bounded():
            result = request(self._kv())
        self._last_call = self._clock()
        return result

    @contextmanager
    def _bounded(self) -> Iterator[None]:
        """Every socket splunklib opens in here times out after ``self.timeout``: solnlib gives
        its HTTP handler no timeout (it opens one connection per request, with the process
        default), and a splunkd that stops answering must not stall the input."""
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(self.timeout)
        try:
            yield
        except Exception:
            self._checkpointer = None  # the next call starts over (the collection may be new)
            raise
        finally:
            socket.setdefaulttimeout(previous)

    def _probe(self) -> None:
        """One plain KV store request, without solnlib's retries and their log lines: raises
        what splunkd answers while the KV store is not ready."""
        from solnlib.splunk_rest_client import SplunkRestClient

        c = self._connect
        with self._bounded():
            SplunkRestClient(c["session_key"], c["app"], scheme=c["scheme"], host=c["host"],
                             port=c["port"]).get("storage/collections/config", owner="nobody",
                                                 app=c["app"])

    def _kv(self) -> Any:
        if self._checkpointer is None:
            from solnlib.modular_input.checkpointer import KVStoreCheckpointer

            c = self._connect
            self._checkpointer = KVStoreCheckpointer(
                self.collection, c["session_key"], c["app"], scheme=c["scheme"],
                host=c["host"], port=c["port"])
        return self._checkpointer

    def _load_file(self) -> Optional[Bookmark]:
        try:
            bookmark = self._file.load()
        except BookmarkUnreadable as exc:
            raise BookmarkUnreadable(
                "{}. It mirrors the KV store's bookmark of input {}: move it away and the input "
                "resumes from the KV store".format(str(exc).split(";")[0], self.input_name)
            ) from None
        self._mirrored = bookmark
        return bookmark

    def _mirror(self) -> None:
        if self._latest is None:  # nothing saved yet: nothing to mirror
            return
        self._file.save(self._latest)
        self._mirrored, self._mirrored_at = self._latest, self._clock()

    def _parse(self, state: Any) -> Bookmark:
        try:
            return Bookmark.from_dict(state)
        except ValueError:
            raise BookmarkUnreadable(self._bad_document(state)) from None

    def _bad_document(self, what: Any) -> str:
        return ("the bookmark of input {!r} in KV store collection {} is not "
                "{{\"timestamp\": int, \"count\": int[, \"fmc\": str]}} ({!r}): delete that document (key "
                "{!r}) to resume from the bookmark file {} or, without one, from the input's "
                "start position".format(self.input_name, self.collection, what, self.input_name,
                                        self.file_path))

    def _announce_wait(self, exc: BaseException, from_file: Optional[Bookmark]) -> None:
        text = ("KV store unavailable ({}): waiting up to {:g} s for it before reading the "
                "bookmark of input {} ({})".format(
                    _describe(exc), self.wait, self.input_name,
                    "the file {} holds {}".format(self.file_path, list(from_file))
                    if from_file is not None else "no bookmark file {}".format(self.file_path)))
        self._log.warning("%s", text)
        if self._on_wait is not None:
            self._on_wait(text)

    def _without_kvstore(self, exc: BaseException,
                         from_file: Optional[Bookmark]) -> Optional[Bookmark]:
        if self._stop.is_set():
            raise KVStoreUnavailable("input {} stopped while waiting for the KV store".format(
                self.input_name))
        if from_file is None:
            raise KVStoreUnavailable(
                "KV store still unavailable after {:g} s ({}) and no bookmark file {}: the "
                "input exits so that splunkd starts it again, rather than start without its "
                "bookmark; if the KV store stays down, check splunkd.log and mongod.log "
                "(or raise [advanced] kvstore_wait)".format(
                    self.wait, _describe(exc), self.file_path))
        self._fall_back(exc)
        return from_file

    def _fall_back(self, exc: BaseException) -> None:
        self._fallen_back = True
        self._checkpointer = None
        self._log.warning(
            "KV store unavailable (%s): the bookmark of input %s is kept in the file %s "
            "until the input restarts", _describe(exc), self.input_name, self.file_path)

    def _refused_text(self, exc: BaseException, bookmark: Optional[Bookmark]) -> str:
        saved = ("its bookmark {} is saved in {}".format(list(bookmark), self.file_path)
                 if bookmark is not None else "nothing to save")
        return ("splunkd refused the input's session key ({}): it aged out (server.conf "
                "sessionTimeout) or splunkd restarted; {}; exiting so that splunkd restarts the "
                "input with a fresh key".format(_describe(exc), saved))

    def _expire(self, exc: BaseException) -> None:
        """Save the bookmark to the file, then raise :class:`SessionExpired`; later saves go
        to the file."""
        self._expired = True
        self._checkpointer = None
        if self._latest is not None:
            self._mirror()
        raise SessionExpired(self._refused_text(exc, self._latest)) from None


__all__ = ["COLLECTION", "KEEPALIVE", "KVStoreBookmarkStore", "KVStoreUnavailable",
           "SessionExpired", "fallback_path"]
