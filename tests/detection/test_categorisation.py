"""The categoriser on intake: suggestions, an operator's decision, the playbook facts, retraining
from corrections, and the app without a model."""

from __future__ import annotations

from sqlalchemy import func, select

from detection import categorisation, categoriser, modelstore, training
from ncert.db import transaction, utcnow
from ncert.models import AuditEvent, CategorySuggestion, Incident, StoredModel, TimelineEntry
from ncert.records import Category
from ncert.services import incidents, playbook_runs, rollups
from tests.services.test_rollups import counted_rows

PHISHING = "Phishing e-mails imitating the national post ask recipients to pay a customs fee with their card"


def _incident(world, reference: str) -> tuple[Incident, CategorySuggestion | None]:
    with world.runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == reference))
        s.expunge(incident)
        row = s.get(CategorySuggestion, incident.id)
        if row is not None:
            s.expunge(row)
        return incident, row


def test_a_report_without_a_category_gets_both_suggestions_and_a_timeline_entry(world, categorisers):
    gridco = world.actor("analyst@gridco.test")
    ref = world.submit(gridco, title="Phishing wave", description=PHISHING)
    incident, row = _incident(world, ref)
    assert (row.reporter_class, row.national_class) == ("fraud", "fraud")
    assert row.reporter_model == "categoriser-reporter/v1" and row.national_model == "categoriser-national/v1"
    assert 0 < row.reporter_confidence <= 1 and row.decision is None
    assert row.applied is (row.reporter_confidence >= 0.3)
    assert incident.category == (f"{row.reporter_class}/{row.reporter_type}" if row.applied else "other/undetermined")
    with world.runtime.sessions() as s:
        entries = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                        TimelineEntry.kind == "category-suggestion")).all()
        assert sorted((e.internal, e.details["model_version"]) for e in entries) == [
            (False, "categoriser-reporter/v1"), (True, "categoriser-national/v1")]


def test_each_language_is_categorised(world, categorisers):
    gridco = world.actor("analyst@gridco.test")
    reports = {
        "az": "Bankın onlayn xidmətlərinə güclü DDoS hücumu, saytlar əlçatmaz olub",
        "ru": "Массовая DDoS-атака на сайты банка, сервисы недоступны",
        "en": "A DDoS attack made the online banking unreachable for hours",
    }
    for language, text in reports.items():
        assert categoriser.language_of(text) == language
        _, row = _incident(world, world.submit(gridco, title=text[:60], description=text))
        assert row.reporter_class == "availability", language


def test_a_burst_categorised_at_once_gets_what_each_report_gets_alone(world, categorisers):
    """``suggest_many`` (each model run once over a batch) suggests, applies and notes exactly what
    intake's one-report hook did for the same reports."""
    gridco = world.actor("analyst@gridco.test")
    texts = [PHISHING, "Massive DDoS against the bank's web services", "Ransomware encrypted the file server",
             "Port scan from abroad against the mail gateway"]
    alone = [_incident(world, world.submit(gridco, title=t[:40], description=t)) for t in texts]
    categorisation.uninstall(world.runtime)  # the burst arrives uncategorised, then is categorised at once
    refs = [world.submit(gridco, title=t[:40], description=t) for t in texts]
    with transaction(world.runtime.sessions) as s:
        batch = list(s.scalars(select(Incident).where(Incident.reference.in_(refs)).order_by(Incident.id)))
        made = categorisation.suggest_many(s, world.operator, batch, 0.3)
        assert made == [i.id for i in batch]
    def outcome(pair):
        incident, row = pair
        return (incident.category, row.applied, row.reporter_class, row.reporter_type, row.national_class,
                row.national_type, round(row.reporter_confidence, 9), round(row.national_confidence, 9))
    assert [outcome(_incident(world, ref)) for ref in refs] == [outcome(pair) for pair in alone]
    with world.runtime.sessions() as s:
        notes = s.scalar(select(func.count()).select_from(TimelineEntry).join(Incident)
                         .where(Incident.reference.in_(refs), TimelineEntry.kind == "category-suggestion"))
    assert notes == 2 * len(refs)


def test_a_burst_categorised_at_once_keeps_the_rollups_the_times_and_one_audit_event_a_report(world, categorisers):
    """The burst's categories and change times are written past the ORM (``incidents.update_many``):
    the rollups still equal a recount, the reporter sees the change, and each suggestion is one
    audit event holding both models' answers."""
    gridco = world.actor("analyst@gridco.test")
    categorisation.uninstall(world.runtime)
    refs = [world.submit(gridco, title=t[:40], description=t) for t in
            (PHISHING, "Massive DDoS against the bank's web services", "Ransomware encrypted the file server")]
    started = utcnow()
    with transaction(world.runtime.sessions) as s:
        batch = list(s.scalars(select(Incident).where(Incident.reference.in_(refs)).order_by(Incident.id)))
        categorisation.suggest_many(s, world.operator, batch, 0.3)
        held = {i.reference: (i.category, i.updated_at, i.shared_updated_at) for i in batch}
    with world.runtime.sessions() as s:
        kept = counted_rows(s)
        stored = {i.reference: (i.category, i.updated_at, i.shared_updated_at)
                  for i in s.scalars(select(Incident).where(Incident.reference.in_(refs)))}
        events = s.execute(select(AuditEvent.object_id, AuditEvent.action, AuditEvent.details)
                           .where(AuditEvent.object_id.in_(refs), AuditEvent.action.like("incident.category%"))).all()
    assert stored == held  # what the session's objects said is what was written
    assert {category for category, _, _ in stored.values()} != {"other/undetermined"}  # some were applied
    assert all(updated >= started and shared == updated for _, updated, shared in stored.values())
    with transaction(world.runtime.sessions) as s:
        rollups.rebuild(s, world.operator)
    with world.runtime.sessions() as s:
        assert counted_rows(s) == kept
    assert sorted(ref for ref, _, _ in events) == sorted(refs)
    for ref, action, details in events:
        incident, row = _incident(world, ref)
        assert action == "incident.category-suggest"
        assert details["suggested"] == f"{row.national_class}/{row.national_type}"
        assert details["reporter"] == {"suggested": f"{row.reporter_class}/{row.reporter_type}",
                                       "confidence": row.reporter_confidence, "model_version": row.reporter_model,
                                       "applied": row.applied}


def test_a_report_with_a_category_gets_no_suggestion(world, categorisers):
    ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING,
                       category={"class": "fraud", "type": "phishing"})
    assert _incident(world, ref)[1] is None


def test_without_an_active_model_intake_works_on_rules_alone(world):
    categorisation.install(world.runtime, threshold=0.3)
    try:
        ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING)
    finally:
        categorisation.uninstall(world.runtime)
    incident, row = _incident(world, ref)
    assert row is None and incident.category == "other/undetermined"


def test_an_operator_accepts_or_corrects_in_one_step_and_playbooks_see_it(world, categorisers):
    gridco = world.actor("analyst@gridco.test")
    accepted, corrected = (world.submit(gridco, description=PHISHING) for _ in range(2))
    facts = _facts(world, [accepted, corrected])
    assert [f.category_confirmed for f in facts] == [False, False]
    with transaction(world.runtime.sessions) as s:
        categorisation.decide(s, world.operator, accepted)
        categorisation.decide(s, world.operator, corrected,
                              Category.model_validate("malicious-code/malware-distribution"))
    incident, row = _incident(world, accepted)
    assert row.decision == "accepted" and incident.category == f"{row.national_class}/{row.national_type}"
    assert row.decided_by == world.operator.label
    incident, row = _incident(world, corrected)
    assert row.decision == "corrected" and incident.category == "malicious-code/malware-distribution"
    assert [f.category_confirmed for f in _facts(world, [accepted, corrected])] == [True, True]


def test_a_category_set_by_a_plain_patch_counts_as_a_correction(world, categorisers):
    ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING)
    from ncert.records import IncidentPatch

    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, ref, IncidentPatch(status="triaged"))
    assert _incident(world, ref)[1].decision is None  # a status change decides nothing
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, ref, IncidentPatch(category="availability/outage"))
    assert _incident(world, ref)[1].decision == "corrected"


def test_a_reporter_category_is_confirmed_for_playbooks(world, categorisers):
    ref = world.submit(world.actor("analyst@gridco.test"), description=PHISHING, category="fraud/phishing")
    [fact] = _facts(world, [ref])
    assert fact.category == "fraud/phishing" and fact.category_confirmed is True


def _facts(world, references):
    with world.runtime.sessions() as s:
        batch = list(s.scalars(select(Incident).where(Incident.reference.in_(references)).order_by(Incident.id)))
        found = playbook_runs.facts_for(s, world.admin, batch, utcnow())
        return [found[i.id] for i in batch]


NOVEL = "Beacons to the zorvex kalimba relay seen from workstation {n}"


def test_retraining_learns_from_corrections_and_leaves_the_reporter_model_alone(world, categorisers):
    gridco = world.actor("analyst@gridco.test")
    refs = [world.submit(gridco, description=NOVEL.format(n=n)) for n in range(12)]
    with transaction(world.runtime.sessions) as s:
        for ref in refs:
            categorisation.decide(s, world.operator, ref, Category.model_validate("malicious-code/c2-server"))
    with transaction(world.runtime.sessions) as s:
        trained = training.train(s, "test")
        assert [t.row.name for t in trained] == ["categoriser-national"]  # the reporter model's data is unchanged
        row = trained[0].row
        assert (row.version, row.params["decided"]) == (2, 12)
        assert row.metrics["macro_f1"] >= 0 and set(row.metrics["macro_f1_by_language"]) == {"en", "az", "ru"}
        assert row.metrics["incidents"]["examples"] == sum(
            categoriser.held_out(e) for e in training.decided_examples(s))
        if not trained[0].promoted:  # worse on the held-out corpus: an admin may still promote it
            modelstore.promote(s, row, "admin")
    with transaction(world.runtime.sessions) as s:
        assert training.train(s, "test") == []  # nothing changed since
    _, row = _incident(world, world.submit(gridco, description=NOVEL.format(n=99)))
    assert (row.national_class, row.national_type) == ("malicious-code", "c2-server")
    assert row.national_model == "categoriser-national/v2" and row.reporter_model == "categoriser-reporter/v1"


def test_the_scheduler_job_trains_the_categorisers(world, categorisers):
    from ncert.scheduler import detect

    with transaction(world.runtime.sessions) as s:
        s.execute(StoredModel.__table__.delete())
    detect(world.runtime)
    with world.runtime.sessions() as s:
        rows = s.scalars(select(StoredModel).order_by(StoredModel.name)).all()
        assert [(r.name, r.status, r.data_hash) for r in rows] == [
            ("categoriser-national", "active", categorisers.data_hash),
            ("categoriser-reporter", "active", categorisers.data_hash)]
        assert all(r.training_seconds > 0 and r.metrics["macro_f1"] > 0 for r in rows)
