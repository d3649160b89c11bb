"""Teams through the services: admins manage them, national staff are members,
incidents are assigned through update_fields, and the queue filters by team."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ncert.models import AuditEvent, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import incidents, notifications, queue, teams


@pytest.fixture
def desks(world):
    """An OT desk with a mailbox (operator a member) and a finance desk without one (operator2)."""
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk", email="OT-Desk@ncert.test")
        teams.create(s, world.admin, slug="finance-desk", name="Finance desk")
        teams.add_member(s, world.admin, "ot-desk", "operator@ncert.test")
        teams.add_member(s, world.admin, "finance-desk", "operator2@ncert.test")
        teams.add_member(s, world.admin, "finance-desk", "admin@ncert.test")
    return world


def _team_of(world, ref: str) -> str | None:
    with world.runtime.sessions() as s:
        inc = incidents.get(s, world.operator, ref)
        return inc.team.slug if inc.team else None


def test_admins_create_teams_and_manage_members(desks):
    with desks.runtime.sessions() as s:
        listed = {t.slug: (t.name, t.email, [u.email for u in t.members]) for t in teams.teams(s)}
        assert listed == {"finance-desk": ("Finance desk", None, ["admin@ncert.test", "operator2@ncert.test"]),
                          "ot-desk": ("OT desk", "ot-desk@ncert.test", ["operator@ncert.test"])}
        assert [t.slug for t in teams.of_user(s, desks.users["operator2@ncert.test"])] == ["finance-desk"]
        assert teams.by_slug(s, "nope") is None
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "team")
                                 .order_by(AuditEvent.id)))
    assert actions == ["team.create", "team.create", "team.member-add", "team.member-add", "team.member-add"]
    with transaction(desks.runtime.sessions) as s:
        team = teams.remove_member(s, desks.admin, "finance-desk", "admin@ncert.test")
        assert [u.email for u in team.members] == ["operator2@ncert.test"]


@pytest.mark.parametrize("call, error, message", [
    (lambda s, a: teams.create(s, a, slug="ot-desk", name="Again"), Conflict, "team 'ot-desk' already exists"),
    (lambda s, a: teams.create(s, a, slug="OT desk!", name="x"), Invalid, "lower-case letters"),
    (lambda s, a: teams.create(s, a, slug="duty", name=" "), Invalid, "team name"),
    (lambda s, a: teams.create(s, a, slug="duty", name="Duty", email="duty"), Invalid, "not an e-mail address"),
    (lambda s, a: teams.add_member(s, a, "ot-desk", "operator@ncert.test"), Conflict, "already a member"),
    (lambda s, a: teams.add_member(s, a, "ot-desk", "analyst@gridco.test"), Invalid, "not active national-centre"),
    (lambda s, a: teams.add_member(s, a, "ot-desk", "ghost@ncert.test"), Invalid, "no user 'ghost@ncert.test'"),
    (lambda s, a: teams.add_member(s, a, "nope", "operator@ncert.test"), NotFound, "no team 'nope'"),
    (lambda s, a: teams.remove_member(s, a, "ot-desk", "leader@ncert.test"), Conflict, "is not a member of ot-desk"),
])
def test_bad_team_changes_are_refused_with_a_clear_message(desks, call, error, message):
    with desks.runtime.sessions() as s, pytest.raises(error) as exc:
        call(s, desks.admin)
    assert message in exc.value.detail


@pytest.mark.parametrize("email", ["operator@ncert.test", "leader@ncert.test", "analyst@gridco.test"])
def test_only_admins_manage_teams(desks, email):
    actor = desks.actor(email)
    with desks.runtime.sessions() as s:
        for call in (lambda: teams.create(s, actor, slug="duty", name="Duty"),
                     lambda: teams.add_member(s, actor, "ot-desk", "leader@ncert.test"),
                     lambda: teams.remove_member(s, actor, "ot-desk", "operator@ncert.test")):
            with pytest.raises(Forbidden):
                call()


def test_assigning_a_team_is_logged_and_can_be_cleared(desks):
    ref = desks.submit(desks.actor("analyst@gridco.test"), title="PLC logic changed")
    with transaction(desks.runtime.sessions) as s:
        incidents.update_fields(s, desks.operator, ref, IncidentPatch(team="ot-desk", reason="OT asset"))
        incidents.update_fields(s, desks.operator, ref, IncidentPatch(team="ot-desk"))  # unchanged: not logged
    assert _team_of(desks, ref) == "ot-desk"
    with transaction(desks.runtime.sessions) as s:
        incidents.update_fields(s, desks.operator, ref, IncidentPatch(team="finance-desk"))
        incidents.update_fields(s, desks.operator, ref, IncidentPatch(team=""))
    assert _team_of(desks, ref) is None
    with transaction(desks.runtime.sessions) as s:
        incidents.update_fields(s, desks.operator, ref, IncidentPatch(team="ot-desk"))
        incidents.update_fields(s, desks.operator, ref, IncidentPatch(team=None))
    with desks.runtime.sessions() as s:
        inc = incidents.get(s, desks.operator, ref)
        lines = [e.body for e in s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == inc.id,
                                                                       TimelineEntry.kind == "team")
                                           .order_by(TimelineEntry.id))]
        audit = [(a.details["old"], a.details["new"]) for a in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "incident.team", AuditEvent.object_id == ref)
            .order_by(AuditEvent.id))]
    assert lines == ["Team → ot-desk", "Team → finance-desk", "Team cleared", "Team → ot-desk", "Team cleared"]
    assert audit == [(None, "ot-desk"), ("ot-desk", "finance-desk"), ("finance-desk", None), (None, "ot-desk"),
                     ("ot-desk", None)]


def test_an_unknown_team_is_invalid_and_only_triage_roles_assign(desks):
    ref = desks.submit(desks.actor("analyst@gridco.test"))
    with desks.runtime.sessions() as s:
        with pytest.raises(Invalid) as exc:
            incidents.update_fields(s, desks.operator, ref, IncidentPatch(team="ransomware-cell"))
        assert exc.value.detail == "team: no team 'ransomware-cell'"
        for email in ("leader@ncert.test", "analyst@gridco.test"):
            with pytest.raises(Forbidden):
                incidents.update_fields(s, desks.actor(email), ref, IncidentPatch(team="ot-desk"))
    assert _team_of(desks, ref) is None


def test_the_queue_filters_by_team_mine_and_none_and_pages(desks):
    analyst = desks.actor("analyst@gridco.test")
    ot = [desks.submit(analyst, title=f"OT {n}") for n in range(5)]
    finance = desks.submit(analyst, title="Card fraud")
    loose = desks.submit(analyst, title="Nobody's yet")
    with transaction(desks.runtime.sessions) as s:
        for ref in ot:
            incidents.update_fields(s, desks.operator, ref, IncidentPatch(team="ot-desk"))
        incidents.update_fields(s, desks.operator, finance, IncidentPatch(team="finance-desk"))

    def refs(actor, team, **kw):
        with desks.runtime.sessions() as s:
            return [i.reference for i in queue.list_incidents(s, actor, queue.QueueFilter(team=team), **kw).items]

    assert refs(desks.operator, "ot-desk") == ot[::-1]
    assert refs(desks.operator, "mine") == ot[::-1]
    assert refs(desks.actor("operator2@ncert.test"), "mine") == [finance]
    assert refs(desks.actor("leader@ncert.test"), "mine") == []
    assert refs(desks.operator, "none") == [loose]
    seen, cursor = [], None
    with desks.runtime.sessions() as s:
        while True:
            page = queue.list_incidents(s, desks.operator, queue.QueueFilter(team="mine"), sort="reported_at",
                                        limit=2, cursor=cursor)
            seen += [i.reference for i in page.items]
            if not (cursor := page.next_cursor):
                break
        assert queue.status_counts(s, desks.operator, queue.QueueFilter(team="ot-desk"))["new"] == 5
        with pytest.raises(BadRequest, match="unknown team 'nope'"):
            queue.list_incidents(s, desks.operator, queue.QueueFilter(team="nope"))
    assert seen == ot


def test_team_recipients_are_the_mailbox_or_the_active_members(desks):
    with desks.runtime.sessions() as s:
        to = notifications.resolve_recipients(s, desks.admin, ("team:ot-desk", "team:finance-desk", "team:nope",
                                                               "duty@ncert.test"))
    assert to == ["ot-desk@ncert.test", "admin@ncert.test", "operator2@ncert.test", "duty@ncert.test"]
