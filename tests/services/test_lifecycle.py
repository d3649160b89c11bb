"""The incident lifecycle through the services: every move logged, bad moves refused."""

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid
from ncert.models import AuditEvent, Incident, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import incidents
from ncert.taxonomy import Status


def _counts(world):
    with world.runtime.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Incident, TimelineEntry, AuditEvent))


@pytest.fixture
def ref(world):
    return world.submit(world.actor("analyst@gridco.test"), title="Phishing wave against staff",
                        category="fraud/phishing", tlp="TLP:GREEN")


def test_submit_writes_incident_timeline_and_audit(world):
    before = _counts(world)
    ref = world.submit(world.actor("analyst@gridco.test"), title="Wiper on HMI", severity=3,
                       affected_sectors=["finance"], external_ids={"ticket": "GRID-42"},
                       indicators=[{"type": "sha256", "value": "A" * 64}])
    assert _counts(world) == (before[0] + 1, before[1] + 1, before[2] + 1)
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        assert inc.reporter_org.slug == "gridco" and inc.sector.slug == "energy"
        assert [x.slug for x in inc.affected_sectors] == ["finance"]
        assert inc.status is Status.NEW and inc.severity == 3 and inc.category == "other/undetermined"
        assert inc.external_ids == {"ticket": "GRID-42"}
        audit = s.scalars(select(AuditEvent).where(AuditEvent.object_id == ref)).one()
        assert (audit.action, audit.interface, audit.org_id) == ("incident.create", "test", world.orgs["gridco"])


def test_references_are_sequential_per_year(world):
    analyst = world.actor("analyst@gridco.test")
    a, b = world.submit(analyst), world.submit(analyst)
    year, n = a.split("-")[1], int(a.split("-")[2])
    assert b == f"NC-{year}-{n + 1:06d}"


def test_same_external_id_is_idempotent(world):
    analyst = world.actor("analyst@gridco.test")
    first = world.submit(analyst, title="First", external_ids={"misp": "5f1e"})
    before = _counts(world)
    with transaction(world.runtime.sessions) as s:
        again = incidents.submit(s, analyst, incidents.IncidentRecord(title="Again", external_ids={"misp": "5f1e"}),
                                 channel="api")
    assert again.created is False and again.incident.reference == first
    assert _counts(world) == before


def test_other_org_may_reuse_an_external_id(world):
    a = world.submit(world.actor("analyst@gridco.test"), external_ids={"ticket": "1"})
    b = world.submit(world.actor("analyst@powergen.test"), external_ids={"ticket": "1"})
    assert a != b


def test_full_path_to_closed_and_reopen(world, ref):
    op = world.operator
    for to in (Status.TRIAGED, Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.CLOSED):
        with transaction(world.runtime.sessions) as s:
            incidents.transition(s, op, ref, to, reason=f"to {to}")
    with world.runtime.sessions() as s:
        inc = incidents.get(s, op, ref)
        assert inc.acknowledged_at and inc.resolved_at and inc.closed_at
        kinds = [e.kind for e in incidents.timeline(s, op, inc)]
        assert kinds == ["created"] + ["status"] * 5
    with transaction(world.runtime.sessions) as s:
        inc = incidents.reopen(s, op, ref, "attacker came back")
        assert inc.status is Status.TRIAGED and inc.closed_at is None


@pytest.mark.parametrize("path,bad", [
    ((), Status.NEW),                                   # already new
    ((Status.TRIAGED, Status.RESOLVED), Status.INVESTIGATING),  # resolved only closes or reopens
    ((Status.CLOSED,), Status.TRIAGED),                 # closed only reopens
    ((), Status.MERGED),                                # merging has its own action
])
def test_invalid_transitions_conflict_and_write_nothing(world, ref, path, bad):
    for to in path:
        with transaction(world.runtime.sessions) as s:
            incidents.transition(s, world.operator, ref, to)
    before = _counts(world)
    with pytest.raises(Conflict) as err:
        with transaction(world.runtime.sessions) as s:
            incidents.transition(s, world.operator, ref, bad)
    assert ref in err.value.detail or "merge" in err.value.detail
    assert _counts(world) == before


def test_reopen_needs_resolved_or_closed_and_a_reason(world, ref):
    with pytest.raises(Conflict):
        with transaction(world.runtime.sessions) as s:
            incidents.reopen(s, world.operator, ref, "why not")
    with pytest.raises(Invalid):
        with transaction(world.runtime.sessions) as s:
            incidents.reopen(s, world.operator, ref, "  ")


def test_only_operators_and_admins_triage(world, ref):
    for email in ("analyst@gridco.test", "leader@ncert.test"):
        with pytest.raises(Forbidden):
            with transaction(world.runtime.sessions) as s:
                incidents.transition(s, world.actor(email), ref, Status.TRIAGED)
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.admin, ref, Status.TRIAGED)


def test_patch_logs_each_field(world, ref):
    patch = IncidentPatch(status="triaged", assignee="operator2@ncert.test", category="fraud/masquerade",
                          severity=4, tlp="TLP:AMBER", reason="confirmed by bank")
    with transaction(world.runtime.sessions) as s:
        inc = incidents.update_fields(s, world.operator, ref, patch)
        assert (inc.status, inc.assignee.email, inc.category, inc.severity, inc.tlp) == (
            Status.TRIAGED, "operator2@ncert.test", "fraud/masquerade", 4, "TLP:AMBER")
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        kinds = [e.kind for e in incidents.timeline(s, world.operator, inc)]
        assert kinds == ["created", "status", "assignee", "category", "severity", "tlp"]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == ref).order_by(AuditEvent.id)).all()
        assert actions == ["incident.create", "incident.status", "incident.assign", "incident.categorise",
                           "incident.severity", "incident.tlp"]


def test_assignee_must_be_active_staff(world, ref):
    with pytest.raises(Invalid):
        with transaction(world.runtime.sessions) as s:
            incidents.update_fields(s, world.operator, ref, IncidentPatch(assignee="analyst@gridco.test"))
    with transaction(world.runtime.sessions) as s:
        inc = incidents.update_fields(s, world.operator, ref, IncidentPatch(assignee="me"))
        assert inc.assignee.email == "operator@ncert.test"


def test_merge_groups_the_reports_without_copying_them(world):
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    target = world.submit(gridco, title="C2 beaconing", indicators=[{"type": "domain-name", "value": "c2.example.net"}])
    dup = world.submit(bank, title="Same C2", indicators=[{"type": "ipv4-addr", "value": "203.0.113.9"}])
    with transaction(world.runtime.sessions) as s:
        src = incidents.merge(s, world.operator, dup, target, reason="same campaign")
        assert src.status is Status.MERGED and src.merged_into.reference == target
    with world.runtime.sessions() as s:
        tgt = incidents.get(s, world.operator, target)
        from ncert.services import indicators
        assert {i.value for i in indicators.facts_of(s, world.operator, tgt)} == {"c2.example.net", "203.0.113.9"}
        assert {i.value for i in indicators.of_incident(s, tgt.id)} == {"c2.example.net"}  # nothing copied
        assert incidents.duplicates(s, world.operator, tgt) == [dup]
        assert tgt.affected_sectors == []
        assert [e.kind for e in incidents.timeline(s, world.operator, tgt)][-1] == "merge-received"
    with pytest.raises(Conflict):
        with transaction(world.runtime.sessions) as s:
            incidents.transition(s, world.operator, dup, Status.TRIAGED)
    with pytest.raises(Conflict):
        with transaction(world.runtime.sessions) as s:
            incidents.merge(s, world.operator, target, dup)  # into a merged incident
    with pytest.raises(Conflict):
        with transaction(world.runtime.sessions) as s:
            incidents.merge(s, world.operator, target, target)


def test_comments_and_internal_notes(world, ref):
    with transaction(world.runtime.sessions) as s:
        incidents.comment(s, world.actor("analyst@gridco.test"), ref, "We isolated the mailbox.")
        incidents.comment(s, world.operator, ref, "Looks like TA505 tooling", internal=True)
    with pytest.raises(Forbidden):
        with transaction(world.runtime.sessions) as s:
            incidents.comment(s, world.actor("analyst@gridco.test"), ref, "secret", internal=True)
    with pytest.raises(Forbidden):  # GREEN lets powergen read it, not write on it
        with transaction(world.runtime.sessions) as s:
            incidents.comment(s, world.actor("analyst@powergen.test"), ref, "me too")
    with pytest.raises(Invalid):
        with transaction(world.runtime.sessions) as s:
            incidents.comment(s, world.operator, ref, "   ")
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        staff = [e.body for e in incidents.timeline(s, world.operator, inc)]
        reporter = [e.body for e in incidents.timeline(s, world.actor("analyst@gridco.test"), inc)]
    assert "Looks like TA505 tooling" in staff and "Looks like TA505 tooling" not in reporter
    assert "We isolated the mailbox." in reporter


def test_only_staff_report_for_another_org(world):
    with pytest.raises(Forbidden):
        world.submit(world.actor("analyst@gridco.test"), reporter_org="powergen")
    ref = world.submit(world.operator, reporter_org="cityhospital", title="Phoned-in ransomware report")
    with world.runtime.sessions() as s:
        assert incidents.get(s, world.operator, ref).reporter_org.slug == "cityhospital"


def test_leadership_cannot_submit(world):
    with pytest.raises(Forbidden):
        world.submit(world.actor("leader@ncert.test"))


def test_future_times_and_unknown_sectors_are_invalid(world):
    analyst = world.actor("analyst@gridco.test")
    with pytest.raises(Invalid):
        world.submit(analyst, aware_at="2999-01-01T00:00:00Z")
    with pytest.raises(Invalid):
        world.submit(analyst, affected_sectors=["atlantis"])
    with pytest.raises(Invalid):  # international partners have no sector of their own
        world.submit(world.actor("analyst@partner.test"))
    assert world.submit(world.actor("analyst@partner.test"), sector="energy")


def test_merging_a_stricter_duplicate_keeps_each_label_and_shows_nobody_its_indicators(world):
    gridco, powergen = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
    secret_ioc = [{"type": "ipv4-addr", "value": "203.0.113.66"}]
    green = world.submit(gridco, title="Beaconing", tlp="TLP:GREEN")
    red = world.submit(gridco, title="Same beaconing, with our sources", tlp="TLP:RED", indicators=secret_ioc)
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, red, green, reason="duplicate")
    with world.runtime.sessions() as s:
        from ncert.services import indicators
        kept = incidents.get(s, world.operator, green)
        assert kept.tlp.value == "TLP:GREEN"
        as_powergen = incidents.get(s, powergen, green)  # powergen still reads the GREEN report...
        assert indicators.facts_of(s, powergen, as_powergen) == []  # ...and nothing of the RED one
        assert incidents.duplicates(s, powergen, as_powergen) == []
        as_gridco = incidents.get(s, gridco, green)  # the reporter sees its own RED report in the group
        assert [i.value for i in indicators.facts_of(s, gridco, as_gridco)] == ["203.0.113.66"]
