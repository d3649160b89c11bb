"""Tasks: operators write, assign, close and re-open them; a mandatory open task blocks
resolving; "my tasks" and "my team's tasks"; per-incident open/overdue counts; national only."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.db import transaction, utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NotFound
from ncert.models import TimelineEntry
from ncert.services import incidents, tasks, teams
from ncert.services.tasks import TaskChange, TaskDraft
from ncert.taxonomy import Status

GRIDCO = "analyst@gridco.test"


@pytest.fixture
def ref(world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
        teams.add_member(s, world.admin, "ot-desk", "operator2@ncert.test")
    return world.submit(world.actor(GRIDCO), title="Wiper on HMI", tlp="TLP:CLEAR")


def _add(world, ref, actor=None, **fields):
    fields.setdefault("title", "Collect HMI images")
    with transaction(world.runtime.sessions) as s:
        return tasks.create(s, actor or world.operator, ref, TaskDraft(**fields)).id


def _change(world, task_id, actor=None, **fields):
    with transaction(world.runtime.sessions) as s:
        task = tasks.change(s, actor or world.operator, task_id, TaskChange(**fields))
        return task.status, task.closed_by, task.closed_at is not None


def _titles(world, ref, actor):
    with world.runtime.sessions() as s:
        return [t.title for t in tasks.of_incident(s, actor, incidents.get(s, actor, ref))]


def test_an_operator_adds_a_task_for_a_person_and_a_team_noted_internally(world, ref):
    due = utcnow() + timedelta(hours=4)
    task_id = _add(world, ref, description="All three consoles", assignee="operator2@ncert.test", team="ot-desk",
                   due_at=due, mandatory=True)
    with world.runtime.sessions() as s:
        task = tasks.get(s, world.operator, task_id)
        assert (task.detail, task.assignee.email, task.team.slug, task.mandatory, task.status) == (
            "All three consoles", "operator2@ncert.test", "ot-desk", True, "open")
        assert abs(task.due_at - due) < timedelta(seconds=1)
        entry = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "task")).one()
        assert entry.internal and "Collect HMI images" in entry.body
    assert _titles(world, ref, world.operator) == ["Collect HMI images"]
    assert _titles(world, ref, world.actor(GRIDCO)) == []  # tasks are the centre's own work


def test_who_may_write_tasks_and_to_whom_they_go(world, ref):
    with pytest.raises(Forbidden):
        _add(world, ref, actor=world.actor(GRIDCO))
    with pytest.raises(Forbidden):
        _add(world, ref, actor=world.actor("leader@ncert.test"))
    with pytest.raises(Invalid, match="not active national-centre staff"):
        _add(world, ref, assignee=GRIDCO)
    with pytest.raises(Invalid, match="no team"):
        _add(world, ref, team="nope")
    task_id = _add(world, ref)
    with pytest.raises(NotFound):  # an analyst is answered as if there were no task
        _change(world, task_id, actor=world.actor(GRIDCO), status="done")
    with pytest.raises(Forbidden):
        _change(world, task_id, actor=world.actor("leader@ncert.test"), status="done")


def test_done_cancelled_and_reopened_with_who_and_when(world, ref):
    task_id = _add(world, ref)
    assert _change(world, task_id, status="done") == ("done", "operator@ncert.test", True)
    with pytest.raises(Conflict, match="already done"):
        _change(world, task_id, status="done")
    with pytest.raises(Conflict, match="re-open it first"):
        _change(world, task_id, status="cancelled")
    assert _change(world, task_id, status="open") == ("open", None, False)
    assert _change(world, task_id, actor=world.actor("operator2@ncert.test"), status="cancelled") == (
        "cancelled", "operator2@ncert.test", True)
    with pytest.raises(Conflict, match="already is as given"):
        _change(world, task_id, title="Collect HMI images")
    with world.runtime.sessions() as s:
        bodies = [e.body for e in s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "task")
                                            .order_by(TimelineEntry.id))]
    assert bodies[1:] == ["Task Collect HMI images: done", "Task Collect HMI images: re-opened (was done)",
                          "Task Collect HMI images: cancelled"]


def test_an_open_mandatory_task_blocks_resolving_and_names_itself(world, ref):
    mandatory = _add(world, ref, title="Notify the regulator", mandatory=True)
    _add(world, ref, title="Nice to have")
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, ref, Status.TRIAGED)
    for to in (Status.RESOLVED, Status.CLOSED):
        with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="Notify the regulator") as err:
            incidents.transition(s, world.operator, ref, to)
        assert err.value.code == "open_mandatory_tasks" and "Nice to have" not in err.value.detail
    _change(world, mandatory, status="cancelled")
    with transaction(world.runtime.sessions) as s:
        assert incidents.transition(s, world.operator, ref, Status.RESOLVED).status is Status.RESOLVED


def test_my_tasks_and_my_teams_tasks_open_soonest_first(world, ref):
    now = utcnow()
    later = _add(world, ref, title="Later", assignee="operator@ncert.test", due_at=now + timedelta(days=2))
    _add(world, ref, title="Sooner", assignee="me", due_at=now + timedelta(hours=1))
    _add(world, ref, title="Undated", assignee="operator@ncert.test")
    _add(world, ref, title="Desk", team="ot-desk")
    _change(world, _add(world, ref, title="Closed", assignee="operator@ncert.test"), status="done")
    with world.runtime.sessions() as s:
        assert [t.title for t in tasks.mine(s, world.operator)] == ["Sooner", "Later", "Undated"]
        assert [t.title for t in tasks.my_teams(s, world.operator)] == []
        assert [t.title for t in tasks.my_teams(s, world.actor("operator2@ncert.test"))] == ["Desk"]
        assert tasks.mine(s, world.actor(GRIDCO)) == []
    _change(world, later, assignee=None, team="ot-desk")
    with world.runtime.sessions() as s:
        assert [t.title for t in tasks.my_teams(s, world.actor("operator2@ncert.test"))] == ["Later", "Desk"]


def test_open_and_overdue_counts_per_incident_national_only(world, ref):
    other = world.submit(world.actor(GRIDCO), title="Second")
    _add(world, ref, title="Late", due_at=utcnow() - timedelta(hours=1))
    _add(world, ref, title="On time", due_at=utcnow() + timedelta(hours=1))
    _change(world, _add(world, ref, title="Done"), status="done")
    with world.runtime.sessions() as s:
        ids = {r: incidents.get(s, world.operator, r).id for r in (ref, other)}
        assert tasks.counts(s, world.operator, list(ids.values())) == {ids[ref]: (2, 1)}
        assert tasks.counts(s, world.actor(GRIDCO), list(ids.values())) == {}


def test_a_playbook_opens_mandatory_tasks_that_block_resolving(world, ref):
    from playbooks import engine
    from playbooks.loader import parse_playbook

    book = parse_playbook("name: nis2-checklist\nversion: 1\ndescription: d\ntriggers: [incident.created]\n"
                          "actions:\n  - {type: add_tasks, tasks: [Send the early warning], mandatory: true}\n")
    assert engine.describe(book.actions[0]) == "add 1 mandatory task(s)"
    with transaction(world.runtime.sessions) as s:
        incident = incidents.get(s, world.operator, ref)
        engine.run(s, world.operator, "incident.created", incident, [book])
        incidents.transition(s, world.operator, ref, Status.TRIAGED)
    with transaction(world.runtime.sessions) as s, pytest.raises(Conflict, match="Send the early warning"):
        incidents.transition(s, world.operator, ref, Status.RESOLVED)
