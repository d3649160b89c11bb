"""The detectors evaluated on simulated streams with injected surges: the real detectors on a
small stream, and the scoring rule on hand-built alerts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from detection import surge_evaluation as se
from detection.settings import DetectionSettings
from ncert.models import AnomalyScore, Incident

T0 = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
H = timedelta(hours=1)
SETTINGS = DetectionSettings()  # the product's defaults, whatever the environment says
PHISHING = se.Scenario("banking", "fraud/phishing", 6)
SMALL = dict(per_day=10, warmup_days=21)  # 210 reports of history: enough for the anomaly model (200)


def _surge(size: int, start: datetime, reports: set[int]) -> se.Surge:
    return se.Surge(PHISHING, size, start, frozenset(reports))


def test_scoring_matches_hand_computed_figures():
    surges = [_surge(5, T0, {1, 2}), _surge(20, T0 + 48 * H, {3, 4}), _surge(20, T0 + 96 * H, {5})]
    alerts = [
        se.Alert("volume", T0 + 5 * H, "banking", frozenset({2, 99})),  # first hit of surge 1: 5 h
        se.Alert("volume", T0 + 3 * H, "banking", frozenset({1})),  # earlier, so surge 1 is found at 3 h
        se.Alert("volume", T0 + 50 * H, "banking", frozenset({4})),  # surge 2 at 2 h
        se.Alert("volume", T0 + 60 * H, "energy", frozenset({98})),  # false
        se.Alert("volume", T0 + 70 * H, "banking", frozenset({97})),  # false
    ]
    sc = se.score("volume", alerts, surges, days=10)
    assert (sc.alerts, sc.matching_alerts, sc.surges, sc.detected) == (5, 3, 3, 2)
    assert sc.precision == 3 / 5 and sc.recall == 2 / 3
    assert sc.ttd_median == 2.5 * H and sc.ttd_max == 3 * H
    assert sc.by_size == {5: (1, 1), 20: (1, 2)} and sc.by_sector == {"banking": (2, 3)}
    assert sc.delays == (3 * H, 2 * H, None)
    assert sc.false_alerts_per_day == 0.2


def test_no_alert_and_no_surge_leave_precision_and_recall_undefined():
    quiet = se.score("anomaly", [se.Alert("anomaly", T0, "health", frozenset({7}))], [], days=2)
    assert quiet.recall is None and quiet.precision == 0 and quiet.false_alerts_per_day == 0.5
    silent = se.score("volume", [], [_surge(10, T0, {1})], days=2)
    assert silent.precision is None and silent.recall == 0 and silent.ttd_median is None


def test_surges_are_planned_from_the_seed_one_per_scenario_and_size():
    setup = se.Setup(seed=4)
    surges = se.plan(setup)
    assert sorted((s.scenario.sector, s.size) for s in surges) == sorted(
        (sc.sector, size) for sc in se.SCENARIOS for size in se.SIZES)
    assert all(setup.start <= s.start and s.end < setup.end for s in surges)
    assert se.plan(se.Setup(seed=4)) == surges and se.plan(se.Setup(seed=5)) != surges
    assert se.plan(se.Setup(quiet_days=3)) == []


def test_a_large_surge_is_found_by_the_real_detectors_within_its_window(runtime):
    setup = se.Setup(**SMALL, scenarios=(PHISHING,), sizes=(40,), spacing_days=1.5)
    evaluation = se.evaluate(runtime, setup, SETTINGS)
    [surge] = evaluation.surges
    with runtime.sessions() as s:
        injected = s.execute(select(Incident.reported_at, Incident.rsit_class, Incident.rsit_type)
                             .where(Incident.id.in_(surge.reports))).all()
    assert len(injected) == 40 and {(c, t) for _, c, t in injected} == {("fraud", "phishing")}
    assert all(surge.start <= at.replace(tzinfo=timezone.utc) <= surge.end for at, _, _ in injected)
    volume, _ = evaluation.scores()
    assert volume.recall == 1 and volume.ttd_max <= surge.end - surge.start
    assert all(a.sector == "banking" for a in evaluation.alerts if a.detector == "volume" and a.evidence & surge.reports)


def test_a_stream_without_surges_counts_every_alert_as_false_and_is_reproducible(runtime):
    setup = se.Setup(**SMALL, quiet_days=2)
    settings = DetectionSettings(anomaly_threshold=0.9)  # about one report in ten: some alerts in the 20 reports
    evaluation = se.evaluate(runtime, setup, settings)
    volume, anomaly = evaluation.scores()
    assert volume.recall is None and anomaly.recall is None and evaluation.surges == []
    with runtime.sessions() as s:
        flagged = s.scalar(select(func.count()).select_from(AnomalyScore).join(Incident)
                           .where(AnomalyScore.score >= 0.9, Incident.reported_at > setup.start))
    assert anomaly.alerts == flagged > 0
    assert anomaly.false_alerts_per_day == flagged / 2 and anomaly.precision == 0
    with se.scratch() as again:
        assert se.evaluate(again, setup, settings).to_json() == evaluation.to_json()


def test_pooled_evaluations_keep_their_reports_apart():
    setup = se.Setup(quiet_days=1)
    found = se.Evaluation(setup, SETTINGS, 0, [_surge(10, T0, {1})], [se.Alert("volume", T0 + H, "banking",
                                                                                 frozenset({1}))])
    # In another database, report 1 is a baseline report: its alert matches nothing.
    missed = se.Evaluation(setup, SETTINGS, 0, [_surge(40, T0, {2})], [se.Alert("volume", T0 + H, "banking",
                                                                                  frozenset({1}))])
    volume, anomaly = se.pooled([found, missed])
    assert (volume.alerts, volume.matching_alerts, volume.detected, volume.surges) == (2, 1, 1, 2)
    assert volume.by_size == {10: (1, 1), 40: (0, 1)} and volume.false_alerts_per_day == 0.5
    assert anomaly.alerts == 0 and anomaly.recall == 0
