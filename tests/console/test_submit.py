"""Reporting an incident from the console."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from ncert.models import Incident, Indicator
from ncert.services import indicators
from tests.console.helpers import flashes, html


def incident_count(runtime) -> int:
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(Incident))


def form(**fields) -> dict:
    base = {"title": "Credential phishing against field engineers", "description": "Lure impersonates the HR portal.",
            "category": "fraud/phishing", "severity": "2", "tlp": "TLP:AMBER", "occurred_at": "", "aware_at": "",
            "indicators": ""}
    return {**base, **fields}


def test_analyst_submits_with_indicators_and_lands_on_the_new_incident(as_user, world):
    analyst = as_user("analyst@gridco.test")
    response = analyst.post("/submit", form(
        affected_sectors=["finance", "health"], occurred_at="2026-01-04T22:15", aware_at="2026-01-05T06:30",
        indicators="# from the mail gateway\nipv4-addr 198.51.100.7\n\ndomain-name HR-Portal.Example\n"
                   "url https://hr-portal.example/login\n", reporter_org="centralbank"), form_page="/submit")
    assert response.status_code == 302
    ref = response.headers["Location"].removeprefix("/incidents/")
    page = analyst.get(response.headers["Location"])
    assert flashes(page) == [("success", f"{ref} submitted to the national queue.")]
    with world.runtime.sessions() as s:
        inc = s.scalar(select(Incident).where(Incident.reference == ref))
        assert inc.reporter_org.slug == "gridco"  # analysts always report as their own organisation
        assert (inc.title, inc.category, inc.severity, str(inc.tlp), inc.source_channel) == (
            "Credential phishing against field engineers", "fraud/phishing", 2, "TLP:AMBER", "console")
        assert [s_.slug for s_ in inc.affected_sectors] == ["finance", "health"]
        assert inc.occurred_at == datetime(2026, 1, 4, 22, 15, tzinfo=timezone.utc)
        assert inc.aware_at == datetime(2026, 1, 5, 6, 30, tzinfo=timezone.utc)
        assert [(i.type, i.value) for i in indicators.of_incident(s, inc.id)] == [
            ("domain-name", "hr-portal.example"), ("ipv4-addr", "198.51.100.7"), ("url", "https://hr-portal.example/login")]


def test_form_defaults_to_amber_and_the_analysts_own_organisation(as_user, world):
    page = html(as_user("analyst@gridco.test").get("/submit"))
    assert '<option selected value="TLP:AMBER">' in page
    assert "GridCo Transmission" in page and 'name="reporter_org"' not in page
    assert 'name="csrf_token"' in page


def test_a_wrong_indicator_line_is_named_and_nothing_is_written(as_user, world):
    analyst = as_user("analyst@gridco.test")
    before = incident_count(world.runtime)
    response = analyst.post("/submit", form(indicators="ipv4-addr 198.51.100.7\nipv4-addr 999.1.1.1\n"
                                                       "sha256 abc\nhostname x.example"), form_page="/submit")
    assert response.status_code == 422
    page = html(response)
    assert "line 2 (ipv4-addr 999.1.1.1): '999.1.1.1' is not an IPv4 address or network" in page
    assert "line 3 (sha256 abc): 'abc' is not a sha256 hash (64 hex digits)" in page
    assert "line 4 (hostname x.example): unknown indicator type 'hostname'" in page
    assert "line 1" not in page
    assert "Credential phishing against field engineers" in page  # the input is kept for correction
    assert incident_count(world.runtime) == before
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Indicator)) == 0


@pytest.mark.parametrize(("fields", "message"), [
    ({"title": "  "}, "This field is required."),
    ({"category": "fraud/teleportation"}, "Not a valid choice."),
    ({"tlp": "TLP:WHITE"}, "Not a valid choice."),
    ({"occurred_at": "2026-01-06T10:00", "aware_at": "2026-01-05T06:30"}, "occurred_at is after aware_at"),
    ({"aware_at": "2999-01-01T00:00"}, "aware_at is in the future"),
])
def test_invalid_submissions_are_explained_and_write_nothing(as_user, world, fields, message):
    before = incident_count(world.runtime)
    response = as_user("analyst@gridco.test").post("/submit", form(**fields), form_page="/submit")
    assert response.status_code == 422
    assert message in html(response)
    assert incident_count(world.runtime) == before


def test_staff_report_on_behalf_of_an_organisation(as_user, world):
    operator = as_user("operator@ncert.test")
    assert 'name="reporter_org"' in html(operator.get("/submit"))
    response = operator.post("/submit", form(reporter_org="cityhospital", tlp="TLP:RED"), form_page="/submit")
    ref = response.headers["Location"].removeprefix("/incidents/")
    with world.runtime.sessions() as s:
        inc = s.scalar(select(Incident).where(Incident.reference == ref))
        assert inc.reporter_org.slug == "cityhospital" and inc.sector.slug == "health" and str(inc.tlp) == "TLP:RED"


def test_leadership_cannot_submit(as_user, world):
    leader = as_user("leader@ncert.test")
    response = leader.get("/submit")
    assert response.status_code == 403
    assert "leadership accounts review; they do not submit incidents" in html(response)
    before = incident_count(world.runtime)
    assert leader.post("/submit", form(reporter_org="national-cert")).status_code == 403
    assert incident_count(world.runtime) == before


def test_the_reference_links_back_from_the_queue(as_user, world):
    analyst = as_user("analyst@gridco.test")
    ref = analyst.post("/submit", form(), form_page="/submit").headers["Location"].removeprefix("/incidents/")
    assert re.fullmatch(r"NC-\d{4}-\d{6}", ref)
    assert f'href="/incidents/{ref}"' in html(analyst.get("/queue"))
