"""Requests for information: asked of an organisation that sees the incident, e-mailed to its
analysts, seen by it and national staff only, answered with text and files, overdue past the due
date (noted once by the clock check), withdrawn by operators; playbook requests name only what
the addressee sees."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.db import transaction, utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import Incident, Notification, Rfi, TimelineEntry
from ncert.services import incidents, rfis
from ncert.services.rfis import RfiDraft, Upload
from playbooks import engine
from playbooks.loader import PlaybookError, parse_playbook
from playbooks.schema import RequestInformation

GRIDCO, POWERGEN = "analyst@gridco.test", "analyst@powergen.test"
MAX = 1000


@pytest.fixture
def ref(world):
    return world.submit(world.actor(GRIDCO), title="Wiper on HMI", tlp="TLP:AMBER")


def _ask(world, ref, actor=None, **fields):
    fields = {"org": "gridco", "title": "Firewall logs", "question": "Which rules dropped the traffic?", **fields}
    with transaction(world.runtime.sessions) as s:
        return rfis.ask(s, actor or world.operator, ref, RfiDraft(**fields)).id


def _answer(world, rfi_id, actor, text="Rules 12 and 14", files=()):
    with transaction(world.runtime.sessions) as s:
        return rfis.answer(s, actor, rfi_id, text, list(files), max_bytes=MAX).id


def _seen(world, ref, who):
    actor = world.actor(who) if isinstance(who, str) else who
    with world.runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        return [(r.title, rfis.state_of(r)) for r in rfis.of_incident(s, actor, incident)]


def test_asked_of_the_reporter_seen_by_it_and_the_centre_only_and_emailed(world, ref, monkeypatch):
    monkeypatch.setenv("NCERT_SMTP_HOST", "127.0.0.1")
    _ask(world, ref, due_at=utcnow() + timedelta(days=1))
    assert _seen(world, ref, GRIDCO) == _seen(world, ref, world.operator) == [("Firewall logs", "open")]
    assert _seen(world, ref, POWERGEN) == []
    with world.runtime.sessions() as s:
        note = s.scalars(select(Notification)).one()
        assert note.target == GRIDCO and "Which rules dropped the traffic?" in note.body
        entry = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "rfi")).one()
        assert entry.internal and entry.body == "Information requested from GridCo Transmission: Firewall logs"


def test_only_an_organisation_that_sees_the_incident_is_asked(world, ref):
    with pytest.raises(Invalid, match="does not see"):
        _ask(world, ref, org="powergen")  # TLP:AMBER of gridco's
    with pytest.raises(Invalid, match="does not ask itself"):
        _ask(world, ref, org="national-cert")
    with pytest.raises(Invalid, match="no organisation"):
        _ask(world, ref, org="nope")
    with pytest.raises(Forbidden):
        _ask(world, ref, actor=world.actor(GRIDCO))
    clear = world.submit(world.actor(GRIDCO), title="Scan", tlp="TLP:CLEAR")
    _ask(world, clear, org="powergen")
    assert _seen(world, clear, POWERGEN) == [("Firewall logs", "open")]
    assert _seen(world, clear, GRIDCO) == []  # asked of powergen, not of the reporter


def test_answered_with_text_and_files_seen_by_operators_on_the_timeline(world, ref):
    rfi_id = _ask(world, ref)
    gridco = world.actor(GRIDCO)
    with pytest.raises(Forbidden):
        _answer(world, rfi_id, world.operator)
    with pytest.raises(NotFound):
        _answer(world, rfi_id, world.actor(POWERGEN))
    with pytest.raises(Invalid, match="at most 1000 bytes"):
        _answer(world, rfi_id, gridco, files=[Upload("big.bin", "application/octet-stream", b"x" * (MAX + 1))])
    with pytest.raises(Invalid, match="needs text or a file"):
        _answer(world, rfi_id, gridco, text="  ")
    _answer(world, rfi_id, gridco, files=[Upload("../../fw.log", "text/plain", b"drop 10.0.0.1")])
    _answer(world, rfi_id, gridco, text="And rule 15")
    with world.runtime.sessions() as s:
        rfi = rfis.get(s, world.operator, rfi_id)
        assert rfis.state_of(rfi) == "answered" and rfi.answered_at is not None
        assert [a.text for a in rfi.answers] == ["Rules 12 and 14", "And rule 15"]
        (file,) = rfi.answers[0].attachments
        assert (file.filename, file.size, rfis.attachment(s, gridco, file.id).data) == ("fw.log", 13, b"drop 10.0.0.1")
        with pytest.raises(NotFound):
            rfis.attachment(s, world.actor(POWERGEN), file.id)
        bodies = [e.body for e in incidents.timeline(s, world.operator, incidents.get(s, world.operator, ref))
                  if e.kind == "rfi"]
        assert bodies[1:] == ["GridCo Transmission answered “Firewall logs”: Rules 12 and 14 [files: fw.log]",
                              "GridCo Transmission answered “Firewall logs”: And rule 15"]
        assert not [e for e in incidents.timeline(s, gridco, incidents.get(s, gridco, ref)) if e.kind == "rfi"]


def test_overdue_past_the_due_date_noted_once_and_withdrawn(world, ref):
    rfi_id = _ask(world, ref, due_at=utcnow() - timedelta(minutes=5))
    assert _seen(world, ref, GRIDCO) == [("Firewall logs", "overdue")]
    with transaction(world.runtime.sessions) as s:  # the scheduler's minute clock check notes it once
        engine.check_deadlines(s, library=[], actor=world.operator)
        assert rfis.note_overdue(s, world.operator) == []
        notes = [e.body for e in s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "rfi"))]
        assert sum("is overdue" in body for body in notes) == 1
    with transaction(world.runtime.sessions) as s:
        rfis.withdraw(s, world.operator, rfi_id, "found it ourselves")
    assert _seen(world, ref, GRIDCO) == [("Firewall logs", "withdrawn")]
    with pytest.raises(Conflict):
        _answer(world, rfi_id, world.actor(GRIDCO))
    with world.runtime.sessions() as s:
        assert s.get(Rfi, rfi_id).withdrawn_by == "operator@ncert.test"


def test_a_playbook_request_may_name_only_what_the_addressee_sees():
    text = """
name: ask
version: 1
description: d
triggers: [incident.created]
actions:
  - type: request_information
    text: "Seen in {sectors_sharing_indicator} sectors"
"""
    with pytest.raises(PlaybookError, match="sectors_sharing_indicator"):
        parse_playbook(text)
    with pytest.raises(PlaybookError, match="anomaly_score"):
        parse_playbook(text.replace("{sectors_sharing_indicator} sectors", "{title} scored {anomaly_score}"))
    book = parse_playbook(text.replace("Seen in {sectors_sharing_indicator} sectors",
                                       "{reference} {title} {severity} {tlp} {reporter}"))
    assert book.actions == (RequestInformation("{reference} {title} {severity} {tlp} {reporter}"),)


def test_a_playbook_request_renders_the_told_severity_and_nothing_national(world, ref):
    book = parse_playbook("name: ask\nversion: 1\ndescription: d\ntriggers: [incident.created]\nactions:\n"
                          "  - type: request_information\n    text: x\n")
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        incident.severity, incident.communicated_severity = 4, 1
        # A template that bypassed the loader still gets no national value.
        text = engine.render_for_addressee("{reference}: {severity}/{sectors_sharing_indicator}/{anomaly_score}",
                                           incident, book)
    assert text == f"{ref}: 1/{{sectors_sharing_indicator}}/{{anomaly_score}}"
