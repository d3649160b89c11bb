"""Recording a regulatory report as received from the incident page's deadlines
panel (issue 5): the stage is satisfied, the stage counted from it is re-timed,
and a refused report says why and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ncert.clocks import add_months
from ncert.db import utcnow
from ncert.models import Incident, RegulatoryDeadline
from playbooks import engine
from tests.console.helpers import flashes, html, state
from tests.playbooks.helpers import set_entity
from tests.playbooks.test_library import RANSOMWARE

ACTION = 'action="/incidents/{}/deadlines/received"'


@pytest.fixture
def aware() -> datetime:
    return (utcnow() - timedelta(hours=60)).replace(second=0, microsecond=0)


@pytest.fixture
def ref(world, aware) -> str:
    """A ransomware incident at an essential entity, aware 60 hours ago: the NIS2 clock runs."""
    set_entity(world, "gridco", "essential")
    engine.install(world.runtime)
    try:
        return world.submit(world.actor("analyst@gridco.test"), aware_at=aware, **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)


def _deadlines(world, ref: str) -> dict[str, RegulatoryDeadline]:
    with world.runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        rows = s.scalars(select(RegulatoryDeadline).where(RegulatoryDeadline.incident_id == incident.id))
        return {d.stage: d for d in rows}


def _receive(console, ref: str, stage: str, at: datetime | str, regime: str = "nis2", follow: bool = True):
    value = at if isinstance(at, str) else at.strftime("%Y-%m-%dT%H:%M")
    return console.post(f"/incidents/{ref}/deadlines/received",
                        {"receive-regime": regime, "receive-stage": stage, "receive-at": value},
                        form_page=f"/incidents/{ref}", follow_redirects=follow)


def test_operator_records_a_report_and_the_final_report_is_re_timed(as_user, world, ref, aware):
    operator = as_user("operator@ncert.test")
    page = operator.text(f"/incidents/{ref}")
    assert page.count(ACTION.format(ref)) == 3  # one form per open stage
    sent = aware + timedelta(hours=50)
    response = _receive(operator, ref, "incident-notification", sent)
    assert flashes(response) == [("success", f"NIS2 Art. 23 reporting: incident-notification received at "
                                             f"{sent:%Y-%m-%d %H:%M} UTC.")]
    rows = _deadlines(world, ref)
    assert rows["incident-notification"].received_at == sent
    assert rows["final-report"].due_at == add_months(sent, 1)  # was a month after the 72 h due time
    assert rows["early-warning"].received_at is None
    page = html(response)
    assert page.count(ACTION.format(ref)) == 2 and "clock-satisfied" in page


def test_receiving_twice_is_refused_and_writes_nothing(as_user, world, ref, aware):
    operator = as_user("operator@ncert.test")
    _receive(operator, ref, "early-warning", aware + timedelta(hours=20))
    before, rows = state(world.runtime, ref), _deadlines(world, ref)
    response = _receive(operator, ref, "early-warning", aware + timedelta(hours=21))
    assert flashes(response) == [("error", f"early-warning was already received on "
                                           f"{aware + timedelta(hours=20):%Y-%m-%d %H:%M} UTC")]
    assert state(world.runtime, ref) == before
    assert _deadlines(world, ref)["early-warning"].received_at == rows["early-warning"].received_at


@pytest.mark.parametrize(("stage", "at", "message"), [
    ("bogus", timedelta(hours=1), "no nis2 stage 'bogus' running on {ref}"),
    ("early-warning", timedelta(hours=-1), "at: a report cannot be received before the clock started ({aware})"),
    ("early-warning", timedelta(hours=61), "at: {at} is in the future"),
])
def test_a_refused_report_is_flashed_and_writes_nothing(as_user, world, ref, aware, stage, at, message):
    operator = as_user("operator@ncert.test")
    before = state(world.runtime, ref)
    response = _receive(operator, ref, stage, aware + at)
    expected = message.format(ref=ref, aware=f"{aware:%Y-%m-%d %H:%M} UTC", at=f"{aware + at:%Y-%m-%d %H:%M} UTC")
    assert flashes(response) == [("error", expected)]
    assert state(world.runtime, ref) == before
    assert all(d.received_at is None for d in _deadlines(world, ref).values())


def test_a_time_a_minute_ahead_of_the_server_counts_as_now(as_user, world, ref):
    ahead = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    response = _receive(as_user("operator@ncert.test"), ref, "early-warning", ahead)
    assert flashes(response)[0][0] == "success"
    assert _deadlines(world, ref)["early-warning"].received_at == ahead


def test_a_malformed_time_is_refused(as_user, world, ref):
    operator = as_user("operator@ncert.test")  # signing in is audited: before the snapshot
    before = state(world.runtime, ref)
    response = _receive(operator, ref, "early-warning", "yesterday")
    assert flashes(response) == [("error", "Received at (UTC): Not a valid datetime value.")]
    assert state(world.runtime, ref) == before


def test_analysts_get_no_form_and_a_403(as_user, world, ref, aware):
    analyst = as_user("analyst@gridco.test")
    assert ACTION.format(ref) not in analyst.text(f"/incidents/{ref}")
    before = state(world.runtime, ref)
    response = _receive(analyst, ref, "early-warning", aware + timedelta(hours=1), follow=False)
    assert response.status_code == 403
    assert "only SOC operators and admins record regulatory reports" in html(response)
    assert state(world.runtime, ref) == before
