"""The risk register's services: who reads and writes, scoring on the stored
matrix with its snapshot, statuses, history and diff, heat maps, reviews and
the YAML import; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import RiskNotification
from ncert.services import risk_heatmap, risk_matrix, risk_reviews, risks
from ncert.services.risk_records import RiskInput, RiskPatch

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def assessment(current=(3, 4), residual=(2, 3), inherent=(4, 5)) -> dict:
    return {name: {"likelihood": li, "impact": im, "rationale": f"{name} because"}
            for name, (li, im) in (("inherent", inherent), ("current", current), ("residual", residual))}


def new_risk(world, actor=None, **fields) -> str:
    data = {"title": "Ransomware at a grid operator", "owner": {"org": "gridco", "person": "Deputy Head"},
            "sectors": ["energy"], "threat": {"rsit": ["malicious-code"], "attack": ["T1486"]}, **fields}
    with transaction(world.runtime.sessions) as s:
        return risks.create(s, actor or world.operator, RiskInput.model_validate(data), now=NOW).reference


def patch(world, reference, actor=None, **fields):
    with transaction(world.runtime.sessions) as s:
        return risks.snapshot(risks.update(s, actor or world.operator, reference,
                                           RiskPatch.model_validate({"reason": "test", **fields}), now=NOW))


def read(world, actor, reference):
    with world.runtime.sessions() as s:
        return risks.snapshot(risks.get(s, actor, reference))


def test_a_new_risk_gets_a_reference_a_first_version_and_a_review_date(world):
    first, second = new_risk(world), new_risk(world, title="Grid DDoS")
    assert (first, second) == ("R-2026-0001", "R-2026-0002")
    with world.runtime.sessions() as s:
        risk = risks.get(s, world.operator, first)
        assert risk.version == 1 and risk.status == "draft"
        assert risk.next_review_on == NOW.date() + timedelta(days=90)
        assert [v.reason for v in risks.history(s, world.operator, first)] == ["created"]


@pytest.mark.parametrize("who", ["leader@ncert.test", "analyst@gridco.test"])
def test_only_operators_and_admins_write(world, who):
    ref = new_risk(world, shared_with_owner=True)
    with pytest.raises(Forbidden):
        new_risk(world, world.actor(who))
    with pytest.raises(Forbidden):
        patch(world, ref, world.actor(who), title="Renamed")
    assert new_risk(world, world.admin, title="By an admin").startswith("R-2026-")


def test_the_register_is_national_unless_a_risk_is_shared_with_its_owner(world):
    private = new_risk(world)
    shared = new_risk(world, title="Shared", shared_with_owner=True)
    other = new_risk(world, title="Bank fraud", owner={"org": "centralbank", "person": "CISO"},
                     shared_with_owner=True)
    gridco, powergen = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
    leader = world.actor("leader@ncert.test")
    with world.runtime.sessions() as s:
        assert [r.reference for r in risks.list_risks(s, leader)] == [private, shared, other]
        assert [r.reference for r in risks.list_risks(s, gridco)] == [shared]
        assert risks.list_risks(s, powergen) == []
        for ref in (private, other):
            with pytest.raises(NotFound):
                risks.get(s, gridco, ref)
            with pytest.raises(NotFound):
                risks.history(s, gridco, ref)
        assert len(risks.history(s, gridco, shared)) == 1


def test_an_assessment_keeps_the_matrix_it_was_scored_under(world):
    ref = new_risk(world, assessment=assessment(current=(3, 4)))
    snap = read(world, world.operator, ref)
    assert snap["status"] == "assessed"
    assert snap["assessment"]["current"]["level"] == "high"  # 3 × 4 = 12: 10–16 is high
    assert snap["assessment"]["residual"]["level"] == "medium"  # 2 × 3 = 6
    assert snap["assessment"]["matrix"]["version"] == 0

    with world.runtime.sessions() as s:
        changed = risk_matrix.current(s)
    changed["cells"][2][3] = "critical"
    with transaction(world.runtime.sessions) as s:
        with pytest.raises(Forbidden):
            risk_matrix.replace(s, world.operator, changed)
        assert risk_matrix.replace(s, world.admin, changed)["version"] == 1
    assert read(world, world.operator, ref)["assessment"] == snap["assessment"]  # past scores stay

    again = patch(world, ref, assessment=assessment(current=(3, 4)))
    assert again["assessment"]["current"]["level"] == "critical"
    assert again["assessment"]["matrix"]["version"] == 1


def test_a_matrix_must_be_five_by_five_with_known_levels(world):
    with world.runtime.sessions() as s:
        bad = risk_matrix.current(s)
    bad["cells"][0][0] = "extreme"
    with transaction(world.runtime.sessions) as s:
        with pytest.raises(Invalid, match="unknown cell level 'extreme'"):
            risk_matrix.replace(s, world.admin, bad)
        with pytest.raises(Invalid, match="likelihood needs 5 levels"):
            risk_matrix.replace(s, world.admin, {**bad, "likelihood": []})


def test_statuses_need_what_they_claim(world):
    ref = new_risk(world)
    with pytest.raises(Invalid, match="needs an assessment"):
        patch(world, ref, status="assessed")
    patch(world, ref, assessment=assessment())
    with pytest.raises(Invalid, match="needs a treatment"):
        patch(world, ref, status="in_treatment")
    with pytest.raises(Invalid, match="needs the 'accept' treatment"):
        patch(world, ref, status="accepted", treatment={"strategy": "mitigate"})
    with pytest.raises(Invalid, match="expired on 2026-11-01"):
        patch(world, ref, status="accepted", treatment={
            "strategy": "accept", "acceptance": {"approver": "Head of centre", "expires_on": "2026-11-01"}})
    accepted = patch(world, ref, status="accepted", treatment={
        "strategy": "accept", "acceptance": {"approver": "Head of centre", "expires_on": "2027-06-30"}})
    assert accepted["treatment"]["acceptance"] == {"approver": "Head of centre", "expires_on": "2027-06-30"}
    with pytest.raises(ValueError, match="needs an acceptance"):
        RiskPatch.model_validate({"reason": "x", "treatment": {"strategy": "accept"}})


def test_every_change_is_a_version_with_who_when_and_why_and_versions_compare(world):
    ref = new_risk(world)
    patch(world, ref, reason="first assessment", assessment=assessment(current=(2, 4)))
    patch(world, ref, world.admin, reason="new intelligence", assessment=assessment(current=(4, 4)),
          treatment={"strategy": "mitigate", "actions": [
              {"title": "Segment OT", "owner": "GridCo CISO", "due": "2027-03-31"}]})
    patch(world, ref, reason="nothing new", assessment=assessment(current=(4, 4)), status="assessed")
    with world.runtime.sessions() as s:
        versions = risks.history(s, world.operator, ref)
        assert [(v.version, v.reason) for v in versions] == [
            (1, "created"), (2, "first assessment"), (3, "new intelligence")]
        assert versions[2].author == world.admin.label and versions[2].at == NOW
        changes = {c.field: (c.before, c.after) for c in risks.compare(versions, 2, 3)}
        assert changes["assessment.current.likelihood"] == (2, 4)
        assert changes["assessment.current.level"] == ("medium", "high")
        assert changes["treatment"][0] is None and changes["treatment"][1]["strategy"] == "mitigate"
        assert "title" not in changes
        with pytest.raises(NotFound):
            risks.compare(versions, 1, 9)


def test_owners_and_sectors_must_exist(world):
    with pytest.raises(Invalid, match="no organisation 'nobody'"):
        new_risk(world, owner={"org": "nobody", "person": "X"})
    with pytest.raises(Invalid, match="no sector 'space'"):
        new_risk(world, sectors=["space"])
    with pytest.raises(ValueError, match="'org'\\) or team"):
        RiskInput.model_validate({"title": "t", "owner": {"person": "X"}})
    with pytest.raises(ValueError, match="unknown RSIT class"):
        RiskInput.model_validate({"title": "t", "owner": {"org": "gridco", "person": "X"},
                                  "threat": {"rsit": ["hacking"]}})
    ref = new_risk(world, reference="R-2025-0042")
    with pytest.raises(Conflict):
        new_risk(world, reference=ref)


def test_heat_maps_count_risks_per_cell_under_the_filters(world):
    a = new_risk(world, assessment=assessment(current=(3, 4), residual=(2, 2)))
    new_risk(world, title="Second", assessment=assessment(current=(3, 4), residual=(1, 2)), shared_with_owner=True)
    new_risk(world, title="Bank", owner={"org": "centralbank", "person": "CISO"}, sectors=["finance"],
             assessment=assessment(current=(5, 5), residual=(2, 2)))
    new_risk(world, title="Unscored")
    patch(world, a, status="closed")
    with world.runtime.sessions() as s:
        current = risk_heatmap.heatmap(s, world.operator)
        assert current.counts[2][3] == 2 and current.counts[4][4] == 1 and current.unscored == 1
        assert sum(map(sum, current.counts)) == 3
        residual = risk_heatmap.heatmap(s, world.operator, "residual", sector="energy")
        assert residual.counts[1][1] == 1 and residual.counts[0][1] == 1 and sum(map(sum, residual.counts)) == 2
        assert sum(map(sum, risk_heatmap.heatmap(s, world.operator, owner="centralbank").counts)) == 1
        assert sum(map(sum, risk_heatmap.heatmap(s, world.operator, status="closed").counts)) == 1
        assert [r.title for r in risk_heatmap.cell_risks(s, world.operator, "current", 3, 4)] == [
            "Ransomware at a grid operator", "Second"]
        assert [r.title for r in risk_heatmap.cell_risks(s, world.operator, "current", 3, 4, status="closed")] == [
            "Ransomware at a grid operator"]
        gridco = risk_heatmap.heatmap(s, world.actor("analyst@gridco.test"))
        assert sum(map(sum, gridco.counts)) == 1 and gridco.counts[2][3] == 1
        assert current.matrix["likelihood"][4]["label"] == "Very high"
        with pytest.raises(Invalid):
            risk_heatmap.heatmap(s, world.operator, "inherent-ish")


def test_reviews_due_and_overdue_are_flagged_and_owners_notified_once(world):
    today = NOW.date()
    overdue = new_risk(world, next_review_on=(today - timedelta(days=1)).isoformat(),
                       owner={"org": "gridco", "person": "Deputy Head", "email": "deputy@gridco.test"})
    due = new_risk(world, title="Due", next_review_on=(today + timedelta(days=10)).isoformat())
    new_risk(world, title="Later", next_review_on=(today + timedelta(days=60)).isoformat())
    accepted = new_risk(world, title="Accepted", next_review_on=(today + timedelta(days=200)).isoformat(),
                        assessment=assessment(), status="accepted", treatment={
                            "strategy": "accept",
                            "acceptance": {"approver": "Head", "expires_on": (today + timedelta(days=5)).isoformat()}})
    with world.runtime.sessions() as s:
        flags = risk_reviews.flagged(s, world.operator, today)
        assert [(f.risk.reference, f.state) for f in flags] == [(overdue, "overdue"), (accepted, "due"), (due, "due")]
    with transaction(world.runtime.sessions) as s:
        sent = risk_reviews.notify_reviews(s, world.admin, NOW)
        assert len(sent) == 3
    with transaction(world.runtime.sessions) as s:
        assert risk_reviews.notify_reviews(s, world.admin, NOW) == []  # once per occasion
        notes = {n.subject: n for n in s.query(RiskNotification)}
        first = notes[f"[{overdue}] risk review overdue: Ransomware at a grid operator"]
        assert first.target == "deputy@gridco.test" and first.kind == "review-overdue"
        assert first.status == "not-sent" and first.error == "NCERT_SMTP_HOST is not set"
        assert notes[f"[{due}] risk review due: Due"].status == "not-sent"  # no address: recorded, not sent


def test_importing_the_same_register_twice_changes_nothing(world):
    entries = [{"reference": "R-2026-0100", "title": "Grid ransomware", "owner": {"org": "gridco", "person": "D"},
                "sectors": ["energy"], "assessment": assessment(), "next_review_on": date(2027, 1, 31)},
               {"title": "Bank DDoS", "owner": {"org": "centralbank", "person": "C"}, "sectors": ["finance"]}]
    with transaction(world.runtime.sessions) as s:
        first = risks.import_register(s, world.operator, entries, source="register.yaml")
    given, numbered = first.created
    assert (given, first.updated) == ("R-2026-0100", []) and re.match(r"^R-\d{4}-\d{4}$", numbered)
    with transaction(world.runtime.sessions) as s:
        again = risks.import_register(s, world.operator, entries, source="register.yaml")
    assert (again.created, again.updated, again.unchanged) == ([], [], [given, numbered])
    entries[1]["scenario"] = "A week-long DDoS on card payments"
    with transaction(world.runtime.sessions) as s:
        third = risks.import_register(s, world.operator, entries, source="register.yaml")
        assert third.updated == [numbered]
        assert risks.history(s, world.operator, numbered)[-1].reason == "import register.yaml"
    entries.append({"title": "Broken", "owner": {"person": "nobody"}})
    with pytest.raises(Invalid, match="risk 3: owner"):
        with transaction(world.runtime.sessions) as s:
            risks.import_register(s, world.operator, entries, source="register.yaml")
