"""The reporting regimes admin page: every regime listed, stored regimes
created and edited in the one-stage-per-line editor, sectors assigned; admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ncert.models import AuditEvent, ReportingRegime, SectorRegime
from tests.console.helpers import flashes, html

STAGES = "initial-report 4 hours warn 1 hours\nintermediate-report 3 days after previous warn 12 hours"


@pytest.fixture
def admin(as_user):
    return as_user("admin@ncert.test")


def _create(admin, name="central-bank-4h", stages=STAGES, title="Central bank reporting"):
    return admin.post("/admin/regimes", {"regime-name": name, "regime-title": title, "regime-stages": stages},
                      form_page="/admin/regimes", follow_redirects=True)


def _assign(console, sector: str, regime: str, follow=True):
    return console.post("/admin/regimes/assign", {"assign-sector": sector, "assign-regime": regime},
                        form_page="/admin/regimes" if follow else "/queue", follow_redirects=follow)


def _stored(world) -> tuple[dict[str, list], dict[int, str]]:
    with world.runtime.sessions() as s:
        return ({r.name: r.stages for r in s.scalars(select(ReportingRegime))},
                {a.sector_id: a.regime for a in s.scalars(select(SectorRegime))})


@pytest.mark.parametrize("email", ["operator@ncert.test", "leader@ncert.test", "analyst@centralbank.test"])
def test_regimes_admin_is_403_for_everyone_else(as_user, world, email):
    console = as_user(email)
    assert console.get("/admin/regimes").status_code == 403
    assert "Regimes</a>" not in console.text("/queue")
    response = console.post("/admin/regimes", {"regime-name": "x", "regime-title": "X", "regime-stages": "a 1 hours"})
    assert response.status_code == 403
    assert _assign(console, "finance", "nis2-trust-service", follow=False).status_code == 403
    assert _stored(world) == ({}, {})


def test_the_page_lists_built_in_regimes_and_each_sectors_regime(admin, world):
    page = admin.text("/admin/regimes")
    assert 'href="/admin/regimes"' in page  # the admin navigation links it
    for name in ("nis2", "nis2-trust-service", "crisis-status"):
        assert f'id="regime-{name}"' in page
    assert "early-warning 24 hours after awareness warn 6 hours" in page
    assert "final-report 1 months after previous warn 5 days" in page
    finance = page[page.index('id="sector-finance"'):]
    assert "nis2" in finance[:finance.index("</tr>")] and "(default)" in finance[:finance.index("</tr>")]


def test_admin_creates_a_regime_and_assigns_it_to_a_sector(admin, world):
    response = _create(admin)
    assert flashes(response) == [("success", "Regime central-bank-4h added.")]
    stored, _ = _stored(world)
    assert stored["central-bank-4h"] == [
        {"name": "initial-report", "amount": 4, "unit": "hours", "anchor": "awareness", "warn_minutes": 60},
        {"name": "intermediate-report", "amount": 3, "unit": "days", "anchor": "previous", "warn_minutes": 720}]
    response = _assign(admin, "finance", "central-bank-4h")
    assert flashes(response) == [("success", "Sector finance now reports under central-bank-4h.")]
    assert _stored(world)[1] == {world.sectors["finance"]: "central-bank-4h"}
    finance = html(response)[html(response).index('id="sector-finance"'):]
    assert "central-bank-4h" in finance[:finance.index("</tr>")]
    response = _assign(admin, "finance", "")
    assert flashes(response) == [("success", "Sector finance now reports under nis2.")]
    assert _stored(world)[1] == {}
    with world.runtime.sessions() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("regimes.%"))))
    assert actions == ["regimes.create", "regimes.assign", "regimes.assign"]


def test_bad_stage_lines_are_shown_by_line_and_the_text_is_kept(admin, world):
    text = "initial-report 4 hours\nfinal 2 weeks\nother x days"
    response = _create(admin, stages=text)
    assert response.status_code == 422
    page = html(response)
    assert "stages line 2: unit 'weeks' is not hours, days or months" in page
    assert "stages line 3: amount 'x' is not a whole number" in page
    assert text in page
    assert _stored(world) == ({}, {})


@pytest.mark.parametrize(("name", "message"), [
    ("nis2", "nis2 is a built-in regime and cannot be redefined"),
    ("central-bank-4h", "a regime named 'central-bank-4h' exists"),
])
def test_a_taken_name_is_refused(admin, world, name, message):
    _create(admin)
    response = _create(admin, name=name, stages="other 1 days", title="Another")
    assert response.status_code == 422 and message in html(response)
    assert _stored(world)[0]["central-bank-4h"][0]["name"] == "initial-report"
    assert set(_stored(world)[0]) == {"central-bank-4h"}


def test_an_unknown_regime_cannot_be_assigned(admin, world):
    response = _assign(admin, "finance", "no-such-regime")
    assert flashes(response) == [("error", "Regime: Not a valid choice.")]
    assert _stored(world)[1] == {}


def test_a_stored_regime_is_edited_but_a_built_in_is_not(admin, world):
    _create(admin)
    assert admin.get("/admin/regimes/nis2").status_code == 404
    page = admin.text("/admin/regimes/central-bank-4h")
    assert "initial-report 4 hours after awareness warn 1 hours" in page
    response = admin.post("/admin/regimes/central-bank-4h",
                          {"regime-name": "renamed", "regime-title": "Central bank (amended)", "regime-repeat": "y",
                           "regime-stages": "status 1 days warn 2 hours"},
                          form_page="/admin/regimes/central-bank-4h", follow_redirects=True)
    assert flashes(response) == [("success", "Regime central-bank-4h saved.")]
    assert _stored(world)[0] == {"central-bank-4h": [
        {"name": "status", "amount": 1, "unit": "days", "anchor": "awareness", "warn_minutes": 120}]}
    with world.runtime.sessions() as s:
        row = s.scalar(select(ReportingRegime).where(ReportingRegime.name == "central-bank-4h"))
        assert (row.title, row.repeat) == ("Central bank (amended)", True)
        assert s.scalar(select(func.count()).select_from(ReportingRegime)) == 1
