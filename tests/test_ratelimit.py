"""estreamer.ratelimit: a flood of one kind of trouble costs one log line a minute, plus one
line counting what was left out."""
import logging

import pytest

from estreamer.ratelimit import RateLimitedLog, error_kind, report_suppressed


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def limited(caplog):
    clock = Clock()
    limiter = RateLimitedLog(logging.getLogger("test.ratelimit"), period=60, max_kinds=3,
                             clock=clock)
    caplog.set_level(logging.INFO, logger="test.ratelimit")

    def lines():
        return [r.getMessage() for r in caplog.records if r.name == "test.ratelimit"]
    return limiter, clock, lines


def test_the_first_line_of_a_kind_is_written_and_its_repeats_within_a_minute_are_not(limited):
    limiter, clock, lines = limited
    assert limiter.log(logging.ERROR, "k", "malformed record: %s", "offset 0")
    for _ in range(100000):
        clock.now += 0.0001
        assert not limiter.log(logging.ERROR, "k", "malformed record: %s", "offset 0")
    assert lines() == ["malformed record: offset 0"]


def test_the_repeats_are_counted_in_one_line_once_the_minute_is_over(limited):
    limiter, clock, lines = limited
    for _ in range(5):
        limiter.log(logging.ERROR, "k", "malformed record: %s", "offset 0")
    clock.now += 59
    limiter.report()
    assert len(lines()) == 1
    clock.now += 1
    limiter.report()
    assert lines()[1:] == ["left out 4 more log lines like this in the last 60 s: "
                           "malformed record: offset 0"]
    limiter.log(logging.ERROR, "k", "malformed record: %s", "offset 0")
    assert lines()[2:] == ["malformed record: offset 0"]  # a new minute, a new first line


def test_the_count_also_comes_with_the_next_line_of_the_kind(limited):
    limiter, clock, lines = limited
    for _ in range(3):
        limiter.log(logging.WARNING, "k", "odd")
    clock.now += 61
    limiter.log(logging.WARNING, "k", "odd")
    assert lines() == ["odd", "left out 2 more log lines like this in the last 61 s: odd", "odd"]


def test_each_kind_has_its_own_minute(limited):
    limiter, clock, lines = limited
    for kind in ("a", "b", "a", "b"):
        limiter.log(logging.ERROR, kind, "error %s", kind)
    assert lines() == ["error a", "error b"]


def test_kinds_beyond_the_limit_are_counted_together(limited):
    limiter, clock, lines = limited
    for kind in range(10):
        limiter.log(logging.ERROR, kind, "error %d", kind)
    assert lines() == ["error 0", "error 1", "error 2"]
    clock.now += 60
    limiter.report()
    assert lines()[3:] == ["left out 7 more log lines of other kinds in the last 60 s "
                           "(more than 3 kinds at once)"]


def test_a_final_report_counts_what_was_left_out_without_waiting(limited):
    limiter, clock, lines = limited
    for _ in range(3):
        limiter.log(logging.ERROR, "k", "boom")
    clock.now += 2
    report_suppressed(final=True)
    assert lines() == ["boom", "left out 2 more log lines like this in the last 2 s: boom"]


def test_nothing_left_out_means_no_report_line(limited):
    limiter, clock, lines = limited
    limiter.log(logging.ERROR, "k", "once")
    clock.now += 120
    limiter.report()
    assert lines() == ["once"]


def test_errors_that_differ_only_in_their_numbers_are_one_kind():
    assert error_kind("offset 12: record length 7 does not match the 30-byte message") == \
        error_kind("offset 0: record length 9 does not match the 4-byte message")
    assert error_kind("KeyError: 'deviceId'") != error_kind("KeyError: 'eventSecond'")
