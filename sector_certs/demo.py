"""Demo data: one login per role and a few months of simulated national incident history.

``seed`` creates the demo users, then replays a simulated stream
(``sector_certs.simulator``) through the real services: incidents are
submitted on channel "demo", then triaged, assigned, commented, contained,
resolved, closed or merged by the demo operators, in simulated-time order, so
timelines, indicators, sightings and audit events are the services' own.
Only the timestamps are rewritten, in ``_Clock.backdated``.

Before the stream, the national risk register (``sector_certs.demo_risks``) is
imported as it stood three weeks before the first report; operators link the
incidents they triage to the risks these evidence, and the drift check then
runs at simulated times. KPI targets, responsible persons and signed-off
reviews of the two previous quarters follow (``sector_certs.demo_kpi``), and three public
advisories in Azerbaijani and English come last (``sector_certs.demo_advisories``).

Demo logins (fixed, documented, for a local demo only; change or delete them
before exposing a server):

    admin           admin@ncsc.example              ncert-demo-admin
    soc_operator    operator@ncsc.example           ncert-demo-operator
    soc_operator    operator2@ncsc.example          ncert-demo-operator
    leadership      director@ncsc.example           ncert-demo-leadership
    sector_analyst  analyst@gridco.example          ncert-demo-analyst
    sector_analyst  analyst@unionbank.example       ncert-demo-analyst
    sector_analyst  analyst@cityhospital.example    ncert-demo-analyst
"""

from __future__ import annotations

import heapq
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import Invalid
from ncert.models import Incident, IncidentIndicator, Organization, RiskIncident, TimelineEntry, User
from ncert.records import IncidentPatch
from ncert.services import directory, incidents, teams
from ncert.taxonomy import Status
from sector_certs import demo_advisories, demo_kpi, demo_risks, registry
from sector_certs.simulator import SimulatedEvent, Step, simulate

CHANNEL = "demo"
REGISTER_LEAD = timedelta(days=21)  # the register's assessments predate the first simulated report


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str
    name: str
    org: str


LOGINS = (
    DemoLogin("admin", "admin@ncsc.example", "ncert-demo-admin", "Alex Morgan", "national-cert"),
    DemoLogin("soc_operator", "operator@ncsc.example", "ncert-demo-operator", "Sam Rivera", "national-cert"),
    DemoLogin("soc_operator", "operator2@ncsc.example", "ncert-demo-operator", "Kim Laine", "national-cert"),
    DemoLogin("leadership", "director@ncsc.example", "ncert-demo-leadership", "Dana Novak", "national-cert"),
    DemoLogin("sector_analyst", "analyst@gridco.example", "ncert-demo-analyst", "Jordan Berg", "gridco"),
    DemoLogin("sector_analyst", "analyst@unionbank.example", "ncert-demo-analyst", "Robin Hale", "unionbank"),
    DemoLogin("sector_analyst", "analyst@cityhospital.example", "ncert-demo-analyst", "Chris Varga", "cityhospital"),
)


# Desks of the demo national centre: (slug, name, shared mailbox, members).
TEAMS = (
    ("duty", "Duty team", "duty@ncsc.example", ("operator@ncsc.example", "operator2@ncsc.example")),
    ("ot-desk", "OT desk (energy, water, transport)", None, ("operator@ncsc.example",)),
    ("finance-desk", "Finance desk", None, ("operator2@ncsc.example",)),
)


@dataclass(frozen=True)
class DemoReport:
    skipped: bool
    logins: tuple[DemoLogin, ...] = LOGINS
    incidents: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    sectors: int = 0
    first: datetime | None = None
    last: datetime | None = None
    risks: int = 0
    review_suggested: int = 0
    reviews: int = 0
    advisories: int = 0

    def summary(self) -> str:
        if self.skipped:
            return f"demo data already present ({self.incidents} demo incidents); nothing seeded. Demo logins:"
        if not self.incidents:
            return "demo users created; no incidents seeded. Demo logins:"
        statuses = ", ".join(f"{status} {n}" for status, n in self.by_status.items())
        return (f"demo data seeded: {self.incidents} incidents in {self.sectors} sectors, reported "
                f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d} ({statuses}); {self.risks} national risks "
                f"({self.review_suggested} with a review suggested); {self.reviews} signed-off KPI reviews; "
                f"{self.advisories} public advisories (/advisories/). Demo logins:")


def seed(session: Session, actor: Actor, *, seed: int = 2026, days: int = 90, count: int = 400,
         now: datetime | None = None, drift_days: int = 14) -> DemoReport:
    """Seed demo users, the risk register, ``count`` incidents over the last ``days`` days
    and the KPI cards' targets, persons and reviews, once. ``drift_days`` is the
    setting ``NCERT_RISK_DRIFT_DAYS`` the drift check runs with."""
    present = session.scalar(select(func.count()).select_from(Incident).where(Incident.source_channel == CHANNEL))
    if present or session.scalar(select(User.id).where(User.email.in_([login.email for login in LOGINS]))):
        return DemoReport(skipped=True, incidents=present)
    reg = registry.read()
    known = set(session.scalars(select(Organization.slug)))
    missing = [o.slug for o in reg.organizations if o.slug not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        raise Invalid(f"the sector registry is not loaded (missing {shown}); run `ncert init` first")

    users = {login.email: directory.add_user(session, actor, email=login.email, name=login.name, role=login.role,
                                             org=login.org, password=login.password) for login in LOGINS}
    operators = [directory.actor_for_user(users[login.email], actor.interface)
                 for login in LOGINS if login.role == "soc_operator"]
    analysts = {login.org: directory.actor_for_user(users[login.email], actor.interface)
                for login in LOGINS if login.role == "sector_analyst"}
    for slug, name, email, members in TEAMS:
        teams.create(session, actor, slug=slug, name=name, email=email)
        for member in members:
            teams.add_member(session, actor, slug, member)

    now = now or utcnow()
    start = now - timedelta(days=days)
    register = demo_risks.import_register(session, operators[0], start - REGISTER_LEAD, now.date())
    replay = _Replay(session, actor, operators, analysts, demo_risks.Linker(session, register))
    try:
        for simulated in simulate(seed=seed, count=count, end=now, days=days, registry=reg):
            replay.submit(simulated)
        replay.finish()
    finally:
        replay.clock.close()
    flagged = demo_risks.watch_drift(session, actor, drift_days, start, now)
    director = next(directory.actor_for_user(users[login.email], actor.interface)
                    for login in LOGINS if login.role == "leadership")
    reviews = demo_kpi.seed(session, director, now)
    published = demo_advisories.seed(session, operators[0], director)
    return _report(session, risks=len(register), review_suggested=len(flagged), reviews=len(reviews),
                   advisories=len(published))


class _Replay:
    """Runs simulated events and their lifecycle steps through the services, oldest first."""

    def __init__(self, session: Session, actor: Actor, operators: list[Actor], analysts: dict[str, Actor],
                 linker: demo_risks.Linker):
        self.session = session
        self.actor = actor
        self.operators = operators
        self.analysts = analysts
        self.linker = linker
        self.clock = _Clock(session)
        self.references: dict[int, str] = {}  # simulated seq -> incident reference
        # Strong references keep the incidents in the session's (weak) identity map, so the
        # services' reads and the back-dating do not reload them for every step.
        self.incidents: dict[int, Incident] = {}  # simulated seq -> incident
        self.reporters: dict[int, str] = {}  # simulated seq -> reporting organisation slug
        self.pending: list[tuple[datetime, int, int, Step, int]] = []  # (at, seq, index, step, operator)

    def submit(self, simulated: SimulatedEvent) -> None:
        self._run_until(simulated.reported_at)
        submitter = self.analysts.get(simulated.record.reporter_org, self.actor)
        with self.clock.backdated(simulated.reported_at, links=True):
            submission = incidents.submit(self.session, submitter, simulated.record, channel=CHANNEL)
        self.references[simulated.seq] = submission.incident.reference
        self.incidents[simulated.seq] = submission.incident
        self.reporters[simulated.seq] = simulated.record.reporter_org
        for index, step in enumerate(simulated.lifecycle.steps):
            heapq.heappush(self.pending, (step.at, simulated.seq, index, step, simulated.lifecycle.operator))

    def finish(self) -> None:
        """Run the steps still pending after the last report."""
        self._run_until(None)

    def _run_until(self, until: datetime | None) -> None:
        while self.pending and (until is None or self.pending[0][0] <= until):
            at, seq, _, step, operator_index = heapq.heappop(self.pending)
            with self.clock.backdated(at, links=step.action == "merge"):
                self._step(seq, step, self.operators[operator_index % len(self.operators)], at)

    def _step(self, seq: int, step: Step, operator: Actor, at: datetime) -> None:
        s, reference = self.session, self.references[seq]
        if step.action == "triage":
            patch = {"status": step.status, "reason": step.text}
            if step.assign:
                patch["assignee"] = operator.label
            if step.severity is not None:
                patch["severity"] = step.severity
            incidents.update_fields(s, operator, reference, IncidentPatch(**patch))
            self.linker.triaged(self.incidents[seq], operator, at)
        elif step.action == "status":
            incidents.transition(s, operator, reference, step.status, step.text)
        elif step.action == "comment":
            author = self.analysts.get(self.reporters[seq], operator) if step.by_reporter else operator
            incidents.comment(s, author, reference, step.text, internal=step.internal and author is operator)
        elif step.action == "merge":
            incidents.merge(s, operator, reference, self.references[step.into], step.text)
        else:
            raise ValueError(f"unknown simulated action {step.action!r}")


class _Clock:
    """Gives what the services write during one simulated action that action's time."""

    STAMPS = ("reported_at", "created_at", "updated_at", "acknowledged_at", "resolved_at", "closed_at")

    def __init__(self, session: Session):
        self.session = session
        self.at: datetime | None = None
        self.started: datetime | None = None
        self.touched: set[int] = set()
        event.listen(session, "before_flush", self._backdate_rows)

    def close(self) -> None:
        event.remove(self.session, "before_flush", self._backdate_rows)

    @contextmanager
    def backdated(self, at: datetime, *, links: bool = False) -> Iterator[None]:
        """Run the block as if the clock read ``at``; ``links`` when it may link indicators.

        The services stamp with the real clock. Any timestamp they set inside
        the block is at or after ``started``, while every simulated time is
        before it, so exactly those are rewritten: ORM rows just before they
        are flushed, indicator links (written with Core statements) after.
        This is the one place demo data is written directly. Audit events keep
        their real time: the audit log is append-only.
        """
        self.at, self.started = at, utcnow()
        self.touched.clear()
        try:
            yield
            self.session.flush()
            if links and self.touched:
                self.session.execute(
                    update(IncidentIndicator)
                    .where(IncidentIndicator.incident_id.in_(self.touched), IncidentIndicator.added_at >= self.started)
                    .values(added_at=at)
                    .execution_options(synchronize_session=False)
                )
        finally:
            self.at = self.started = None

    def _backdate_rows(self, session: Session, _context, _instances) -> None:
        if self.at is None:
            return
        for row in (*session.new, *session.dirty):
            if isinstance(row, TimelineEntry):
                row.at = self.at
                self.touched.add(row.incident_id)
            elif isinstance(row, RiskIncident):
                row.linked_at = self.at
            elif isinstance(row, Incident):
                for name in self.STAMPS:
                    value = getattr(row, name)
                    if value is not None and value >= self.started:
                        setattr(row, name, self.at)


def _report(session: Session, **register) -> DemoReport:
    demo = Incident.source_channel == CHANNEL
    rows = session.execute(select(Incident.status, func.count()).where(demo).group_by(Incident.status))
    by_status = Counter({status: n for status, n in rows})
    first, last, total, sectors = session.execute(
        select(func.min(Incident.reported_at), func.max(Incident.reported_at), func.count(),
               func.count(Incident.sector_id.distinct())).where(demo)
    ).one()
    ordered = {str(status): by_status[status] for status in Status if by_status[status]}
    return DemoReport(skipped=False, incidents=total, by_status=ordered, sectors=sectors, first=first, last=last,
                      **register)
