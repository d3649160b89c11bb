"""Demo seeding: months of realistic history, a living risk register and reviewed KPI
cards, written through the real services, once."""

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ncert import periods
from ncert.db import transaction, utcnow
from ncert.errors import Invalid
from ncert.models import (
    AuditEvent,
    Incident,
    IncidentIndicator,
    KpiReview,
    KpiTarget,
    Organization,
    ResponsiblePerson,
    Risk,
    RiskIncident,
    RiskNotification,
    RiskVersion,
    TimelineEntry,
    User,
)
from ncert.services import directory, risk_evidence, risk_links, risk_reviews, risks
from ncert.taxonomy import OrgKind, Role, Status
from sector_certs import demo, registry


@pytest.fixture
def national(runtime):
    """A database with the sector registry loaded, as after `ncert init`."""
    with transaction(runtime.sessions) as s:
        registry.load(s)
    return runtime


def _seed(runtime, **kwargs):
    with transaction(runtime.sessions) as s:
        return demo.seed(s, directory.system_actor(s, "national-cert", "cli"), **kwargs)


def test_demo_seeds_months_of_history_through_the_services(national):
    started = utcnow()
    report = _seed(national, seed=2026, days=90, count=400)
    assert not report.skipped and report.incidents == 400
    assert list(report.by_status) == [str(status) for status in Status]
    with national.sessions() as s:
        incidents = list(s.scalars(select(Incident)))
        assert len(incidents) == 400 and {i.source_channel for i in incidents} == {"demo"}
        reported = sorted(i.reported_at for i in incidents)
        assert started - timedelta(days=90) <= reported[0] and reported[-1] <= started
        assert reported[-1] - reported[0] >= timedelta(days=80)
        assert {i.status for i in incidents} == set(Status)
        assert len({i.sector_id for i in incidents}) >= 15

        # Timelines are the services' own, back-dated to the simulated times.
        last_entry = dict(s.execute(select(TimelineEntry.incident_id, func.max(TimelineEntry.at))
                                    .group_by(TimelineEntry.incident_id)).all())
        created = dict(s.execute(select(TimelineEntry.incident_id, TimelineEntry.at)
                                 .where(TimelineEntry.kind == "created")).all())
        for i in incidents:
            assert created[i.id] == i.reported_at == i.created_at
            assert i.updated_at == last_entry[i.id] <= started
            if i.status is not Status.NEW:
                assert i.reported_at <= i.acknowledged_at <= i.updated_at
            if i.status is Status.CLOSED:
                assert i.acknowledged_at <= i.closed_at <= i.updated_at
        kinds = set(s.scalars(select(TimelineEntry.kind).distinct()))
        assert {"created", "status", "assignee", "comment", "merged", "merge-received"} <= kinds
        assert s.scalar(select(func.count()).select_from(IncidentIndicator)
                        .where(IncidentIndicator.added_at > started)) == 0
        # Audit events are real (append-only, so at their real time).
        creations = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "incident.create")
        assert s.scalar(creations.where(AuditEvent.at >= started)) == 400

        # Campaign indicators link incidents of different sectors.
        sectors_of = defaultdict(set)
        incidents_of = defaultdict(set)
        for indicator_id, incident_id, sector_id in s.execute(
                select(IncidentIndicator.indicator_id, Incident.id, Incident.sector_id).join(Incident)):
            sectors_of[indicator_id].add(sector_id)
            incidents_of[incident_id].add(indicator_id)
        assert sum(len(sectors) >= 2 for sectors in sectors_of.values()) >= 10
        merged = [i for i in incidents if i.status is Status.MERGED]
        for duplicate in merged:
            assert duplicate.merged_into.status is not Status.MERGED
            assert incidents_of[duplicate.id] <= incidents_of[duplicate.merged_into_id]


def test_demo_logins_authenticate_and_a_second_run_is_skipped(national):
    first = _seed(national, seed=1, days=20, count=30)
    assert {login.role for login in first.logins} == set(Role)
    with transaction(national.sessions) as s:
        for login in first.logins:
            assert len(login.password) >= directory.MIN_PASSWORD_LENGTH
            user = directory.authenticate_password(s, login.email, login.password)
            assert (user.role, user.org.slug) == (login.role, login.org)
        analyst_sectors = {directory.org_by_slug(s, login.org).sector.slug
                           for login in first.logins if login.role == "sector_analyst"}
        assert "energy" in analyst_sectors and len(analyst_sectors) >= 3
        users = s.scalar(select(func.count()).select_from(User))

    again = _seed(national, seed=1, days=20, count=30)
    assert again.skipped and again.incidents == 30
    assert "already present" in again.summary()
    with national.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 30
        assert s.scalar(select(func.count()).select_from(User)) == users


def test_demo_asks_for_init_when_the_registry_is_missing(runtime):
    with transaction(runtime.sessions) as s:
        s.add(Organization(slug="national-cert", name="National CERT", kind=OrgKind.STATE_BODY))
    with pytest.raises(Invalid, match="ncert init"):
        _seed(runtime, count=5)
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0


def _register_state(runtime) -> dict:
    """Everything the register and KPI seeding write, to compare two runs."""
    with runtime.sessions() as s:
        counts = {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                  for model in (Risk, RiskVersion, RiskIncident, RiskNotification, KpiTarget, ResponsiblePerson,
                                KpiReview, TimelineEntry, AuditEvent)}
        rows = s.execute(select(Risk.reference, Risk.version, Risk.updated_at, Risk.observed_likelihood,
                                Risk.drift_since, Risk.review_suggested_at).order_by(Risk.reference)).all()
        return {"counts": counts, "risks": [tuple(r) for r in rows]}


def test_demo_seeds_a_living_register_and_reviewed_kpi_cards(national):
    started = utcnow()
    report = _seed(national, drift_days=14)
    assert 20 <= report.risks <= 30 and report.review_suggested >= 2 and "national risks" in report.summary()
    with national.sessions() as s:
        system = directory.system_actor(s, "national-cert", "test")
        register = risks.list_risks(s, system)
        first_report = s.scalar(select(func.min(Incident.reported_at)))
        assert len(register) == report.risks and len({sector for r in register for sector in r.sectors}) >= 12
        for r in register:
            assert (r.owner_org or r.owner_team) and r.owner_person and r.vulnerabilities and r.controls
            assert r.threat["rsit"] and r.threat["attack"] and r.created_at < first_report
            assert all(r.assessment[level]["rationale"] for level in risks.LEVELS)
            assert r.status != "in_treatment" or r.treatment["actions"]
        accepted = [r for r in register if r.status == "accepted"]
        assert 1 <= len(accepted) <= 2
        assert all(r.treatment["acceptance"]["approver"] and date.fromisoformat(
            r.treatment["acceptance"]["expires_on"]) > started.date() for r in accepted)
        states = Counter(flag.state for flag in risk_reviews.flagged(s, system, started.date()))
        assert states[risk_reviews.OVERDUE] == 1 and states[risk_reviews.DUE] >= 2

        # Operators linked the incidents they triaged to the risks these evidence, back then.
        linked = 0
        for r in register:
            evidencing = set(s.scalars(select(Incident.id).where(*risk_evidence.criteria(r))))
            incidents_of = risk_links.incidents_of(s, system, r)  # some were merged after they were linked
            assert {i.id for i in incidents_of if i.status is not Status.MERGED} <= evidencing
            linked += bool(incidents_of)
        assert linked >= 20
        links = s.execute(select(RiskIncident.linked_at, Incident.acknowledged_at)
                          .join(Incident, Incident.id == RiskIncident.incident_id)).all()
        assert links and all(acknowledged <= at <= started for at, acknowledged in links)

        # At least two risks drifted long enough for the check to suggest a review, and their owners were told.
        drifting = [r for r in register if r.review_suggested_at is not None]
        assert len(drifting) == report.review_suggested >= 2
        for r in drifting:
            assert r.observed_likelihood > r.current_likelihood
            assert r.review_suggested_at - r.drift_since >= timedelta(days=14)
            assert [n.kind for n in risk_reviews.of_risk(s, r)] == ["drift"]

        # KPI cards: national targets and an organisation's override, responsible persons, and
        # leadership's signed-off reviews of the two quarters before this one.
        assert s.scalar(select(func.count()).select_from(KpiTarget).where(KpiTarget.org_id.is_(None))) >= 1
        overrides = s.scalars(select(KpiTarget).where(KpiTarget.org_id.is_not(None))).all()
        assert [directory.org_by_slug(s, "gridco").id] == [t.org_id for t in overrides]
        persons = s.scalars(select(ResponsiblePerson)).all()
        assert len(persons) >= 10 and all(p.name and "Deputy" in p.position for p in persons)
        previous = periods.quarter_of(started).previous()
        reviews = s.scalars(select(KpiReview)).all()
        assert {r.period for r in reviews} == {previous.label, previous.previous().label}
        for label in (previous.label, previous.previous().label):
            quarter = [r for r in reviews if r.period == label]
            assert sum(r.org_id is not None for r in quarter) >= 3 and sum(r.sector_id is not None for r in quarter) >= 3
        assert all(r.signed_off_at and r.signed_off_by == "director@ncsc.example" and r.figures and r.comments
                   for r in reviews)

    before = _register_state(national)
    again = _seed(national, drift_days=14)
    assert again.skipped and _register_state(national) == before
