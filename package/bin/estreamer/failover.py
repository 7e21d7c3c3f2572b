"""Which FMC of an HA pair to stream from next: the failover policy, on its own.

The client streams from the primary. When the primary cannot be reached or its session breaks,
the client keeps reconnecting to it (with its usual backoff) for a grace period,
``failover_after`` seconds, and always at least one reconnect after a full backoff wait — a
primary that is only restarting must not cost a failover. When a reconnect fails after the
grace period, the next attempt goes to the standby, at once; the reconnect waits after the first
are cut short to end with the grace period, so the switch comes on time whatever the backoff
has grown to. The primary is preferred again:
a new process starts on it, and when the standby cannot be reached or its session breaks, the
next attempt goes back to the primary (and its grace period starts over).

The policy only decides; the client does the connecting and tells the policy what happened
(:meth:`FailoverPolicy.streaming`, :meth:`FailoverPolicy.failed`).
"""
from __future__ import annotations

import time
from typing import Optional

PRIMARY, STANDBY = "primary", "standby"


class FailoverPolicy:
    def __init__(self, has_standby: bool, failover_after: float, clock=time.monotonic):
        self.has_standby = has_standby
        self.failover_after = failover_after
        self.clock = clock
        self.target = PRIMARY           # the FMC the next attempt goes to
        self._outage_since: Optional[float] = None  # when the target's first attempt failed
        self._retried = False           # a retry of the outage's target failed too
        self.down_for = 0.0             # at a switch: how long the FMC left behind was down

    def streaming(self) -> None:
        """The target answered: its outage (if any) is over."""
        self._outage_since, self._retried = None, False

    def failed(self) -> bool:
        """An attempt on the target failed (no connection, or the session broke). Returns True
        when the next attempt goes to the other FMC (then without a backoff wait)."""
        if not self.has_standby:
            return False
        now = self.clock()
        if self.target == STANDBY:
            return self._switch(PRIMARY, now)
        if self._outage_since is None:  # the first failure: retry after a full backoff
            self._outage_since = now
            return False
        self._retried = True
        if now - self._outage_since >= self.failover_after:
            return self._switch(STANDBY, now)
        return False

    def _switch(self, target: str, now: float) -> bool:
        self.down_for = now - self._outage_since if self._outage_since is not None else 0.0
        self.target = target
        self._outage_since, self._retried = now, False
        return True

    def wait(self, backoff: float) -> float:
        """The wait before the next attempt: the backoff's, cut to end with the grace period
        once the primary had its retry after a full backoff."""
        remaining = self.remaining()
        if remaining is None or not self._retried:
            return backoff
        return min(backoff, remaining)

    def remaining(self) -> Optional[float]:
        """Seconds of the grace period left (None: no outage, or nothing to fail over to)."""
        if not self.has_standby or self.target != PRIMARY or self._outage_since is None:
            return None
        return max(self.failover_after - (self.clock() - self._outage_since), 0.0)


__all__ = ["PRIMARY", "STANDBY", "FailoverPolicy"]
