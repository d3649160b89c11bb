"""KPI cards: every figure's definition, merged duplicates, the previous period and targets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ncert import periods
from ncert.db import transaction, utcnow
from ncert.errors import Forbidden, Invalid, NotFound
from ncert.services import incidents, kpi
from tests.services.kpi_helpers import Q3, Q4, contained, deadline, place, report, request

GRIDCO = "analyst@gridco.test"
Q3_LABEL = periods.parse("2026Q3", now=utcnow())


def card(world, who=None, slug="gridco", period=Q3_LABEL):
    with world.runtime.sessions() as s:
        return kpi.organization_card(s, who or world.actor("leader@ncert.test"), slug, period)


def fig(card, key):
    return next(f for f in card.figures if f.key == key)


def test_incidents_by_severity_and_class_against_the_previous_quarter(world):
    report(world, GRIDCO, reported=Q3 + timedelta(days=1), severity=2, category="malicious-code/c2-server")
    report(world, GRIDCO, reported=Q3 + timedelta(days=2), severity=3, category="fraud/phishing")
    report(world, GRIDCO, reported=Q3 + timedelta(days=3), severity=3, category="fraud/phishing")
    report(world, GRIDCO, reported=Q3 - timedelta(days=1), severity=3, category="fraud/phishing")  # 2026Q2
    report(world, GRIDCO, reported=Q4 + timedelta(days=1), severity=3)  # after the period
    report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=1), severity=5)  # another organisation

    c = card(world)
    assert (fig(c, "incidents").value, fig(c, "incidents").previous) == (3, 1)
    assert (fig(c, "severity_3").value, fig(c, "severity_3").previous) == (2, 1)
    assert fig(c, "severity_2").value == 1 and fig(c, "severity_5").value == 0
    assert (fig(c, "rsit_fraud").value, fig(c, "rsit_malicious-code").value, fig(c, "rsit_intrusions").value) == (2, 1, 0)
    assert (c.period.label, c.previous_period.label) == ("2026Q3", "2026Q2")


def test_merged_duplicates_are_never_counted(world):
    kept = report(world, GRIDCO, reported=Q3 + timedelta(days=1), severity=4)
    duplicate = report(world, GRIDCO, reported=Q3 + timedelta(days=2), severity=4)
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, duplicate, kept)
    place(world, kept, reported_at=Q3 + timedelta(days=1))  # merging touched nothing the card reads

    c = card(world)
    assert fig(c, "incidents").value == 1
    assert fig(c, "open_criticals").value == 1
    assert fig(c, "unacknowledged").value == 1  # the triage of the duplicate does not count either


def test_times_to_acknowledge_contain_and_resolve_median_and_p90(world):
    refs = [report(world, GRIDCO, reported=Q3 + timedelta(days=i)) for i in range(6)]
    for i, ref in enumerate(refs[:5]):
        reported = Q3 + timedelta(days=i)
        place(world, ref, acknowledged_at=reported + timedelta(minutes=10 * (i + 1)),
              resolved_at=reported + timedelta(hours=10 * (i + 1)))
    contained(world, refs[0], Q3 + timedelta(hours=1))  # contained after 1 h, resolved after 10 h

    c = card(world)
    # 10, 20, 30, 40, 50 minutes: median 30, p90 interpolated between 40 and 50 (rank 3.6).
    assert fig(c, "time_to_acknowledge_median").value == pytest.approx(30 * 60, abs=1)
    assert fig(c, "time_to_acknowledge_p90").value == pytest.approx(46 * 60, abs=1)
    assert (fig(c, "time_to_acknowledge_median").count, fig(c, "unacknowledged").value) == (5, 1)
    assert fig(c, "time_to_resolve_median").value == pytest.approx(30 * 3600, abs=1)
    # Containment: 1 h (the move to contained), then 20, 30, 40, 50 h (resolution).
    assert fig(c, "time_to_contain_median").value == pytest.approx(30 * 3600, abs=1)
    assert fig(c, "time_to_contain_p90").value == pytest.approx(46 * 3600, abs=1)


def test_percentiles_over_fewer_than_the_minimum_show_none_with_the_count(world):
    for i in range(kpi.MIN_COUNT - 1):
        ref = report(world, GRIDCO, reported=Q3 + timedelta(days=i))
        place(world, ref, acknowledged_at=Q3 + timedelta(days=i, minutes=5))
    f = fig(card(world), "time_to_acknowledge_median")
    assert (f.value, f.count) == (None, kpi.MIN_COUNT - 1)


def test_reporting_delay_counts_from_awareness_else_occurrence(world):
    for i in range(5):
        reported = Q3 + timedelta(days=10 + i)
        ref = report(world, GRIDCO, reported=reported)
        if i % 2:
            place(world, ref, aware_at=reported - timedelta(hours=i + 1), occurred_at=reported - timedelta(days=30))
        else:
            place(world, ref, occurred_at=reported - timedelta(hours=i + 1))
    f = fig(card(world), "reporting_delay_median")
    assert f.value == pytest.approx(3 * 3600, abs=1) and f.count == 5  # 1, 2, 3, 4, 5 hours


def test_nis2_stages_on_time_in_the_period(world):
    ref = report(world, GRIDCO, reported=Q3 + timedelta(days=1))
    other = report(world, GRIDCO, reported=Q3 + timedelta(days=2))
    due = Q3 + timedelta(days=5)
    deadline(world, ref, "early-warning", due, received=due - timedelta(hours=1))  # on time
    deadline(world, other, "early-warning", due, received=due + timedelta(hours=1))  # late
    deadline(world, ref, "incident-notification", due, received=due)  # on time (at the due time)
    deadline(world, other, "incident-notification", due)  # overdue and never received: late
    deadline(world, ref, "final-report", Q4 + timedelta(days=3))  # due after the period: not counted
    deadline(world, other, "final-report", utcnow() + timedelta(days=3), regime="crisis-status")  # not NIS2

    c = card(world)
    assert (fig(c, "nis2_early_warning_on_time").value, fig(c, "nis2_early_warning_on_time").count) == (50.0, 2)
    assert fig(c, "nis2_incident_notification_on_time").value == 50.0
    assert (fig(c, "nis2_final_report_on_time").value, fig(c, "nis2_final_report_on_time").count) == (None, 0)


def test_a_stage_not_due_yet_is_left_out(world):
    now = utcnow()
    ref = report(world, GRIDCO, reported=now - timedelta(hours=1))
    deadline(world, ref, "early-warning", now + timedelta(hours=20))
    f = fig(card(world, period=periods.quarter_of(now)), "nis2_early_warning_on_time")
    assert (f.value, f.count) == (None, 0)


def test_requests_for_information_answered_and_how_fast(world):
    ref = report(world, GRIDCO, reported=Q3 + timedelta(days=1))
    for i in range(5):
        asked = Q3 + timedelta(days=2 + i)
        request(world, ref, asked, asked + timedelta(hours=i + 1))
    request(world, ref, Q3 + timedelta(days=9))  # still open
    request(world, ref, Q3 + timedelta(days=9), to_reporter=False)  # an internal task, not a request
    request(world, ref, Q3 + timedelta(days=9), withdrawn=True)  # no longer asked
    request(world, ref, Q4 + timedelta(days=1))  # asked after the period

    c = card(world)
    assert (fig(c, "rfi_answered").value, fig(c, "rfi_answered").count) == (pytest.approx(100 * 5 / 6), 6)
    assert fig(c, "rfi_time_to_answer_median").value == pytest.approx(3 * 3600, abs=1)


def test_open_criticals_at_the_end_of_the_period(world):
    older = report(world, GRIDCO, reported=Q3 - timedelta(days=30), severity=4)  # still open
    report(world, GRIDCO, reported=Q3 + timedelta(days=3), severity=5)  # open
    fixed = report(world, GRIDCO, reported=Q3 + timedelta(days=4), severity=4)
    place(world, fixed, resolved_at=Q3 + timedelta(days=5))  # resolved within the period
    later = report(world, GRIDCO, reported=Q3 + timedelta(days=6), severity=4)
    place(world, later, resolved_at=Q4 + timedelta(days=1))  # still open when the period ended
    report(world, GRIDCO, reported=Q3 + timedelta(days=7), severity=3)  # not critical
    report(world, GRIDCO, reported=Q4 + timedelta(days=2), severity=5)  # reported after the period

    c = card(world)
    assert fig(c, "open_criticals").value == 3
    assert fig(c, "open_criticals").previous == 1  # at the end of 2026Q2: only the older one
    assert older


def test_targets_default_national_and_per_organisation_give_the_status(world):
    ref = report(world, GRIDCO, reported=Q3 + timedelta(days=1))
    other = report(world, GRIDCO, reported=Q3 + timedelta(days=2))
    due = Q3 + timedelta(days=5)
    for r in (ref, other):
        deadline(world, r, "early-warning", due, received=due - timedelta(hours=1))
    late = report(world, GRIDCO, reported=Q3 + timedelta(days=3))
    deadline(world, late, "early-warning", due, received=due + timedelta(hours=1))

    f = fig(card(world), "nis2_early_warning_on_time")  # 66.7 % against the default 95 (amber from 85)
    assert (f.target.target, f.target.source, f.status) == (95.0, "default", "red")
    leader = world.actor("leader@ncert.test")
    with transaction(world.runtime.sessions) as s:
        kpi.set_target(s, leader, "nis2_early_warning_on_time", 80.0, 60.0)
    f = fig(card(world), "nis2_early_warning_on_time")
    assert (f.target.target, f.target.source, f.status) == (80.0, "national", "amber")
    with transaction(world.runtime.sessions) as s:
        kpi.set_target(s, leader, "nis2_early_warning_on_time", 60.0, 50.0, "gridco")
    f = fig(card(world), "nis2_early_warning_on_time")
    assert (f.target.target, f.target.source, f.status) == (60.0, "organization", "green")
    assert fig(card(world, slug="powergen"), "nis2_early_warning_on_time").target.target == 80.0
    assert fig(card(world), "incidents").target is None and fig(card(world), "incidents").status is None


def test_lower_is_better_figures_turn_red_past_the_amber_threshold(world):
    for days in (1, 2):
        report(world, GRIDCO, reported=Q3 + timedelta(days=days), severity=4)
    f = fig(card(world), "open_criticals")  # 2 against the default 0, amber up to 1
    assert (f.value, f.status) == (2, "red")
    with transaction(world.runtime.sessions) as s:
        kpi.set_target(s, world.actor("leader@ncert.test"), "open_criticals", 1, 2, "gridco")
    assert fig(card(world), "open_criticals").status == "amber"


@pytest.mark.parametrize(("key", "target", "amber"), [
    ("nis2_early_warning_on_time", 90.0, 95.0),  # higher is better: amber must not be above the target
    ("time_to_acknowledge_median", 3600.0, 60.0),  # lower is better: amber must not be below it
])
def test_an_amber_threshold_on_the_better_side_of_the_target_is_refused(world, key, target, amber):
    with transaction(world.runtime.sessions) as s, pytest.raises(Invalid, match="amber"):
        kpi.set_target(s, world.actor("leader@ncert.test"), key, target, amber)


def test_targets_are_for_leadership_and_known_kpis(world):
    with transaction(world.runtime.sessions) as s:
        with pytest.raises(Forbidden):
            kpi.set_target(s, world.actor(GRIDCO), "open_criticals", 0, 1)
        with pytest.raises(Forbidden):
            kpi.set_target(s, world.operator, "open_criticals", 0, 1)
        with pytest.raises(NotFound):
            kpi.set_target(s, world.actor("leader@ncert.test"), "incidents", 0, 1)  # a plain count
