"""NIS2 countdowns in the queue and on the incident page (issue 5): started by the
ransomware playbook, shown approaching, overdue and received."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ncert.db import transaction, utcnow
from ncert.models import Incident
from ncert.services import clocks
from playbooks import engine
from tests.playbooks.helpers import set_entity
from tests.playbooks.test_library import RANSOMWARE


def _ransomware(world, hours_ago: float) -> str:
    set_entity(world, "gridco", "essential")
    engine.install(world.runtime)
    try:
        return world.submit(world.actor("analyst@gridco.test"), aware_at=utcnow() - timedelta(hours=hours_ago),
                            **RANSOMWARE)
    finally:
        engine.uninstall(world.runtime)


def _row(html: str, ref: str) -> str:
    start = html.index(f'href="/incidents/{ref}"')
    return html[start:html.index("</tr>", start)]


def test_queue_shows_the_next_deadline_approaching_then_overdue(world, as_user):
    soon, late = _ransomware(world, hours_ago=20), _ransomware(world, hours_ago=30)
    quiet = world.submit(world.actor("analyst@gridco.test"), title="Port scan", category="information-gathering/scanner")
    html = as_user("operator@ncert.test").text("/queue")
    assert 'clock-approaching' in _row(html, soon) and "early-warning" in _row(html, soon)
    assert 'clock-overdue' in _row(html, late) and "overdue" in _row(html, late)
    assert "clock" not in _row(html, quiet)


def test_incident_page_lists_every_stage_and_a_received_report(world, as_user):
    ref = _ransomware(world, hours_ago=30)
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        clocks.receive(s, world.operator, incident, "nis2", "early-warning", utcnow() - timedelta(hours=8))
    html = as_user("operator@ncert.test").text(f"/incidents/{ref}")
    assert "Regulatory deadlines" in html
    assert "clock-satisfied" in html  # the early warning came in
    assert "incident-notification" in html and "final-report" in html
