"""Demo seeding: months of realistic history written through the real services, once."""

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ncert.db import transaction, utcnow
from ncert.errors import Invalid
from ncert.models import AuditEvent, Incident, IncidentIndicator, Organization, TimelineEntry, User
from ncert.services import directory
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
