"""The console's submit form offers an organisation its own sector only, and the
service refuses any other; national staff and partners choose."""

from __future__ import annotations

from sqlalchemy import func, select

from ncert.models import Incident
from tests.console.helpers import html


def _count(world) -> int:
    with world.runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(Incident))


def test_an_analyst_cannot_file_under_another_sector(as_user, world):
    gridco = as_user("analyst@gridco.test")
    form = html(gridco.get("/submit"))
    assert 'value="energy"' in form and 'value="finance"' not in form.split('name="sector"', 1)[1].split("</select>")[0]
    response = gridco.post("/submit", {"title": "Scan", "tlp": "TLP:AMBER", "sector": "finance"}, form_page="/submit")
    assert response.status_code == 422
    assert "Reporting sector" in html(response) and "Not a valid choice" in html(response)
    assert _count(world) == 0


def test_national_staff_and_partners_choose_the_sector(as_user, world):
    operator = as_user("operator@ncert.test")
    response = operator.post("/submit", {"title": "Scan", "tlp": "TLP:AMBER", "sector": "finance",
                                         "reporter_org": "gridco"}, form_page="/submit")
    assert response.status_code == 302
    partner = as_user("analyst@partner.test")
    response = partner.post("/submit", {"title": "Scan", "tlp": "TLP:AMBER"}, form_page="/submit")
    assert response.status_code == 422 and "sector: organisation 'partner-cert' has no sector" in html(response)
    response = partner.post("/submit", {"title": "Scan", "tlp": "TLP:AMBER", "sector": "health"}, form_page="/submit")
    assert response.status_code == 302
    with world.runtime.sessions() as s:
        assert sorted(i.sector.slug for i in s.scalars(select(Incident))) == ["finance", "health"]
