"""Bulk triage: one change to many incidents, each audited, all or nothing."""

import pytest
from sqlalchemy import func, select

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden, Invalid
from ncert.models import AuditEvent, TimelineEntry
from ncert.records import IncidentPatch
from ncert.services import bulk_triage, incidents, teams
from ncert.taxonomy import Status


@pytest.fixture
def refs(world):
    with transaction(world.runtime.sessions) as s:
        teams.create(s, world.admin, slug="ot-desk", name="OT desk")
    gridco = world.actor("analyst@gridco.test")
    return [world.submit(gridco, title=f"Scan {n}") for n in range(3)]


def _counts(world):
    with world.runtime.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (TimelineEntry, AuditEvent))


def _state(world, refs):
    with world.runtime.sessions() as s:
        return [(i.status, i.assignee.email if i.assignee else None, i.team.slug if i.team else None,
                 i.merged_into.reference if i.merged_into else None)
                for i in (incidents.get(s, world.operator, r) for r in refs)]


def test_assign_team_and_status_to_many_each_with_its_own_entry(world, refs):
    before = _counts(world)
    with transaction(world.runtime.sessions) as s:
        changed = bulk_triage.apply(s, world.operator, [r.lower() for r in refs] + [refs[0]], IncidentPatch(
            assignee="operator2@ncert.test", team="ot-desk", status="triaged", reason="campaign"))
    assert changed == refs
    assert _state(world, refs) == [(Status.TRIAGED, "operator2@ncert.test", "ot-desk", None)] * 3
    assert _counts(world) == (before[0] + 3, before[1] + 3)
    with world.runtime.sessions() as s:
        audited = s.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "incident.triage")).all()
    assert sorted(audited) == sorted(refs)


def test_one_refusal_refuses_the_batch_naming_every_reason(world, refs):
    with transaction(world.runtime.sessions) as s:
        incidents.transition(s, world.operator, refs[1], Status.CLOSED)
    before, state = _counts(world), _state(world, refs)
    with pytest.raises(Conflict) as refused, transaction(world.runtime.sessions) as s:
        bulk_triage.apply(s, world.operator, refs, IncidentPatch(status="investigating", assignee="me"))
    assert refused.value.detail == (f"nothing was changed; 1 of 3 refused: {refs[1]}: cannot move {refs[1]} from "
                                    "closed to investigating: closed incidents can only be reopened")
    assert (_counts(world), _state(world, refs)) == (before, state)


def test_merge_many_into_one(world, refs):
    keep = world.submit(world.actor("analyst@powergen.test"), title="Same scanner")
    with transaction(world.runtime.sessions) as s:
        assert bulk_triage.merge(s, world.operator, [*refs, keep], keep, "same scanner") == refs
    assert _state(world, refs) == [(Status.MERGED, None, None, keep)] * 3
    with pytest.raises(Conflict, match="already merged"), transaction(world.runtime.sessions) as s:
        bulk_triage.merge(s, world.operator, refs, keep)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda s, w, refs: bulk_triage.apply(s, w.operator, [], IncidentPatch(status="triaged")), Invalid, "at least"),
    (lambda s, w, refs: bulk_triage.apply(s, w.operator, refs, IncidentPatch(tlp="TLP:RED")), Invalid, "not tlp"),
    (lambda s, w, refs: bulk_triage.apply(s, w.actor("analyst@gridco.test"), refs, IncidentPatch(status="triaged")),
     Forbidden, "triage"),
    (lambda s, w, refs: bulk_triage.merge(s, w.operator, refs[:1], refs[0]), Invalid, "other than"),
    (lambda s, w, refs: bulk_triage.apply(s, w.operator, [f"NC-1999-{n:06d}" for n in range(201)],
                                          IncidentPatch(status="triaged")), Invalid, "at most 200"),
])
def test_refused_batches(world, refs, call, error, message):
    before = _counts(world)
    with pytest.raises(error, match=message), transaction(world.runtime.sessions) as s:
        call(s, world, refs)
    assert _counts(world) == before
