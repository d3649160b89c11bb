"""What an incident's detail costs, and that making it cheaper changed no byte of it.

``serialize.detail`` answers GET /incidents/<ref> and every write that returns the incident (the
REST intake's POST above all). It used to run one or two statements per indicator and a dozen
besides; it now reads each part in a bounded number of statements. Two checks:

- byte-identity: every detail answered while a rich constituency is built and read (indicators
  shared across organisations under different labels, merges, timeline with internal notes,
  tasks, requests for information, regulatory clocks, an assessment, a risk link, an anomaly
  score, a false positive, a category suggestion, external ids) is also built by
  ``reference_detail`` below, the straightforward composition of one service call per part as
  ``detail`` was written before, in the same session, and the two JSON bodies must be equal byte
  for byte, for national staff, the reporter and analysts of other organisations and sectors;
- a bound: the statements a detail runs do not grow with the incident's indicators, sightings,
  timeline, clocks or merged reports.

Statements are counted with a ``before_cursor_execute`` listener, not timed (a busy machine
would make times flaky).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from detection import anomaly, categorisation
from ncert.access import scope
from ncert.actor import Actor
from ncert.api.v1 import category_suggestions as suggestions_api
from ncert.api.v1 import incidents as incidents_api
from ncert.api.v1 import serialize
from ncert.api.v1.serialize import (
    IncidentDetail,
    IndicatorView,
    SharedWithView,
    assessment_view,
    category_suggestion_view,
    deadline,
    sighting,
    summary_fields,
    timeline_entry,
)
from ncert.clocks import REGIMES
from ncert.db import transaction, utcnow
from ncert.models import AnomalyScore, Incident, IncidentIndicator, Sector
from ncert.services import assessments, clocks, incidents, indicators, queue, rfis, risk_links, risks, tasks, teams
from ncert.services.risk_records import RiskInput
from tests.api.helpers import CALLERS, PREFIX, bearer
from tests.categoriser_models import categorisers, shipped  # noqa: F401  (fixtures)
from tests.playbooks.conftest import library  # noqa: F401  (the default library with detection)
from tests.playbooks.helpers import set_entity
from tests.sql_rows import Statements

# -- the reference: one service call per part, as detail was written before it batched its reads ---------


def reference_shared(session: Session, actor: Actor, incident: Incident, indicator_ids: list[int]
                     ) -> dict[int, indicators.SharedWith]:
    """``indicators.shared`` as it was: one bounded, scoped statement per indicator."""
    found: dict[int, indicators.SharedWith] = {}
    names: dict[int, str] = {}
    for ind_id in indicator_ids:
        stmt = (
            select(Incident.reference, Incident.sector_id)
            .join(IncidentIndicator, Incident.id == IncidentIndicator.incident_id)
            .where(IncidentIndicator.indicator_id == ind_id, Incident.id != incident.id)
            .order_by(IncidentIndicator.incident_id.desc())
            .limit(indicators.SHARED_COUNTED + 1)
        )
        rows = session.execute(scope(actor, stmt)).all()
        if not rows:
            continue
        names = names or dict(session.execute(select(Sector.id, Sector.slug)).all())
        counted = rows[:indicators.SHARED_COUNTED]
        found[ind_id] = indicators.SharedWith(tuple(ref for ref, _ in counted[:indicators.SHARED_SHOWN]),
                                              tuple(sorted({names[sector] for _, sector in counted})),
                                              len(counted), len(rows) > indicators.SHARED_COUNTED)
    return found


def reference_work(session: Session, actor: Actor, incident: Incident) -> queue.Work | None:
    """``queue.work_counts`` as it was: the tasks and the requests counted by a statement each."""
    found = tasks.counts(session, actor, [incident.id])
    asked = rfis.counts(session, actor, [incident.id])
    if incident.id not in found and incident.id not in asked:
        return None
    return queue.Work(*found.get(incident.id, (0, 0)), *asked.get(incident.id, (0, 0)))


def reference_detail(session: Session, actor: Actor, incident: Incident) -> IncidentDetail:
    now = utcnow()
    inds = indicators.facts_of(session, actor, incident)
    shared = reference_shared(session, actor, incident, [i.id for i in inds])
    by_id = {i.id: i for i in inds}
    return IncidentDetail(
        **summary_fields(actor, incident),
        work=serialize._work_view(reference_work(session, actor, incident)),
        description=incident.description,
        external_ids=incident.external_ids,
        merged=incidents.duplicates(session, actor, incident),
        indicators=[
            IndicatorView(
                type=i.type, value=i.value, confidence=i.confidence, tlp=i.tlp,
                first_seen=i.first_seen, last_seen=i.last_seen,
                warninglists=list(i.warninglists), false_positive=i.false_positive,
                shared_with=SharedWithView(
                    incidents=list(shared[i.id].references), sectors=list(shared[i.id].sectors),
                    count=shared[i.id].count, count_capped=shared[i.id].capped,
                ) if i.id in shared else SharedWithView(incidents=[], sectors=[]),
            )
            for i in inds
        ],
        sightings=[sighting(s, by_id) for s in indicators.sightings_of_incident(session, actor, incident.id)],
        timeline=[timeline_entry(e) for e in incidents.timeline(session, actor, incident)],
        deadlines=[deadline(clocks.countdown(row, now)) for row in clocks.of_incident(session, actor, incident)],
        anomaly_score=anomaly.score_for(session, actor, incident),
        assessment=assessment_view(found) if actor.is_national and (found := assessments.current(
            session, actor, incident)) else None,
        risks=[r.reference for r in risk_links.risks_of(session, actor, incident)] if actor.is_national else None,
        category_suggestion=category_suggestion_view(categorisation.of(session, actor, incident)),
    )


# -- watching every detail the API answers ----------------------------------------------------------------


@dataclass
class Answered:
    """One detail the API built: its JSON, the reference's JSON, and the statements the detail ran."""

    viewer: Actor
    reference: str
    built: str
    expected: str
    statements: list[str]


@dataclass
class Watch:
    engine: object
    answered: list[Answered] = field(default_factory=list)

    @contextmanager
    def counting(self):
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(self.engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(self.engine, "before_cursor_execute", record)

    def detail(self, session: Session, actor: Actor, incident: Incident) -> IncidentDetail:
        session.flush()  # what the intake wrote goes out first, as autoflush would send it: not the detail's cost
        with self.counting() as seen:
            built = serialize.detail(session, actor, incident)
        expected = reference_detail(session, actor, incident)  # after: it must not warm anything for detail
        self.answered.append(Answered(actor, incident.reference, built.model_dump_json(),
                                      expected.model_dump_json(), list(seen)))
        return built


@pytest.fixture
def watch(monkeypatch, runtime) -> Watch:
    """Every detail the API answers goes through ``Watch.detail`` (the views' own name for it is replaced)."""
    w = Watch(runtime.engine)
    monkeypatch.setattr(incidents_api, "detail", w.detail)
    monkeypatch.setattr(suggestions_api, "detail", w.detail)
    return w


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json
    return response.json


# -- a rich constituency ------------------------------------------------------------------------------------

CAMPAIGN_DOMAIN = "cdn-update.example"  # reported by four organisations, under AMBER, GREEN and RED
CAMPAIGN_IP = "203.0.113.20"  # by three
PHISHING = "Phishing e-mails imitating the national post ask recipients to pay a customs fee with their card"
VIEWERS = tuple(CALLERS)


def _risk(world) -> str:
    data = {"title": "Grid ransomware", "owner": {"org": "gridco", "person": "Lars Ekdahl"}, "sectors": ["energy"]}
    with transaction(world.runtime.sessions) as s:
        return risks.create(s, world.operator, RiskInput.model_validate(data)).reference


def build_constituency(api, world) -> dict[str, str]:
    """Reports of five organisations sharing values under different labels, and an incident worked in full."""
    set_entity(world, "gridco", "essential")  # the ransomware playbook starts its NIS2 clocks
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
    refs = {}
    refs["grid"] = ok(api.post("/incidents", "gridco", {
        "title": "LockBit ransomware encrypted SCADA historian servers", "tlp": "amber", "severity": 3,
        "category": "malicious-code/infected-system", "description": "Ransom note on 40 hosts.",
        "affected_sectors": ["health"], "occurred_at": "2026-01-10T08:00:00+01:00",
        "aware_at": "2026-01-10T09:30:00Z", "external_ids": {"gridco-ticket": "INC-7731", "misp": "e-42"},
        "indicators": [
            {"type": "domain-name", "value": CAMPAIGN_DOMAIN, "confidence": 70, "first_seen": "2026-01-09T00:00:00Z"},
            {"type": "ipv4-addr", "value": "198.51.100.7", "confidence": 80, "count": 3},
            {"type": "sha256", "value": "a" * 64},
            {"type": "url", "value": "https://login.phish.example/verify", "count": 1},
        ]}), 201)["reference"]
    refs["power"] = ok(api.post("/incidents", "powergen", {
        "title": "Beacon to update CDN", "tlp": "amber", "severity": 2, "category": "intrusions/system-compromise",
        "indicators": [{"type": "domain-name", "value": CAMPAIGN_DOMAIN, "confidence": 95},
                       {"type": "ipv4-addr", "value": CAMPAIGN_IP, "count": 2}]}), 201)["reference"]
    refs["bank"] = ok(api.post("/incidents", "centralbank", {
        "title": "Beacon from a teller workstation", "tlp": "green", "category": "intrusions/system-compromise",
        "indicators": [{"type": "domain-name", "value": CAMPAIGN_DOMAIN, "confidence": 40,
                        "first_seen": "2025-12-01T00:00:00Z"},
                       {"type": "ipv4-addr", "value": CAMPAIGN_IP}]}), 201)["reference"]
    refs["hospital"] = ok(api.post("/incidents", "operator", {
        "title": "Phone report: beacon on a ward PC", "reporter_org": "cityhospital", "tlp": "TLP:RED",
        "indicators": [{"type": "domain-name", "value": CAMPAIGN_DOMAIN}]}), 201)["reference"]
    refs["duplicate"] = ok(api.post("/incidents", "gridco", {
        "title": "Historian servers encrypted", "tlp": "green",
        "indicators": [{"type": "ipv4-addr", "value": CAMPAIGN_IP, "confidence": 60},
                       {"type": "email-addr", "value": "ransom@mail.example", "count": 1}]}), 201)["reference"]
    refs["phish"] = ok(api.post("/incidents", "gridco", {
        "title": "Customs fee phishing", "description": PHISHING, "tlp": "clear",
        "indicators": [{"type": "email-addr", "value": "billing@post-fees.example"}]}), 201)["reference"]

    grid = refs["grid"]
    ok(api.patch(f"/incidents/{grid}", "operator", {"status": "triaged", "assignee": "operator2@ncert.test",
                                                     "team": "ot-desk", "communicated_severity": 2}))
    ok(api.post(f"/incidents/{grid}/comments", "gridco", {"body": "Backups are offline too."}), 201)
    ok(api.post(f"/incidents/{grid}/comments", "operator", {"body": "Same actor as last year?", "internal": True}),
       201)
    ok(api.post(f"/incidents/{refs['duplicate']}/merge", "operator", {"into": grid, "reason": "same event"}))
    ok(api.post(f"/incidents/{grid}/tasks", "operator", {"title": "Image the HMI", "due_at": "2020-01-01T00:00:00Z"}),
       201)
    ok(api.post(f"/incidents/{grid}/tasks", "operator", {"title": "Call the regulator", "mandatory": True}), 201)
    ok(api.post(f"/incidents/{grid}/rfis", "operator", {"org": "gridco", "title": "Firewall logs",
                                                         "question": "Which rules matched?",
                                                         "due_at": "2020-01-02T00:00:00Z"}), 201)
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == grid))
        clocks.start(s, incident, REGIMES["nis2"], utcnow() - timedelta(hours=30))
        clocks.start(s, incident, REGIMES["crisis-status"], utcnow() - timedelta(hours=2), internal=True)
        s.merge(AnomalyScore(incident_id=incident.id, score=0.875, model_version="test/1", scored_at=utcnow()))
    ok(api.post(f"/incidents/{grid}/deadlines/received", "operator", {"regime": "nis2", "stage": "early-warning"}))
    ok(api.client.put(f"{PREFIX}/incidents/{grid}/assessment", headers=bearer(api.key("operator")),
                      json={"functional_impact": "denial-of-critical-services",
                            "information_impact": "destruction-of-critical-system",
                            "recoverability": "not-recoverable", "observed_activity": "effect",
                            "potential_impact": "severe", "rationale": "two substations down"}))
    ok(api.post(f"/incidents/{grid}/risks/{_risk(world)}", "operator"), 201)
    ok(api.post(f"/indicators/ipv4-addr/{CAMPAIGN_IP}/false-positive", "operator", {"reason": "a sinkhole"}))
    ok(api.post(f"/incidents/{refs['phish']}/category-decision", "operator", {}))
    ok(api.post(f"/incidents/{refs['power']}/triage", "operator", {"status": "triaged", "reason": "seen before"}))
    return refs


@pytest.mark.usefixtures("library", "categorisers")
def test_every_detail_is_byte_for_byte_the_reference(api, world, watch):
    refs = build_constituency(api, world)
    for who in VIEWERS:
        for ref in refs.values():
            response = api.get(f"/incidents/{ref}", who)
            assert response.status_code in (200, 404), response.json

    assert len(watch.answered) >= 40  # 11 writes answered with the incident, 30 reads
    for answer in watch.answered:
        assert answer.built == answer.expected, (answer.reference, answer.viewer)

    # The constituency is as rich as it claims, and each viewer's scope shows in it.
    grid = {"national" if a.viewer.is_national else a.viewer.org_id: a.built
            for a in watch.answered if a.reference == refs["grid"]}
    national, reporter = (IncidentDetail.model_validate_json(grid[k]) for k in ("national", world.orgs["gridco"]))
    assert national.merged == reporter.merged == [refs["duplicate"]]
    assert national.work and national.work.overdue_tasks >= 1 and national.work.overdue_rfis >= 1
    assert reporter.work and (reporter.work.open_tasks, reporter.work.overdue_rfis) == (0, 1)
    assert national.assessment and national.risks and national.anomaly_score == 0.875
    assert reporter.assessment is None and reporter.risks is None and reporter.anomaly_score is None
    assert national.deadlines and any(d.received_at for d in national.deadlines)
    assert len(national.timeline) > len(reporter.timeline) and national.sightings
    domain = {i.value: i for i in national.indicators}[CAMPAIGN_DOMAIN].shared_with
    assert set(domain.incidents) == {refs["power"], refs["bank"], refs["hospital"]}
    mine = {i.value: i for i in reporter.indicators}
    assert mine[CAMPAIGN_DOMAIN].shared_with.incidents == [refs["bank"]]  # powergen's AMBER and the RED one: hidden
    # The merged duplicate's values are listed too; its other carriers as far as gridco may see them.
    assert mine[CAMPAIGN_IP].false_positive and mine[CAMPAIGN_IP].shared_with.incidents == [
        refs["duplicate"], refs["bank"]]
    assert reporter.external_ids == {"gridco-ticket": "INC-7731", "misp": "e-42"}
    phish = [a for a in watch.answered if a.reference == refs["phish"]]
    assert any(IncidentDetail.model_validate_json(a.built).category_suggestion for a in phish)
    seen_by = {(a.reference, a.viewer.org_id) for a in watch.answered}
    partner = world.orgs["partner-cert"]
    assert (refs["bank"], partner) not in seen_by and (refs["phish"], partner) in seen_by  # GREEN stays home


# -- the bound --------------------------------------------------------------------------------------------

# National staff read three more parts (assessment, risks, anomaly score) than an organisation.
NATIONAL_BOUND = 11
ORGANISATION_BOUND = 8


def _report(n: int, size: int) -> dict:
    """A report with ``size`` indicators, a third of them carried by other reports too."""
    values = [{"type": "ipv4-addr", "value": f"198.51.{100 + k % 3}.{k + 1}", "count": 1 + k % 2}
              if k % 3 else {"type": "domain-name", "value": f"campaign-{k}.example"} for k in range(size)]
    return {"title": f"Report {n}", "tlp": "green", "category": "malicious-code/infected-system",
            "external_ids": {"ticket": f"T-{n}"}, "indicators": values}


def _grow(api, world, ref: str) -> None:
    """More of everything the detail lists: comments, notes, clocks, merged reports."""
    for k in range(12):
        ok(api.post(f"/incidents/{ref}/comments", "operator" if k % 2 else "gridco",
                    {"body": f"note {k}", "internal": bool(k % 2)}), 201)
    for k in range(3):
        dup = ok(api.post("/incidents", "powergen", _report(100 + k, 4)), 201)["reference"]
        ok(api.post(f"/incidents/{dup}/merge", "operator", {"into": ref}))
    ok(api.post(f"/incidents/{ref}/tasks", "operator", {"title": "Image the HMI"}), 201)
    with transaction(world.runtime.sessions) as s:
        clocks.start(s, s.scalar(select(Incident).where(Incident.reference == ref)), REGIMES["nis2"],
                     utcnow() - timedelta(hours=3))


@pytest.mark.usefixtures("library")
def test_a_detail_runs_as_many_statements_for_a_large_incident_as_for_a_small_one(api, world, watch):
    for n in range(3):  # others carry some of the values, so shared_with has something to count
        ok(api.post("/incidents", "centralbank" if n % 2 else "powergen", _report(n, 9)), 201)
    small = ok(api.post("/incidents", "gridco", _report(10, 1)), 201)["reference"]
    large = ok(api.post("/incidents", "gridco", _report(11, 30)), 201)["reference"]
    _grow(api, world, large)

    def statements(ref: str, who: str) -> int:
        watch.answered.clear()
        ok(api.get(f"/incidents/{ref}", who))
        (answer,) = watch.answered
        assert answer.built == answer.expected
        return len(answer.statements)

    for who in ("operator", "gridco", "centralbank"):
        assert statements(large, who) == statements(small, who), who
    assert statements(large, "operator") <= NATIONAL_BOUND
    assert statements(large, "gridco") <= ORGANISATION_BOUND



@pytest.mark.usefixtures("library")
def test_the_intakes_answer_reads_no_more_than_a_detail(api, world, watch):
    ok(api.post("/incidents", "powergen", _report(0, 9)), 201)
    watch.answered.clear()
    ok(api.post("/incidents", "gridco", _report(1, 6)), 201)
    (answer,) = watch.answered
    assert answer.built == answer.expected
    assert len(answer.statements) <= ORGANISATION_BOUND, answer.statements


NO_SEQSCAN = "enable_seqscan = off"


@pytest.mark.parametrize("who", ["operator@ncert.test", "analyst@gridco.test"])
def test_every_values_also_in_list_is_read_in_one_statement_along_the_index(world, who):
    gridco, powergen = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
    values = [{"type": "ipv4-addr", "value": f"203.0.113.{k}"} for k in range(1, 6)]
    mine = world.submit(gridco, title="Mine", tlp="TLP:GREEN", indicators=values + [
        {"type": "domain-name", "value": "only-mine.example"}])
    theirs = [world.submit(powergen, title=f"Theirs {k}", tlp="TLP:GREEN", indicators=values[k:]) for k in range(3)]
    hidden = world.submit(powergen, title="Theirs, AMBER", tlp="TLP:AMBER", indicators=values)
    actor = world.actor(who)

    statements = Statements(world.runtime.engine)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, actor, mine)
        facts = indicators.facts_of(s, actor, inc)
        with statements.recording():
            found = indicators.shared(s, actor, inc, [f.id for f in facts])
        expected = reference_shared(s, actor, inc, [f.id for f in facts])
    assert found == expected
    first = {f.value: found[f.id] for f in facts if f.id in found}["203.0.113.1"]
    visible = [hidden, theirs[0]] if actor.is_national else [theirs[0]]
    assert (first.references, first.count) == (tuple(visible), len(visible))
    assert len(statements.seen) == 1
    plan = statements.plan(0, NO_SEQSCAN)
    # One bounded walk of the indicator index per value (six branches), never a scan of the links.
    assert plan.count("ix_incident_indicators_indicator") == len(facts), plan
    assert "SCAN incident_indicators" not in plan and "Seq Scan on incident_indicators" not in plan, plan
