"""Login throttling: five unconfirmed attempts per username and address within five minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auth.domain.throttle import Admitted, LoginThrottle, Throttled

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
THROTTLE = LoginThrottle(max_failures=5, window=timedelta(minutes=5))


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_fewer_failures_than_the_limit_are_admitted() -> None:
    assert THROTTLE.admit(minutes_ago(1, 2, 3, 4), NOW) == Admitted()


def test_the_limit_blocks_until_the_oldest_counted_failure_leaves_the_window() -> None:
    assert THROTTLE.admit(minutes_ago(4, 3, 2, 1, 0), NOW) == Throttled(retry_after=60)


def test_failures_older_than_the_window_do_not_count() -> None:
    assert THROTTLE.admit(minutes_ago(9, 8, 7, 6, 5, 1), NOW) == Admitted()


def test_with_more_failures_than_the_limit_the_block_lasts_until_enough_have_aged() -> None:
    # seven failures: two must leave the window before fewer than five remain
    assert THROTTLE.admit(minutes_ago(4.5, 4, 3, 2, 1, 0.5, 0), NOW) == Throttled(retry_after=120)


def test_retry_after_is_at_least_one_second() -> None:
    recent = [NOW - timedelta(minutes=5) + timedelta(milliseconds=1)] * 5
    assert THROTTLE.admit(recent, NOW) == Throttled(retry_after=1)
