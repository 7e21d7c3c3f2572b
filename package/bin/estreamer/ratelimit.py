"""Log lines a flood cannot multiply: at most one line per kind per minute.

A broken or hostile FMC can send two million bad records in one bundle; a line for each fills
the disk and rotates the useful lines out of the log. :class:`RateLimitedLog` writes the first
line of a kind (the caller's key: record type and error, say), counts the repeats for
``period`` seconds, and then writes one line saying how many it left out. Only ``max_kinds``
kinds are tracked at a time; lines of further kinds are counted together.

The counts are written when the next line of the same kind comes, or by :func:`report_suppressed`,
which the streaming client calls as it flushes and while idle (so a flood that stops is still
reported). Meant for one thread: the streaming client's.
"""
from __future__ import annotations

import logging
import re
import time
import weakref

PERIOD = 60.0
MAX_KINDS = 100

_NUMBERS = re.compile(r"\d+")
_LIMITERS = weakref.WeakSet()


def error_kind(error) -> str:
    """An error's text with its numbers blanked: errors that differ only in where they happened
    (offsets, lengths) are one kind."""
    return _NUMBERS.sub("#", str(error))


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, period: float = PERIOD,
                 max_kinds: int = MAX_KINDS, clock=time.monotonic):
        self.logger, self.period, self.max_kinds, self.clock = logger, period, max_kinds, clock
        self._windows = {}      # key -> [start, left out, level, msg, args]
        self._due = None        # when the oldest window ends
        self._overflow = None   # [start, left out, level] for kinds beyond max_kinds
        _LIMITERS.add(self)

    def log(self, level: int, key, msg: str, *args) -> bool:
        """Log ``msg % args`` unless a line of kind ``key`` was logged less than ``period``
        seconds ago (then count it). Returns whether the line was written."""
        now = self.clock()
        window = self._windows.get(key)
        if window is not None:
            if now - window[0] < self.period:
                window[1] += 1
                return False
            self._end(key, window, now)
        elif len(self._windows) >= self.max_kinds:
            self.report(now)
            if len(self._windows) >= self.max_kinds:
                if self._overflow is None:
                    self._overflow = [now, 0, level]
                self._overflow[1] += 1
                return False
        self._windows[key] = [now, 0, level, msg, args]
        if self._due is None or now + self.period < self._due:
            self._due = now + self.period
        self.logger.log(level, msg, *args)
        return True

    def report(self, now=None, final: bool = False) -> None:
        """Write how many lines were left out in the windows that have ended (all of them when
        ``final``), and forget those windows."""
        if self._due is None and self._overflow is None:
            return
        now = self.clock() if now is None else now
        if not final and self._due is not None and now < self._due:
            return
        self._due = None
        for key, window in list(self._windows.items()):
            if final or now - window[0] >= self.period:
                self._end(key, window, now)
            elif self._due is None or window[0] + self.period < self._due:
                self._due = window[0] + self.period
        overflow = self._overflow
        if overflow is not None and (final or now - overflow[0] >= self.period):
            self._overflow = None
            self.logger.log(overflow[2], "left out %d more log lines of other kinds in the last "
                            "%.0f s (more than %d kinds at once)", overflow[1],
                            now - overflow[0], self.max_kinds)

    def _end(self, key, window, now):
        del self._windows[key]
        start, left_out, level, msg, args = window
        if left_out:
            self.logger.log(level, "left out %d more log lines like this in the last %.0f s: %s",
                            left_out, now - start, msg % args if args else msg)


def report_suppressed(final: bool = False) -> None:
    """:meth:`RateLimitedLog.report` for every limiter of this process."""
    for limiter in list(_LIMITERS):
        limiter.report(final=final)


__all__ = ["RateLimitedLog", "error_kind", "report_suppressed"]
