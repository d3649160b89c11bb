"""Recording a regulatory report as received over the REST API: the time must be
plausible (not before the clock started, not in the future), else nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.clocks import REGIMES
from ncert.db import transaction, utcnow
from ncert.models import Incident, RegulatoryDeadline
from ncert.services import clocks
from tests.api.helpers import PREFIX, bearer


@pytest.fixture
def running_clock(world):
    ref = world.submit(world.actor("analyst@gridco.test"), title="Ransomware at the grid operator",
                       category="malicious-code/infected-system")
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.start(s, incident, REGIMES["nis2"], utcnow() - timedelta(hours=10))
    return ref


def _received(world, ref) -> list:
    with world.runtime.sessions() as s:
        stmt = select(RegulatoryDeadline.received_at).join(Incident).where(Incident.reference == ref)
        return [at for at in s.scalars(stmt) if at is not None]


@pytest.mark.parametrize("offset, message", [(timedelta(hours=2), "is in the future"),
                                             (timedelta(hours=-11), "before the clock started")])
def test_an_implausible_time_is_refused_and_nothing_written(client, world, running_clock, offset, message):
    at = (utcnow() + offset).isoformat()
    response = client.post(f"{PREFIX}/incidents/{running_clock}/deadlines/received", headers=bearer(world.key(
        "national-cert", "soc_operator")), json={"regime": "nis2", "stage": "early-warning", "at": at})
    assert response.status_code == 422 and message in response.get_json()["detail"]
    assert _received(world, running_clock) == []


def test_a_report_a_minute_ago_is_recorded(client, world, running_clock):
    at = utcnow() - timedelta(minutes=1)
    response = client.post(f"{PREFIX}/incidents/{running_clock}/deadlines/received", headers=bearer(world.key(
        "national-cert", "soc_operator")), json={"regime": "nis2", "stage": "early-warning", "at": at.isoformat()})
    assert response.status_code == 200, response.get_json()
    assert [abs((r - at).total_seconds()) < 1 for r in _received(world, running_clock)] == [True]
