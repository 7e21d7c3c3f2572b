"""The failover policy of an FMC HA pair, on a fake clock: which FMC the next attempt goes to."""
from estreamer.failover import PRIMARY, STANDBY, FailoverPolicy


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def policy(after=60.0, standby=True):
    clock = Clock()
    return FailoverPolicy(standby, after, clock), clock


def test_a_new_policy_starts_on_the_primary():
    p, _ = policy()
    assert p.target == PRIMARY


def test_the_primary_is_retried_throughout_the_grace_period():
    p, clock = policy(after=60)
    for elapsed in (0, 1, 3, 7, 15, 31, 59):
        clock.now = 1000 + elapsed
        assert p.failed() is False
        assert p.target == PRIMARY


def test_the_first_failure_after_the_grace_period_switches_to_the_standby():
    p, clock = policy(after=60)
    p.failed()
    clock.now += 63
    assert p.failed() is True
    assert p.target == STANDBY


def test_the_primary_always_gets_one_retry_after_a_full_backoff_even_with_no_grace():
    p, clock = policy(after=0)
    assert p.failed() is False  # the session broke: reconnect to the primary first
    assert p.target == PRIMARY
    clock.now += 1
    assert p.failed() is True
    assert p.target == STANDBY


def test_a_primary_that_comes_back_in_time_restarts_the_grace_period():
    p, clock = policy(after=10)
    p.failed()
    clock.now += 8
    p.failed()
    p.streaming()
    clock.now += 100
    assert p.failed() is False  # a new outage: its grace period starts now
    clock.now += 9
    assert p.failed() is False
    clock.now += 2
    assert p.failed() is True


def test_a_failing_standby_sends_the_next_attempt_back_to_the_primary():
    p, clock = policy(after=5)
    p.failed()
    clock.now += 6
    p.failed()
    assert p.target == STANDBY
    p.streaming()
    clock.now += 300
    assert p.failed() is True
    assert p.target == PRIMARY


def test_back_on_the_primary_the_grace_period_starts_over():
    p, clock = policy(after=5)
    p.failed()
    clock.now += 6
    p.failed()           # -> standby
    p.failed()           # the standby is down too -> primary
    assert p.target == PRIMARY
    clock.now += 4
    assert p.failed() is False
    clock.now += 2
    assert p.failed() is True and p.target == STANDBY


def test_without_a_standby_nothing_ever_switches():
    p, clock = policy(after=0, standby=False)
    for _ in range(5):
        clock.now += 100
        assert p.failed() is False
    assert p.target == PRIMARY
    assert p.remaining() is None


def test_remaining_counts_down_the_grace_period_of_an_outage():
    p, clock = policy(after=60)
    assert p.remaining() is None
    p.failed()
    clock.now += 45
    assert p.remaining() == 15


def test_a_switch_says_how_long_the_fmc_left_behind_was_down():
    p, clock = policy(after=5)
    p.failed()
    clock.now += 7
    p.failed()
    assert p.down_for == 7


def test_the_first_retry_waits_a_full_backoff_even_past_the_grace_period():
    p, clock = policy(after=1)
    p.failed()
    assert p.wait(8.0) == 8.0


def test_later_waits_end_with_the_grace_period_so_the_switch_comes_on_time():
    p, clock = policy(after=5)
    p.failed()
    clock.now += 0.5
    p.failed()
    clock.now += 4.3
    p.failed()
    assert abs(p.wait(8.0) - 0.2) < 1e-9  # not the grown backoff: the grace period ends first
    assert p.wait(0.1) == 0.1


def test_without_a_standby_the_backoff_is_not_cut():
    p, clock = policy(after=5, standby=False)
    p.failed()
    clock.now += 1
    p.failed()
    assert p.wait(8.0) == 8.0
