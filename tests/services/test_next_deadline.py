"""Sorting the queue by next regulatory deadline, and a merged duplicate's clocks stopping
(superseded by the kept incident's) until an operator splits it back out."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.clocks import REGIMES
from ncert.db import transaction, utcnow
from ncert.errors import Conflict, Forbidden, Invalid
from ncert.models import AuditEvent, Incident, RegulatoryDeadline
from ncert.services import clocks, incidents, queue
from ncert.taxonomy import Status
from tests.services.test_query_shapes import NO_SEQSCAN, _page, _walks_an_index, many  # noqa: F401 (fixture)


def _start(world, ref, hours_ago: int, regime="nis2", internal=False):
    with transaction(world.runtime.sessions) as s:
        inc = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.start(s, inc, REGIMES[regime], utcnow() - timedelta(hours=hours_ago), internal=internal)


def _sorted(world, actor, sort="next_due_at"):
    with world.runtime.sessions() as s:
        return [i.reference for i in queue.list_incidents(s, actor, queue.QueueFilter(), sort=sort, limit=50).items]


@pytest.fixture
def refs(world):
    gridco = world.actor("analyst@gridco.test")
    return {name: world.submit(gridco, title=name, tlp="TLP:GREEN") for name in ("none", "late", "soon", "crisis")}


def test_most_urgent_first_and_without_a_deadline_last(world, refs):
    _start(world, refs["soon"], 20)  # early warning due in 4 h
    _start(world, refs["late"], 1)  # in 23 h
    _start(world, refs["crisis"], 0, regime="crisis-status", internal=True)  # national staff only: in 1 h
    assert _sorted(world, world.operator) == [refs[n] for n in ("crisis", "soon", "late", "none")]
    # The reporter's order knows nothing of the internal clock.
    assert _sorted(world, world.actor("analyst@gridco.test")) == [refs[n] for n in ("soon", "late", "none", "crisis")]
    assert _sorted(world, world.operator, "-next_due_at") == [refs[n] for n in ("none", "late", "soon", "crisis")]


def test_receiving_a_report_moves_the_next_deadline(world, refs):
    _start(world, refs["soon"], 20)
    _start(world, refs["late"], 1)
    with transaction(world.runtime.sessions) as s:
        soon = s.scalar(select(Incident).where(Incident.reference == refs["soon"]))
        clocks.receive(s, world.operator, soon, "nis2", "early-warning")
    assert _sorted(world, world.operator)[:2] == [refs["late"], refs["soon"]]  # its next stage is 72 h out


def test_the_sort_pages_by_keyset_over_its_own_index(world, many):  # noqa: F811 (the fixture)
    for n, ref in enumerate(many[:12]):
        _start(world, ref, n)
    for who in ("operator@ncert.test", "analyst@gridco.test"):
        refs, statements = _page(world, world.actor(who), queue.QueueFilter(), "next_due_at")
        assert len(refs) == 5 and max(statements.rows()) == 6
        assert _walks_an_index(statements, 0), statements.plan(0, NO_SEQSCAN)
    seen, cursor = [], None
    with world.runtime.sessions() as s:
        while True:
            page = queue.list_incidents(s, world.operator, queue.QueueFilter(), sort="next_due_at", limit=7,
                                        cursor=cursor)
            seen += [i.reference for i in page.items]
            if not (cursor := page.next_cursor):
                break
    assert len(seen) == len(set(seen)) == 30 and seen[:12] == many[11::-1]


def test_merging_stops_the_duplicates_clocks_and_splitting_runs_them_again(world, refs):
    _start(world, refs["soon"], 20)
    _start(world, refs["late"], 1)
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, refs["soon"], refs["late"], "same outage")
    with world.runtime.sessions() as s:
        stopped = s.scalars(select(RegulatoryDeadline).join(Incident).where(Incident.reference == refs["soon"])).all()
        assert stopped and all(d.stopped_at is not None for d in stopped)
        assert clocks.due(s, utcnow() + timedelta(days=400)) and all(
            d.deadline.incident_id != stopped[0].incident_id for d in clocks.due(s, utcnow() + timedelta(days=400)))
    assert _sorted(world, world.operator) == [refs[n] for n in ("late", "none", "soon", "crisis")]  # ties by id

    with pytest.raises(Invalid, match="needs a reason"), transaction(world.runtime.sessions) as s:
        incidents.split(s, world.operator, refs["soon"], " ")
    with pytest.raises(Forbidden), transaction(world.runtime.sessions) as s:
        incidents.split(s, world.actor("analyst@gridco.test"), refs["soon"], "mine")
    with transaction(world.runtime.sessions) as s:
        inc = incidents.split(s, world.operator, refs["soon"], "different outage after all")
        assert (inc.status, inc.merged_into_id) == (Status.TRIAGED, None)
    with pytest.raises(Conflict, match="not merged"), transaction(world.runtime.sessions) as s:
        incidents.split(s, world.operator, refs["soon"], "again")
    with world.runtime.sessions() as s:
        assert all(d.stopped_at is None for d in s.scalars(
            select(RegulatoryDeadline).join(Incident).where(Incident.reference == refs["soon"])))
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "incident.split")).one()
        assert audit.details["out_of"] == refs["late"] and audit.details["clocks_resumed"] == 3
    assert _sorted(world, world.operator)[:2] == [refs["soon"], refs["late"]]
