"""The console's audit page (/admin/audit): admins and leadership read it with
filters and keyset paging; everyone else gets 403."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import AuditEvent
from ncert.services import audit
from tests.console.helpers import Console, next_link

ROW = re.compile(r'<tr id="event-(\d+)">')


@pytest.fixture
def signed_in(app):
    def sign_in(email: str) -> Console:
        console = Console(app.test_client())
        assert console.login(email).status_code == 302
        return console

    return sign_in


@pytest.fixture
def events(world) -> dict[str, list[int]]:
    """60 incident events by the admin through the CLI, 3 key events by the operator through the API."""
    cli, api = world.admin, world.actor("operator@ncert.test", interface="api")
    with transaction(world.runtime.sessions) as s:
        for i in range(60):
            audit.record(s, cli, "incident.update", "incident", f"NC-2026-{i:06d}", field="status")
        for i in range(3):
            audit.record(s, api, "apikey.create", "api_key", f"ncert_{i:08x}")
    with world.runtime.sessions() as s:
        rows = s.execute(select(AuditEvent.id, AuditEvent.action).order_by(AuditEvent.id.desc())).all()
    return {"incident.update": [i for i, a in rows if a == "incident.update"],
            "apikey.create": [i for i, a in rows if a == "apikey.create"]}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


def test_pages_run_newest_first_and_continue_where_they_stopped(signed_in, events, world):
    admin = signed_in("admin@ncert.test")
    with world.runtime.sessions() as s:  # signing in may be audited too
        newest = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))
    assert audit.PAGE_SIZE < len(newest) <= 2 * audit.PAGE_SIZE
    first = admin.get("/admin/audit")
    assert _ids(first) == newest[:audit.PAGE_SIZE]
    second = admin.get(next_link(first))
    assert _ids(second) == newest[audit.PAGE_SIZE:]
    assert next_link(second) is None


def test_filters(signed_in, events, world):
    admin = signed_in("admin@ncert.test")
    keys = events["apikey.create"]
    assert _ids(admin.get("/admin/audit?action=apikey.create")) == keys
    assert _ids(admin.get("/admin/audit?actor=operator@")) == keys
    assert _ids(admin.get("/admin/audit?interface=api")) == keys
    assert _ids(admin.get("/admin/audit?object_type=api_key&object_id=ncert_00000001")) == [keys[1]]
    assert _ids(admin.get("/admin/audit?object_id=NC-2026-000007")) == [events["incident.update"][-8]]
    with world.runtime.sessions() as s:  # the day the events were written, whatever the clock says now
        today = s.scalar(select(AuditEvent.at).where(AuditEvent.id == keys[0])).date()
    assert len(_ids(admin.get(f"/admin/audit?since={today - timedelta(days=1)}&until={today}"))) == audit.PAGE_SIZE
    assert _ids(admin.get(f"/admin/audit?until={today - timedelta(days=1)}")) == []
    assert _ids(admin.get(f"/admin/audit?since={today + timedelta(days=1)}")) == []


def test_a_filtered_next_page_keeps_its_filters(signed_in, events):
    admin = signed_in("admin@ncert.test")
    first = admin.get("/admin/audit?action=incident.update")
    assert _ids(first) == events["incident.update"][:audit.PAGE_SIZE]
    assert _ids(admin.get(next_link(first))) == events["incident.update"][audit.PAGE_SIZE:]


def test_a_malformed_filter_is_a_400(signed_in, events):
    admin = signed_in("admin@ncert.test")
    response = admin.get("/admin/audit?since=yesterday")
    assert response.status_code == 400 and "Not a valid date value" in response.get_data(as_text=True)


def test_leadership_reads_it_and_no_one_else(signed_in, events):
    assert _ids(signed_in("leader@ncert.test").get("/admin/audit?action=apikey.create")) == events["apikey.create"]
    for email in ("operator@ncert.test", "analyst@gridco.test"):
        response = signed_in(email).get("/admin/audit")
        assert response.status_code == 403
        assert "only admins and leadership read the audit log" in response.get_data(as_text=True)
