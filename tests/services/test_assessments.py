"""National severity assessment: the score is stored, the severity follows the level,
the timeline explains both, and the derived factors come from the data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ncert import scoring
from ncert.config import Settings
from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import AuditEvent, Incident, Organization, TimelineEntry
from ncert.services import assessments, incidents

SERIOUS = dict(functional_impact="denial-of-critical-services", information_impact="destruction-of-critical-system",
               recoverability="not-recoverable", observed_activity="effect", potential_impact="severe")
MINOR = dict(functional_impact="no-impact-to-services", information_impact="no-impact", recoverability="regular",
             observed_activity="engage", potential_impact="low")
IOC = [{"type": "domain-name", "value": "update-check.example.org"}]


def assess(world, ref, inputs, actor=None, config=None):
    with transaction(world.runtime.sessions) as s:
        row = assessments.assess(s, actor or world.operator, ref, inputs, config or scoring.ScoringConfig())
        return {c: getattr(row, c) for c in row.__table__.columns.keys()}


def incident(world, ref) -> Incident:
    with world.runtime.sessions() as s:
        return s.scalar(select(Incident).where(Incident.reference == ref))


def entries(world, ref, kind) -> list[TimelineEntry]:
    with world.runtime.sessions() as s:
        return list(s.scalars(select(TimelineEntry).join(Incident).where(Incident.reference == ref,
                                                                         TimelineEntry.kind == kind)
                              .order_by(TimelineEntry.id)))


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Ransomware at a substation", tlp="TLP:AMBER")


def test_the_score_is_stored_and_sets_the_severity(world, ref):
    row = assess(world, ref, SERIOUS)
    # GridCo is in energy (criticality 5), alone, and no NIS2 class is recorded for it.
    expected = scoring.score(scoring.Assessment(**SERIOUS, sector_criticality=5, sectors_affected=1))
    assert (row["score"], row["base_level"], row["level"]) == (expected.score, expected.base_level, expected.level)
    assert expected.level == 3 and (row["ncsc_category"], row["eu_colour"]) == (3, "yellow")
    assert [b["factor"] for b in row["breakdown"]] == list(scoring.FACTORS)
    assert sum(b["points"] for b in row["breakdown"]) == pytest.approx(row["score"], abs=0.05)
    assert row["breakdown"][0] == {"factor": "functional_impact", "answer": "denial-of-critical-services",
                                   "value": 1.0, "weight": 20, "points": 20.0}
    assert row["assessed_by"] == "operator@ncert.test"
    assert incident(world, ref).severity == 3

    note, = entries(world, ref, "assessment")
    assert note.body.startswith(f"National severity score {expected.score:g}/100: level 3 (High), NCSC category 3")
    assert note.details["score"] == expected.score and note.details["previous"] is None
    severity, = entries(world, ref, "severity")
    assert severity.body == "Severity 1 → 3"
    assert severity.details["reason"] == f"national severity score {expected.score:g}/100 gives level 3 (High)"
    with world.runtime.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ref)))
    assert actions[-2:] == ["incident.assess", "incident.severity"]


def test_severity_already_at_the_level_is_left_alone(world):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Port scan", severity=0)
    assert assess(world, ref, MINOR)["level"] == 0
    assert incident(world, ref).severity == 0
    assert entries(world, ref, "severity") == [] and len(entries(world, ref, "assessment")) == 1


def test_configured_weights_change_the_result(world, ref, tmp_path):
    settings = Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), "NCERT_SECRET_KEY": "x",
                                  "NCERT_SCORING_WEIGHTS": "functional_impact=100,sector_criticality=0,"
                                                           "cross_sector_spread=0,information_impact=0,"
                                                           "recoverability=0,observed_activity=0,potential_impact=0"})
    row = assess(world, ref, SERIOUS, config=settings.scoring)
    assert row["score"] == 100 and row["level"] == 5
    assert {b["factor"]: b["weight"] for b in row["breakdown"]}["recoverability"] == 0
    assert incident(world, ref).severity == 5
    default = assess(world, ref, SERIOUS)
    assert default["score"] < 100 and default["level"] == 3


def test_a_safety_effect_lifts_to_level_4(world, ref):
    row = assess(world, ref, {**MINOR, "safety_effect": True})
    assert row["base_level"] == 0 and row["level"] == 4
    assert row["overrides"] == ["safety effect: at least level 4"]
    assert (row["ncsc_category"], row["eu_colour"]) == (2, "red")
    assert incident(world, ref).severity == 4


def test_an_essential_entity_disrupted_is_at_least_level_3_and_flagged(world, ref):
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Organization).where(Organization.slug == "gridco").values(nis2_entity="essential"))
    calm = assess(world, ref, MINOR)
    assert calm["entity_class"] == "essential" and calm["level"] == 0 and calm["flags"] == []
    row = assess(world, ref, {**MINOR, "operations_disrupted": True})
    assert row["level"] == 3 and row["flags"] == [scoring.LARGE_SCALE_CANDIDATE]
    assert "at least level 3" in row["overrides"][0]


def test_worsening_outlook_is_one_level_higher(world, ref):
    assert assess(world, ref, {**SERIOUS, "outlook": "worsening"})["level"] == 4


def test_sector_criticality_and_spread_are_derived(world):
    bank = world.actor("analyst@centralbank.test")
    ref = world.submit(bank, title="Payment switch outage", tlp="TLP:AMBER", affected_sectors=["health"])
    row = assess(world, ref, MINOR)
    # finance is 4, health 5: the most critical sector counts; two sectors spread it.
    assert (row["sector_criticality"], row["sectors_affected"]) == (5, 2)
    spread = {b["factor"]: b for b in row["breakdown"]}["cross_sector_spread"]
    assert spread["answer"] == "2 sectors" and spread["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert row["flags"] == [scoring.LARGE_SCALE_CANDIDATE] and row["level"] == 3


def test_sectors_sharing_its_indicators_count_when_reported_near_it(world):
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    ref = world.submit(gridco, title="Phishing domain", tlp="TLP:AMBER", indicators=IOC)
    old = world.submit(world.actor("analyst@partner.test"), title="Seen long ago", sector="health",
                       tlp="TLP:RED", indicators=IOC)
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Incident).where(Incident.reference == old)
                  .values(reported_at=incident(world, ref).reported_at - timedelta(days=4)))
    assert assess(world, ref, MINOR)["sectors_affected"] == 1
    world.submit(world.actor("analyst@powergen.test"), title="Same sector", tlp="TLP:AMBER", indicators=IOC)
    assert assess(world, ref, MINOR)["sectors_affected"] == 1
    world.submit(bank, title="Same domain at the bank", tlp="TLP:RED", indicators=IOC)
    assert assess(world, ref, MINOR)["sectors_affected"] == 2


def test_reassessing_replaces_the_inputs_and_the_timeline_shows_the_change(world, ref):
    first = assess(world, ref, SERIOUS)
    second = assess(world, ref, {**MINOR, "rationale": "restored from backups"})
    assert second["id"] == first["id"] and second["functional_impact"] == "no-impact-to-services"
    assert second["level"] == 0 and incident(world, ref).severity == 0
    _, latest = entries(world, ref, "assessment")
    assert f"(was {first['score']:g}/100, level 3 (High))" in latest.body
    assert latest.body.endswith(". restored from backups")
    assert latest.details["previous"] == {"score": first["score"], "level": 3}
    assert [e.body for e in entries(world, ref, "severity")] == ["Severity 1 → 3", "Severity 3 → 0"]
    again = assess(world, ref, MINOR)
    assert again["score"] == second["score"] and "(re-assessed, unchanged)" in entries(world, ref, "assessment")[-1].body


def test_only_operators_and_admins_assess(world, ref):
    for email in ("analyst@gridco.test", "leader@ncert.test"):
        with pytest.raises(Forbidden):
            assess(world, ref, SERIOUS, actor=world.actor(email))
    assert assess(world, ref, SERIOUS, actor=world.admin)["assessed_by"] == "admin@ncert.test"


@pytest.mark.parametrize("inputs, field", [
    ({**MINOR, "recoverability": "eventually"}, "recoverability"),
    ({**MINOR, "outlook": "gloomy"}, "outlook"),
    ({**MINOR, "member_states_affected": 0}, "member_states_affected"),
    ({k: v for k, v in MINOR.items() if k != "observed_activity"}, "observed_activity"),
    ({**MINOR, "sector_criticality": 5}, "sector_criticality"),  # derived, never typed in
])
def test_invalid_inputs_name_the_field(world, ref, inputs, field):
    with pytest.raises(Invalid) as caught:
        assess(world, ref, inputs)
    assert caught.value.detail.startswith(f"{field}: ")
    assert caught.value.errors[0]["loc"] == [field]


def test_invalid_choice_lists_the_allowed_values(world, ref):
    with pytest.raises(Invalid, match="'regular', 'supplemented', 'extended' or 'not-recoverable'"):
        assess(world, ref, {**MINOR, "recoverability": "eventually"})


def test_national_staff_see_the_score_and_the_reporter_only_its_outcome(world, ref):
    assess(world, ref, SERIOUS)
    with world.runtime.sessions() as s:
        mine = incidents.get(s, world.actor("analyst@gridco.test"), ref)
        assert mine.severity == 3
        with pytest.raises(Forbidden, match="national staff only"):
            assessments.current(s, world.actor("analyst@gridco.test"), mine)
        assert assessments.current(s, world.actor("leader@ncert.test"), mine).level == 3
        with pytest.raises(NotFound):
            assessments.current(s, world.actor("analyst@centralbank.test"), mine)
        other = incidents.get(s, world.operator, world.submit(world.actor("analyst@gridco.test"), title="Fresh"))
        assert assessments.current(s, world.operator, other) is None


def test_a_merged_incident_is_assessed_through_the_one_it_was_merged_into(world, ref):
    keep = world.submit(world.actor("analyst@powergen.test"), title="Same ransomware")
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, ref, keep)
    with pytest.raises(Conflict, match=f"merged into {keep}"):
        assess(world, ref, SERIOUS)
