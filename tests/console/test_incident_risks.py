"""Risks on the incident page (issue 10): national staff see the linked risks,
operators link and unlink them there, leadership is refused, and a sector
analyst sees nothing of them; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, Risk, RiskIncident, TimelineEntry
from ncert.services import risk_links, risks
from ncert.services.risk_records import RiskInput
from tests.console.helpers import flashes, html, state
from tests.differential import Differential

GRID_RISK = "OT intrusion at the grid operator"


def new_risk(world, title: str = GRID_RISK) -> str:
    data = {"title": title, "owner": {"org": "gridco", "person": "Lars Ekdahl"}, "sectors": ["energy"],
            "threat": {"rsit": ["intrusions"], "attack": ["T0886"]}}
    with transaction(world.runtime.sessions) as s:
        return risks.create(s, world.operator, RiskInput.model_validate(data)).reference


def link(world, ref: str, risk: str) -> None:
    with transaction(world.runtime.sessions) as s:
        risk_links.link(s, world.operator, ref, risk)


def linked(world, ref: str) -> list[str]:
    with world.runtime.sessions() as s:
        return list(s.scalars(select(Risk.reference).join(RiskIncident, RiskIncident.risk_id == Risk.id)
                              .join(Incident, Incident.id == RiskIncident.incident_id)
                              .where(Incident.reference == ref).order_by(Risk.reference)))


@pytest.fixture
def ref(world) -> str:
    return world.submit(world.actor("analyst@gridco.test"), title="Engineering workstation compromised",
                        tlp="TLP:AMBER", category="intrusions/system-compromise")


@pytest.fixture
def risk(world) -> str:
    return new_risk(world)


def act(console, ref: str, path: str, data: dict | None = None):
    """POST with the token from the incident page, following the redirect back to it."""
    response = console.post(f"/incidents/{ref}/{path}", data, form_page=f"/incidents/{ref}", follow_redirects=True)
    assert response.request.path == f"/incidents/{ref}"
    return response


def test_an_operator_links_and_unlinks_a_risk_on_the_incident_page(as_user, world, ref, risk):
    other = new_risk(world, "DDoS on the grid operator's customer portal")
    operator = as_user("operator@ncert.test")
    page = html(operator.get(f"/incidents/{ref}"))
    assert 'id="risks"' in page and "Not linked to any risk" in page
    assert f'<option value="{risk}">{risk} · {GRID_RISK}</option>' in page  # the visible risks, by reference and title

    response = act(operator, ref, "risks", {"risk-link-risk": risk})
    assert flashes(response) == [("success", f"Linked to risk {risk}.")]
    assert linked(world, ref) == [risk]
    page = html(response)
    assert f'<a href="/risks/{risk}">{risk}</a>' in page
    assert f'<option value="{risk}">' not in page and f'<option value="{other}">' in page  # linked: no longer offered
    with world.runtime.sessions() as s:
        note = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "risk")).one()
        assert note.internal and note.body == f"Linked to risk {risk}: {GRID_RISK}"

    response = act(operator, ref, f"risks/{risk}/unlink")
    assert flashes(response) == [("success", f"Unlinked from risk {risk}.")]
    assert linked(world, ref) == []
    assert "Not linked to any risk" in html(response)


def test_an_unknown_risk_is_refused_and_writes_nothing(as_user, world, ref):
    operator = as_user("operator@ncert.test")
    before = state(world.runtime, ref)
    response = act(operator, ref, "risks", {"risk-link-risk": "R-2026-9999"})
    assert flashes(response) == [("error", "no risk 'R-2026-9999'")]
    empty = act(operator, ref, "risks", {"risk-link-risk": ""})
    assert [kind for kind, _ in flashes(empty)] == ["error"]
    assert state(world.runtime, ref) == before and linked(world, ref) == []


def test_leadership_sees_the_links_but_is_refused_changing_them(as_user, world, ref, risk):
    link(world, ref, risk)
    leader = as_user("leader@ncert.test")
    page = html(leader.get(f"/incidents/{ref}"))
    assert f'<a href="/risks/{risk}">{risk}</a>' in page
    assert "Link to risk" not in page and f"/risks/{risk}/unlink" not in page
    assert leader.post(f"/incidents/{ref}/risks", {"risk-link-risk": risk}).status_code == 403
    assert leader.post(f"/incidents/{ref}/risks/{risk}/unlink").status_code == 403
    assert linked(world, ref) == [risk]


def test_a_sector_analyst_sees_no_links_and_cannot_make_them(as_user, world, ref, risk):
    link(world, ref, risk)
    analyst = as_user("analyst@gridco.test")
    page = html(analyst.get(f"/incidents/{ref}"))
    assert 'id="risks"' not in page and risk not in page and GRID_RISK not in page

    before = state(world.runtime, ref)
    refused = act(analyst, ref, f"risks/{risk}/unlink")
    assert flashes(refused) == [("error", "only SOC operators and admins change the risk register")]
    refused = act(analyst, ref, "risks", {"risk-link-risk": risk})
    assert flashes(refused) == [("error", "only SOC operators and admins change the risk register")]
    assert state(world.runtime, ref) == before and linked(world, ref) == [risk]

    hidden = world.submit(world.actor("analyst@powergen.test"), title="Hidden", tlp="TLP:AMBER")
    assert analyst.post(f"/incidents/{hidden}/risks", {"risk-link-risk": risk}).status_code == 404
    assert analyst.post(f"/incidents/{hidden}/risks/{risk}/unlink").status_code == 404


def test_the_analysts_page_and_detail_do_not_change_with_a_link_it_cannot_see(as_user, world, client):
    """A link is national staff's: the reporter's page and REST detail are the same
    whether its incident is linked to a (secretly named) risk or not."""
    probe = Differential(secret="Secret grid risk 4711", control="Control grid risk 4712")
    analyst = as_user("analyst@gridco.test")
    key = {"Authorization": f"Bearer {world.key('gridco')}"}

    def fetch(value: str):
        ref = world.submit(world.actor("analyst@gridco.test"), title="HMI locked", tlp="TLP:AMBER",
                           category="intrusions/system-compromise")
        risk = new_risk(world, f"Risk {value}")
        if value == probe.secret:
            link(world, ref, risk)
        return [html(analyst.get(f"/incidents/{ref}")), client.get(f"/api/v1/incidents/{ref}", headers=key).json]

    probe.assert_same(fetch)
