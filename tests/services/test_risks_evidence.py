"""Risks tied to live incidents: matching incidents and their monthly trend, the
observed likelihood, drift (flag, owner e-mail, the risk.drift trigger), and
links made by operators and by the playbook action link_risk."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from ncert.db import transaction
from ncert.errors import Forbidden, NotFound
from ncert.models import Incident, PlaybookFiring, RiskNotification, Task, TimelineEntry
from ncert.services import incidents, risk_evidence, risk_links, risks
from ncert.services.risk_records import RiskInput
from playbooks import engine

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def scored(current_likelihood: int) -> dict:
    score = {"likelihood": current_likelihood, "impact": 4, "rationale": "r"}
    return {"inherent": score, "current": score, "residual": score}


def new_risk(world, **fields) -> str:
    data = {"title": "Ransomware in energy", "owner": {"org": "gridco", "person": "D", "email": "d@gridco.test"},
            "sectors": ["energy"], "threat": {"rsit": ["malicious-code/infected-system", "intrusions"]},
            "assessment": scored(2), **fields}
    with transaction(world.runtime.sessions) as s:
        return risks.create(s, world.operator, RiskInput.model_validate(data), now=NOW).reference


def report(world, org="gridco", category="malicious-code/infected-system", at=NOW, **fields) -> str:
    ref = world.submit(world.actor(f"analyst@{org}.test"), category=category, **fields)
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Incident).where(Incident.reference == ref).values(reported_at=at))
    return ref


def evidence(world, reference, actor=None, now=NOW):
    with world.runtime.sessions() as s:
        return risk_evidence.evidence(s, actor or world.operator, risks.get(s, world.operator, reference), now)


@pytest.mark.parametrize("count, level", [(0, 1), (1, 2), (2, 3), (4, 3), (5, 4), (12, 4), (13, 5)])
def test_the_yearly_count_maps_to_the_likelihood_scale(count, level):
    assert risk_evidence.observed_likelihood(count) == level


def test_matching_incidents_of_the_quarter_their_trend_and_the_observed_likelihood(world):
    ref = new_risk(world)
    report(world, at=NOW - timedelta(days=1))
    report(world, org="powergen", category="intrusions/system-compromise", at=datetime(2026, 10, 3, tzinfo=timezone.utc))
    report(world, at=datetime(2026, 9, 1, tzinfo=timezone.utc))
    report(world, at=datetime(2026, 3, 1, tzinfo=timezone.utc))  # in the year, not the quarter
    report(world, at=datetime(2025, 3, 1, tzinfo=timezone.utc))  # too old
    report(world, category="fraud/phishing")  # another threat
    report(world, org="centralbank")  # another sector
    found = evidence(world, ref)
    assert found.trend == [("2026-09", 1), ("2026-10", 1), ("2026-11", 1)]
    assert found.quarter_count == 3 and len(found.recent) == 3 and found.yearly_count == 4
    assert (found.observed_likelihood, found.assessed_likelihood) == (3, 2)


def test_merged_duplicates_low_severities_and_other_indicators_do_not_count(world):
    plain = new_risk(world)
    strict = new_risk(world, title="Severe ones carrying the C2", evidence={
        "min_severity": 3, "indicators": [{"type": "domain-name", "value": "C2.Example.net"}]})
    kept = report(world, indicators=[{"type": "domain-name", "value": "c2.example.net"}])
    duplicate = report(world)
    low = report(world, indicators=[{"type": "domain-name", "value": "c2.example.net"}])
    report(world, indicators=[{"type": "domain-name", "value": "other.example.net"}])
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Incident).where(Incident.reference != low).values(severity=3))
        s.execute(update(Incident).where(Incident.reference == low).values(severity=1))
        incidents.merge(s, world.operator, duplicate, kept)
    assert evidence(world, plain).yearly_count == 3
    assert evidence(world, strict).yearly_count == 1


def test_a_risk_naming_nothing_to_match_has_no_evidence(world):
    ref = new_risk(world, sectors=[], threat={"rsit": []})
    report(world)
    found = evidence(world, ref)
    assert not found.matched and found.observed_likelihood is None


def test_evidence_counts_only_incidents_the_reader_may_see(world):
    ref = new_risk(world, shared_with_owner=True)
    report(world, org="powergen", tlp="TLP:AMBER")
    report(world, org="gridco", tlp="TLP:AMBER")
    assert evidence(world, ref).yearly_count == 2
    assert evidence(world, ref, world.actor("analyst@gridco.test")).yearly_count == 1


@pytest.fixture
def drift_library(world, tmp_path):
    (tmp_path / "drift.yaml").write_text(
        "name: drift-review\nversion: 1\ntriggers: [risk.drift]\n"
        "actions:\n  - {type: add_tasks, tasks: [Review the risk register entry]}\n")
    yield engine.install(world.runtime, tmp_path)
    engine.uninstall(world.runtime)


def test_drift_is_flagged_after_the_configured_days_notifies_the_owner_and_fires_risk_drift(world, drift_library):
    ref = new_risk(world)  # assessed likelihood 2
    linked = report(world, at=NOW - timedelta(days=40))
    for days in (3, 20, 30):
        report(world, at=NOW - timedelta(days=days))  # 4 a year: observed 3
    with transaction(world.runtime.sessions) as s:
        risk_links.link(s, world.operator, linked, ref)

    def check(now):
        with transaction(world.runtime.sessions) as s:
            return [r.reference for r in risk_evidence.check_drift(s, world.admin, 14, now)]

    assert check(NOW) == []  # drifting since now
    assert check(NOW + timedelta(days=13)) == []
    assert check(NOW + timedelta(days=14)) == [ref]
    assert check(NOW + timedelta(days=15)) == []  # flagged once
    with world.runtime.sessions() as s:
        risk = risks.get(s, world.operator, ref)
        assert (risk.observed_likelihood, risk.drift_since, risk.review_suggested_at) == (
            3, NOW, NOW + timedelta(days=14))
        note = s.scalar(select(RiskNotification).where(RiskNotification.kind == "drift"))
        assert note.target == "d@gridco.test" and note.subject == f"[{ref}] risk review suggested: {risk.title}"
        fired = set(s.scalars(select(Incident.reference).join(PlaybookFiring, PlaybookFiring.incident_id == Incident.id)
                              .where(PlaybookFiring.trigger == "risk.drift")))
        latest = s.scalar(select(Incident.reference).where(Incident.reported_at == NOW - timedelta(days=3)))
        assert fired == {linked, latest}
        assert s.scalar(select(Task.title).join(Incident).where(Incident.reference == linked)) == \
            "Review the risk register entry"


def test_a_new_assessment_clears_drift_and_falling_evidence_resets_it(world):
    ref = new_risk(world)
    report(world, at=NOW - timedelta(days=1))
    report(world, at=NOW - timedelta(days=2))
    with transaction(world.runtime.sessions) as s:
        risk_evidence.check_drift(s, world.admin, 1, NOW)
        risk_evidence.check_drift(s, world.admin, 1, NOW + timedelta(days=1))
        assert risks.get(s, world.operator, ref).review_suggested_at is not None
        risks.update(s, world.operator, ref, risks.RiskPatch(reason="reviewed", assessment=scored(3)))
        risk = risks.get(s, world.operator, ref)
        assert (risk.drift_since, risk.review_suggested_at) == (None, None)
        risk_evidence.check_drift(s, world.admin, 1, NOW + timedelta(days=2))
        assert risk.drift_since is None and risk.observed_likelihood == 3  # no longer above


def test_operators_link_and_unlink_incidents_and_only_national_staff_see_links(world):
    ref = new_risk(world, shared_with_owner=True)
    incident = report(world)
    with transaction(world.runtime.sessions) as s:
        assert risk_links.link(s, world.operator, incident, ref)[2] is True
        assert risk_links.link(s, world.operator, incident, ref)[2] is False  # idempotent
    gridco = world.actor("analyst@gridco.test")
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, incident)
        assert [r.reference for r in risk_links.risks_of(s, world.operator, inc)] == [ref]
        assert risk_links.risks_of(s, gridco, inc) == []
        assert risk_links.incidents_of(s, gridco, risks.get(s, gridco, ref)) == []
        notes = [e for e in incidents.timeline(s, gridco, inc) if e.kind == "risk"]
        assert notes == []  # the reporter is not told
        internal = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "risk")).all()
        assert [e.internal for e in internal] == [True]
    with transaction(world.runtime.sessions) as s:
        with pytest.raises(Forbidden):
            risk_links.link(s, gridco, incident, ref)
        with pytest.raises(Forbidden):
            risk_links.link(s, world.actor("leader@ncert.test"), incident, ref)
        with pytest.raises(NotFound):
            risk_links.link(s, world.operator, incident, "R-2026-9999")
        assert risk_links.unlink(s, world.operator, incident, ref)[2] is True
        assert risk_links.unlink(s, world.operator, incident, ref)[2] is False


def test_the_playbook_action_link_risk_links_for_real(world, tmp_path):
    ref = new_risk(world)
    (tmp_path / "link.yaml").write_text(
        "name: link-ransomware\nversion: 1\ntriggers: [incident.created]\n"
        "when: {fact: category_class, eq: malicious-code}\n"
        f"actions:\n  - {{type: link_risk, risk: {ref}}}\n  - {{type: link_risk, risk: R-2026-9999}}\n")
    engine.install(world.runtime, tmp_path)
    try:
        incident = report(world)
    finally:
        engine.uninstall(world.runtime)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, incident)
        assert [r.reference for r in risk_links.risks_of(s, world.operator, inc)] == [ref]
        note = [e.body for e in incidents.timeline(s, world.operator, inc) if e.kind == "playbook"][0]
        assert f"linked to risk {ref}" in note and "risk R-2026-9999 not linked: no such risk" in note
