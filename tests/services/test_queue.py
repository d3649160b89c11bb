"""The triage queue: filters, sorting, keyset paging, counts and text search."""

from datetime import datetime, timedelta, timezone

import pytest

from ncert.db import transaction
from ncert.errors import BadRequest, Invalid
from ncert.records import IncidentPatch
from ncert.services import incidents
from ncert.services.queue import QueueFilter, list_incidents, status_counts
from ncert.taxonomy import Status


@pytest.fixture
def queue(world):
    gridco, bank = world.actor("analyst@gridco.test"), world.actor("analyst@centralbank.test")
    refs = []
    for i in range(23):
        actor = gridco if i % 2 else bank
        refs.append(world.submit(actor, title=f"Event {i} {'ransomware' if i % 5 == 0 else 'scan'}",
                                 description="Seen on the VPN concentrator" if i % 3 == 0 else "",
                                 severity=i % 6, tlp="TLP:GREEN",
                                 category="malicious-code/infected-system" if i % 4 == 0 else "fraud/phishing"))
    with transaction(world.runtime.sessions) as s:
        for ref in refs[:5]:
            incidents.update_fields(s, world.operator, ref, IncidentPatch(status="triaged", assignee="me"))
        for i, ref in enumerate(refs):  # a hint above the ceiling takes an operator's decision
            if i % 6 > incidents.HINT_CEILING:
                incidents.update_fields(s, world.operator, ref, IncidentPatch(severity=i % 6))
    return refs


def _all_pages(s, actor, f, sort, limit):
    seen, cursor = [], None
    while True:
        page = list_incidents(s, actor, f, sort=sort, limit=limit, cursor=cursor)
        seen += [i.reference for i in page.items]
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["-reported_at", "reported_at", "-severity", "severity", "-updated_at"])
def test_keyset_paging_visits_every_row_once_in_order(world, queue, sort):
    with world.runtime.sessions() as s:
        refs = _all_pages(s, world.operator, QueueFilter(), sort, 4)
        one_page = [i.reference for i in list_incidents(s, world.operator, QueueFilter(), sort=sort, limit=100).items]
    assert refs == one_page and sorted(refs) == sorted(queue)


def test_filters(world, queue):
    op = world.operator
    with world.runtime.sessions() as s:
        def refs(**kw):
            return {i.reference for i in list_incidents(s, op, QueueFilter(**kw), limit=100).items}

        assert refs(status=(Status.TRIAGED,)) == set(queue[:5])
        assert refs(assignee="me") == set(queue[:5]) == refs(assignee="operator@ncert.test")
        assert refs(assignee="none") == set(queue[5:])
        assert len(refs(sector=("energy",))) == 11 and len(refs(sector=("finance",))) == 12
        assert refs(severity=(5,)) == {queue[i] for i in range(23) if i % 6 == 5}
        assert refs(severity_min=4) == {queue[i] for i in range(23) if i % 6 >= 4}
        assert refs(category="malicious-code") == {queue[i] for i in range(23) if i % 4 == 0}
        assert refs(category="fraud/phishing") == {queue[i] for i in range(23) if i % 4}
        assert refs(reporter_org="gridco") == {queue[i] for i in range(23) if i % 2}
        assert refs(tlp=("TLP:RED",)) == set()
        assert refs(q="ransomware") == {queue[i] for i in range(23) if i % 5 == 0}
        assert refs(q="VPN concentr") == {queue[i] for i in range(23) if i % 3 == 0}
        assert refs(q="ransomware VPN") == {queue[i] for i in range(23) if i % 15 == 0}
        assert refs(q=queue[7]) == {queue[7]}
        assert refs(q='" OR 1=1 --') == set()
        assert refs(reported_after=datetime.now(timezone.utc) + timedelta(hours=1)) == set()
        with pytest.raises(Invalid):
            refs(category="no-such-class")


def test_counts_ignore_the_status_filter(world, queue):
    with world.runtime.sessions() as s:
        counts = status_counts(s, world.operator, QueueFilter(status=(Status.NEW,)))
    assert counts["new"] == 18 and counts["triaged"] == 5 and counts["closed"] == 0


@pytest.mark.parametrize("cursor", ["garbage!", "WyJ4IiwxLDJd", ""])
def test_bad_cursor_is_a_bad_request(world, queue, cursor):
    with world.runtime.sessions() as s:
        if cursor == "":
            page = list_incidents(s, world.operator, QueueFilter(), limit=2)
            with pytest.raises(BadRequest):  # a cursor from another sort order
                list_incidents(s, world.operator, QueueFilter(), sort="severity", limit=2, cursor=page.next_cursor)
        else:
            with pytest.raises(BadRequest):
                list_incidents(s, world.operator, QueueFilter(), limit=2, cursor=cursor)


def test_unknown_sort_is_a_bad_request(world):
    with world.runtime.sessions() as s, pytest.raises(BadRequest):
        list_incidents(s, world.operator, QueueFilter(), sort="title")
