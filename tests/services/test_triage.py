"""Triage in one step: every field with one reason, one transaction and one timeline entry
(per audience: the national severity stays an internal note); a refusal writes nothing."""

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import AuditEvent, Incident, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import incidents, teams, triage
from ncert.taxonomy import Status


@pytest.fixture
def ref(world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
    return world.submit(world.actor("analyst@gridco.test"), title="Wiper on HMI", tlp="TLP:AMBER", severity=2,
                        category="malicious-code/infected-system")


def _counts(world):
    with world.runtime.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (TimelineEntry, AuditEvent))


def _triage(world, ref, actor=None, **fields):
    with transaction(world.runtime.sessions) as s:
        done = triage.triage(s, actor or world.operator, ref, IncidentPatch(**fields))
        return [(e.kind, e.body, e.internal) for e in done.entries]


def test_every_field_in_one_shared_entry_with_one_reason(world, ref):
    before = _counts(world)
    entries = _triage(world, ref, status="triaged", category="fraud/phishing", communicated_severity=3,
                      tlp="TLP:GREEN", team="ot-desk", assignee="operator2@ncert.test", reason="confirmed by phone")
    assert entries == [("triage", "Status new → triaged; Assigned to operator2@ncert.test; Team → ot-desk; "
                                  "Category malicious-code/infected-system → fraud/phishing; The national centre "
                                  "set the severity 2 → 3; TLP TLP:AMBER → TLP:GREEN. Reason: confirmed by phone",
                        False)]
    assert _counts(world) == (before[0] + 1, before[1] + 1)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        assert (inc.status, inc.category, inc.communicated_severity, str(inc.tlp), inc.team.slug,
                inc.assignee.email) == (Status.TRIAGED, "fraud/phishing", 3, "TLP:GREEN", "ot-desk",
                                        "operator2@ncert.test")
        audit = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert audit.action == "incident.triage" and audit.details["reason"] == "confirmed by phone"
        assert [c["action"] for c in audit.details["changes"]] == [
            "incident.status", "incident.assign", "incident.team", "incident.categorise",
            "incident.communicated-severity", "incident.tlp"]


def test_the_national_severity_stays_internal(world, ref):
    entries = _triage(world, ref, status="triaged", severity=4, reason="grid impact")
    assert entries == [("triage", "Status new → triaged. Reason: grid impact", False),
                       ("triage", "Severity 2 → 4. Reason: grid impact", True)]
    with world.runtime.sessions() as s:
        reporter = world.actor("analyst@gridco.test")
        shown = [e.body for e in incidents.timeline(s, reporter, incidents.get(s, reporter, ref))]
        assert shown[-1] == "Status new → triaged. Reason: grid impact" and "Severity 2 → 4" not in str(shown)


def test_the_current_status_and_unchanged_fields_are_no_change(world, ref):
    before = _counts(world)
    assert _triage(world, ref, status="new", tlp="TLP:AMBER", severity=2) == []
    assert _counts(world) == before


def test_any_colleague_can_be_assigned_but_not_a_reporter(world, ref):
    _triage(world, ref, assignee="admin@ncert.test")
    before = _counts(world)
    with pytest.raises(Invalid, match="not an active SOC operator"):
        _triage(world, ref, assignee="analyst@gridco.test", status="triaged")
    assert _counts(world) == before


@pytest.mark.parametrize(("fields", "error", "message"), [
    ({"status": "closed", "team": "ot-desk"}, None, None),  # allowed: a sanity row for the next ones
    ({"team": "ot-desk", "status": "merged"}, Conflict, "use the merge action"),
    ({"tlp": "TLP:RED", "team": "nope"}, Invalid, "no team 'nope'"),
])
def test_a_refused_field_writes_nothing_of_the_triage(world, ref, fields, error, message):
    if error is None:
        _triage(world, ref, **fields)
        return
    with world.runtime.sessions() as s:
        before = (incidents.get(s, world.operator, ref).tlp, _counts(world))
    with pytest.raises(error, match=message):
        _triage(world, ref, **fields)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        assert (inc.tlp, inc.team_id, _counts(world)) == (before[0], None, before[1])


def test_only_operators_triage_and_an_unknown_incident_is_not_found(world, ref):
    with pytest.raises(Forbidden):
        _triage(world, ref, world.actor("analyst@gridco.test"), status="triaged")
    with pytest.raises(Forbidden):
        _triage(world, ref, world.actor("leader@ncert.test"), status="triaged")
    with world.runtime.sessions() as s:
        assert s.scalar(select(Incident.status).where(Incident.reference == ref)) is Status.NEW
    with pytest.raises(NotFound):
        _triage(world, "NC-1999-000001", status="triaged")
