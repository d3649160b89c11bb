"""Building the history a KPI card measures: incidents placed in time, deadlines and requests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ncert.actor import Actor
from ncert.db import transaction
from ncert.models import Incident, RegulatoryDeadline, Rfi, Task, TimelineEntry
from ncert.taxonomy import OrgKind, Role
from tests.factories import World

Q3 = datetime(2026, 7, 1, tzinfo=timezone.utc)  # 2026Q3 starts; 2026Q2 is the quarter before
Q4 = datetime(2026, 10, 1, tzinfo=timezone.utc)


def report(world: World, who: str, *, reported: datetime, **fields) -> str:
    """An incident reported by ``who`` (an analyst's e-mail) at ``reported``; fields as IncidentRecord,
    but ``severity`` is the national level, set as triage would."""
    severity = fields.pop("severity", 1)
    ref = world.submit(world.actor(who), **fields)
    place(world, ref, reported_at=reported, severity=severity)
    return ref


def place(world: World, ref: str, **columns) -> None:
    """Set an incident's timestamps (or other columns) as if its history had happened."""
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        for name, value in columns.items():
            setattr(incident, name, value)


def contained(world: World, ref: str, at: datetime) -> None:
    """The status entry a move to contained writes, at ``at``."""
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        s.add(TimelineEntry(incident_id=incident.id, at=at, kind="status", actor="operator", body="→ contained",
                            details={"old": "investigating", "new": "contained"}))


def deadline(world: World, ref: str, stage: str, due: datetime, received: datetime | None = None,
             regime: str = "nis2") -> None:
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        s.add(RegulatoryDeadline(incident_id=incident.id, regime=regime, stage=stage, aware_at=due - timedelta(hours=24),
                                 due_at=due, received_at=received))


def request(world: World, ref: str, asked: datetime, answered: datetime | None = None, *,
            to_reporter: bool = True, withdrawn: bool = False) -> None:
    """A request for information to the reporter (answered at ``answered``, or withdrawn), or with
    ``to_reporter`` False an internal task done then, which is no request."""
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        if to_reporter:
            s.add(Rfi(incident_id=incident.id, org_id=incident.reporter_org_id, title="Send the firewall logs",
                      question="Which rules dropped the traffic?", state="withdrawn" if withdrawn else "answered" if answered else "open",
                      created_by="operator", created_at=asked, answered_at=answered))
        else:
            s.add(Task(incident_id=incident.id, title="Send the firewall logs", status="done" if answered else "open",
                       created_by="operator", created_at=asked, closed_at=answered))


def sector_cert(world: World) -> Actor:
    """An analyst of the energy sector's CERT."""
    return Actor(role=Role.SECTOR_ANALYST, org_id=world.orgs["energy-cert"], org_kind=OrgKind.SECTOR_CERT,
                 sector_id=world.sectors["energy"], interface="test", label="analyst@energy-cert.test")
