"""The engine: idempotent firing, timeline and audit, the update trigger,
notifications through local SMTP and HTTP sinks, and the dry run."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import func, select

from ncert import outbox
from ncert.cli import Context, main
from ncert.db import transaction, utcnow
from ncert.models import AuditEvent, Incident, Notification, PlaybookFiring, Task
from ncert.records import IncidentPatch
from ncert.services import directory, incidents, rfis, tasks
from playbooks import engine
from playbooks.loader import load_library
from tests.playbooks.helpers import look, set_entity, table_counts
from tests.playbooks.sinks import HttpSink, SmtpSink
from tests.playbooks.test_library import RANSOMWARE


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model))


def test_firing_is_recorded_and_rerunning_is_a_no_op(world, library):
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    with transaction(world.runtime.sessions) as s:
        before = (_count(s, PlaybookFiring), _count(s, Task))
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        actor = directory.system_actor(s, "national-cert", "test")
        outcome = engine.run(s, actor, "incident.updated", incident, library)
        assert outcome.fired == []
        assert (_count(s, PlaybookFiring), _count(s, Task)) == before
    with look(world, ref) as it:
        [note] = it.notes()
        assert note.internal and "ransomware-essential-entity v1" in note.body
        assert note.details["playbook"] == "ransomware-essential-entity" and note.details["version"] == 1
        audit = it.s.scalar(select(AuditEvent).where(AuditEvent.action == "playbook.fire",
                                                     AuditEvent.object_id == ref))
        assert audit.details["playbook"] == "ransomware-essential-entity" and audit.details["version"] == 1
        severity = it.s.scalar(select(AuditEvent).where(AuditEvent.action == "incident.severity",
                                                        AuditEvent.object_id == ref))
        assert severity.details["reason"] == "Playbook ransomware-essential-entity v1"


def test_operator_raising_severity_fires_the_update_trigger(world, library):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    with look(world, ref) as it:
        assert it.fired() == set()
    with transaction(world.runtime.sessions) as s:
        incidents.update_fields(s, world.operator, ref, IncidentPatch(severity=4, reason="grid impact"))
    with look(world, ref) as it:
        assert it.fired() == {"crisis-mode"}


def test_the_reporter_sees_only_requests_for_information(world, library):
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    with world.runtime.sessions() as s:
        reporter, other = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
        incident = incidents.get(s, reporter, ref)
        assert [r.title for r in rfis.of_incident(s, reporter, incident)] == ["NIS2 early warning details"]
        assert tasks.of_incident(s, reporter, incident) == []
        assert rfis.of_incident(s, other, incident) == tasks.of_incident(s, other, incident) == []
        assert len(tasks.of_incident(s, world.operator, incident)) == 5
        assert len(rfis.of_incident(s, world.operator, incident)) == 1


def test_crisis_mode_emails_duty_officer_and_leadership(world, library, monkeypatch):
    with SmtpSink() as smtp:
        monkeypatch.setenv("NCERT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NCERT_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("NCERT_SMTP_FROM", "soc@ncert.test")
        ref = world.submit(world.operator, reporter_org="gridco", severity=5, title="Nationwide grid failure")
        assert smtp.messages == []  # queued in the transaction, sent after commit by the outbox
        assert outbox.deliver_due(world.runtime) == 1
    [(rcpt, message)] = smtp.messages
    assert rcpt == ["duty-officer@ncert.example", "leader@ncert.test"]
    assert message["From"] == "soc@ncert.test"
    assert message["Subject"] == f"CRISIS MODE [{ref}] severity 5: Nationwide grid failure"
    assert "Crisis mode is on" in message.get_payload()
    with world.runtime.sessions() as s:
        assert s.scalar(select(Notification.status)) == "sent"


def test_webhook_notification_reaches_the_endpoint(world, tmp_path, monkeypatch):
    monkeypatch.setenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")  # the sink is local: allowed on purpose
    with HttpSink() as http:
        (tmp_path / "hook.yaml").write_text(f"""
name: hook-every-report
version: 2
triggers: [incident.created]
actions:
  - {{type: notify, channel: webhook, url: "{http.url}/soc", template: "New {{reference}} from {{reporter}}"}}
""")
        engine.install(world.runtime, tmp_path)
        try:
            ref = world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
        finally:
            engine.uninstall(world.runtime)
        outbox.deliver_due(world.runtime)
    [(path, body)] = http.requests
    assert path == "/soc"
    assert body["incident"] == ref and body["playbook"] == "hook-every-report" and body["version"] == 2
    assert body["text"] == f"New {ref} from GridCo Transmission"


def test_failed_delivery_is_recorded_not_raised(world, tmp_path, monkeypatch):
    monkeypatch.setenv("NCERT_WEBHOOK_TIMEOUT", "2")
    monkeypatch.setenv("NCERT_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")  # fails for want of a listener, not policy
    with HttpSink() as http:
        closed = http.url  # nothing listens there once the sink is gone
    (tmp_path / "hook.yaml").write_text(f"""
name: hook
version: 1
triggers: [incident.created]
actions: [{{type: notify, channel: webhook, url: "{closed}/x", template: t}}]
""")
    engine.install(world.runtime, tmp_path)
    try:
        world.submit(world.actor("analyst@gridco.test"), title="Odd logins")
    finally:
        engine.uninstall(world.runtime)
    assert outbox.deliver_due(world.runtime) == 1
    with world.runtime.sessions() as s:  # retried later (tests/test_outbox.py), the error shown meanwhile
        note = s.scalar(select(Notification))
        assert note.status == "pending" and note.error.startswith("ConnectionRefusedError")
    later = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        later += outbox.BACKOFF_CAP
        assert outbox.deliver_due(world.runtime, now=later) == 1
    with world.runtime.sessions() as s:
        note = s.scalar(select(Notification))
        assert note.status == "failed" and note.error.startswith("ConnectionRefusedError")


def test_dry_run_reports_and_changes_nothing(world):
    set_entity(world, "gridco", "essential")
    hit = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    world.submit(world.actor("analyst@powergen.test"), **RANSOMWARE)  # not essential
    book = next(b for b in load_library(engine.DEFAULT_LIBRARY) if b.name == "ransomware-essential-entity")
    before = table_counts(world)
    with world.runtime.sessions() as s:
        outcomes = engine.dry_run(s, world.operator, book, timedelta(days=90))
        s.commit()
    assert table_counts(world) == before
    assert [o.reference for o in outcomes] == [hit]
    assert "start clock nis2" in outcomes[0].fired[0][2]


def test_cli_lists_the_library_and_dry_runs(world, runtime):
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    env = {"NCERT_DATABASE_URL": runtime.settings.database_url, "NCERT_DATA_DIR": runtime.settings.data_dir.as_posix()}
    listed = CliRunner().invoke(main, ["playbooks", "list"], env=env, obj=Context())
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0].split("\t")[:3] == ["5", "cross-sector-indicator", "v1"]
    ctx = Context()
    try:
        before = table_counts(world)
        result = CliRunner().invoke(main, ["playbooks", "dry-run", "ransomware-essential-entity", "--since", "90d"],
                                    env=env, obj=ctx)
    finally:
        ctx._runtime and ctx._runtime.engine.dispose()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{ref}\traise severity to at least 3")
    assert table_counts(world) == before

