"""Regulatory clocks with explicit times: NIS2 stages, month arithmetic, states."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ncert.clocks import (
    CRISIS_STATUS,
    NIS2,
    NIS2_TRUST_SERVICE,
    Anchor,
    ClockState,
    Deadline,
    Regime,
    Stage,
    add_months,
    days,
    deadlines,
    hours,
    months,
    regime_for,
    state,
)

UTC = timezone.utc
AWARE = datetime(2026, 1, 30, 9, 15, tzinfo=UTC)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_nis2_deadlines_count_from_awareness():
    early, notification, final = deadlines(NIS2, AWARE)
    assert (early.stage, early.due_at) == ("early-warning", at(2026, 1, 31, 9, 15))
    assert (notification.stage, notification.due_at) == ("incident-notification", at(2026, 2, 2, 9, 15))
    # one month after the notification deadline while it has not been sent
    assert (final.stage, final.due_at) == ("final-report", at(2026, 3, 2, 9, 15))
    assert {d.regime for d in (early, notification, final)} == {"nis2"}


def test_final_report_counts_from_the_notification_actually_sent():
    sent = at(2026, 1, 31, 8, 0)
    final = deadlines(NIS2, AWARE, {"incident-notification": sent})[2]
    assert final.due_at == at(2026, 2, 28, 8, 0)


def test_trust_service_providers_notify_within_24_hours():
    notification = deadlines(NIS2_TRUST_SERVICE, AWARE)[1]
    assert notification.due_at == AWARE + timedelta(hours=24)
    assert regime_for("trust-services") is NIS2_TRUST_SERVICE
    assert regime_for("energy") is NIS2
    assert regime_for(None) is NIS2
    assert regime_for("energy", {"energy": "crisis-status"}) is CRISIS_STATUS


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (at(2026, 1, 31, 10), 1, at(2026, 2, 28, 10)),
        (at(2028, 1, 31, 10), 1, at(2028, 2, 29, 10)),  # leap year
        (at(2026, 3, 31), 1, at(2026, 4, 30)),
        (at(2026, 12, 15), 1, at(2027, 1, 15)),
        (at(2026, 1, 31), 13, at(2027, 2, 28)),
        (at(2026, 3, 31), -1, at(2026, 2, 28)),
    ],
)
def test_months_are_calendar_months(start, n, expected):
    assert add_months(start, n) == expected
    assert months(n).after(start) == expected


def test_offsets_in_hours_and_days_and_local_time_zones():
    cet = timezone(timedelta(hours=1))
    start = datetime(2026, 1, 31, 23, 30, tzinfo=cet)
    assert hours(2).after(start) == datetime(2026, 2, 1, 1, 30, tzinfo=cet)
    assert days(1).after(start) == datetime(2026, 2, 1, 23, 30, tzinfo=cet)
    assert months(1).after(start) == datetime(2026, 2, 28, 23, 30, tzinfo=cet)


def test_aware_time_must_carry_a_time_zone():
    with pytest.raises(ValueError, match="timezone-aware"):
        deadlines(NIS2, datetime(2026, 1, 1))


DUE = at(2026, 2, 1, 12, 0)
EARLY = Deadline("nis2", "early-warning", DUE, timedelta(hours=6))


@pytest.mark.parametrize(
    "now, received, expected",
    [
        (at(2026, 2, 1, 5, 59), None, ClockState.PENDING),
        (at(2026, 2, 1, 6, 0), None, ClockState.APPROACHING),
        (DUE, None, ClockState.APPROACHING),
        (DUE + timedelta(seconds=1), None, ClockState.OVERDUE),
        (at(2026, 2, 1, 4, 0), at(2026, 2, 1, 3, 0), ClockState.SATISFIED),
        (at(2026, 2, 3), at(2026, 2, 2), ClockState.SATISFIED),  # late, but received
    ],
)
def test_states_with_a_controllable_clock(now, received, expected):
    assert state(EARLY, now, received_at=received) is expected


def test_warning_window_can_be_overridden():
    assert state(EARLY, at(2026, 2, 1, 0, 0)) is ClockState.PENDING
    assert state(EARLY, at(2026, 2, 1, 0, 0), warn_before=timedelta(hours=12)) is ClockState.APPROACHING


def test_stage_warning_windows_come_from_the_regime():
    early, notification, final = deadlines(NIS2, AWARE)
    assert state(final, final.due_at - timedelta(days=4)) is ClockState.APPROACHING
    assert state(notification, notification.due_at - timedelta(hours=11)) is ClockState.APPROACHING
    assert state(early, early.due_at - timedelta(hours=7)) is ClockState.PENDING


def test_crisis_status_recurs_hourly_after_each_report():
    start = at(2026, 5, 1, 8, 0)
    [first] = deadlines(CRISIS_STATUS, start)
    assert (first.stage, first.due_at) == ("status-report", at(2026, 5, 1, 9, 0))
    received = {"status-report": at(2026, 5, 1, 8, 50), "status-report#2": at(2026, 5, 1, 9, 55)}
    listed = deadlines(CRISIS_STATUS, start, received)
    assert [(d.stage, d.due_at) for d in listed] == [
        ("status-report", at(2026, 5, 1, 9, 0)),
        ("status-report#2", at(2026, 5, 1, 9, 50)),
        ("status-report#3", at(2026, 5, 1, 10, 55)),
    ]
    assert state(listed[-1], at(2026, 5, 1, 11, 0)) is ClockState.OVERDUE


def test_a_national_regime_is_just_data():
    regime = Regime("national-72h", "National rule", (
        Stage("first-report", hours(72)),
        Stage("follow-up", days(14), Anchor.PREVIOUS),
    ))
    first, follow = deadlines(regime, AWARE, {"first-report": at(2026, 2, 1)})
    assert first.due_at == at(2026, 2, 2, 9, 15)
    assert follow.due_at == at(2026, 2, 15)
