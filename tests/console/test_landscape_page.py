"""The threat landscape page: trends by RSIT class, sector and severity as SVG charts
with a title, a description and a table for screen readers, the most reported CVEs,
malware families and ATT&CK techniques, national incidents for national staff, all
within the viewer's scope; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident, MispEvent, NationalIncident, NationalIncidentMember
from tests.console.helpers import html
from tests.console.issue10_helpers import without_picker
from tests.differential import Differential
from tests.services.kpi_helpers import Q3, report

LEADER, GRIDCO = "leader@ncert.test", "analyst@gridco.test"
CHARTS = ("trend-class", "trend-sector", "trend-severity", "top-cves", "top-malware", "top-techniques")


def tag(world, ref: str, *tags: str) -> None:
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        s.add(MispEvent(id=incident.id, uuid=str(uuid.uuid4()), org_id=incident.reporter_org_id,
                        incident_id=incident.id, info=incident.title, date=incident.reported_at.date(), timestamp=1,
                        tags=list(tags)))


def fallback(page: str, key: str) -> list[list[str]]:
    """The rows of a chart's screen-reader table."""
    figure = page[page.index(f'<figure class="chart" id="{key}">'):]
    body = figure[figure.index("<tbody>"):figure.index("</tbody>")]
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body)]


@pytest.fixture
def reports(world) -> dict[str, str]:
    cve = [{"type": "cve", "value": "CVE-2026-1111"}]
    refs = {
        "grid": report(world, GRIDCO, reported=Q3 + timedelta(days=2), tlp="TLP:GREEN", severity=3,
                       category="malicious-code/infected-system", indicators=cve),
        "grid2": report(world, GRIDCO, reported=Q3 + timedelta(days=40), tlp="TLP:GREEN", severity=2,
                        category="malicious-code/infected-system"),
        "hidden": report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=5), tlp="TLP:AMBER",
                         severity=4, category="intrusions/system-compromise",
                         indicators=[{"type": "cve", "value": "CVE-2026-2222"}]),
    }
    tag(world, refs["grid"], 'misp-galaxy:malpedia="Emotet"', 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"')
    tag(world, refs["hidden"], 'misp-galaxy:malpedia="LockBit"')
    with transaction(world.runtime.sessions) as s:
        national = NationalIncident(reference="NI-2026-0001", title="Grid campaign", created_by="test")
        s.add(national)
        s.flush()
        for name in ("grid", "hidden"):
            incident = s.scalar(select(Incident).where(Incident.reference == refs[name]))
            s.add(NationalIncidentMember(incident_id=incident.id, national_incident_id=national.id))
    return refs


def test_national_staff_see_every_trend_top_list_and_the_national_incidents(world, reports, as_user):
    response = as_user(LEADER).get("/landscape?period=2026Q3")
    page = html(response)
    assert "3 incidents in 2026Q3 (0 in 2026Q2)" in page
    assert fallback(page, "trend-class") == [["malicious-code", "1", "1", "0"], ["intrusions", "1", "0", "0"]]
    assert fallback(page, "top-cves") == [["CVE-2026-1111", "1"], ["CVE-2026-2222", "1"]]
    assert fallback(page, "top-malware") == [["Emotet", "1"], ["LockBit", "1"]]
    assert fallback(page, "top-techniques") == [["T1566 Phishing", "1"]]
    campaigns = page[page.index('id="national-incidents"'):]
    assert "NI-2026-0001" in campaigns and "Grid campaign" in campaigns
    assert "<script" not in page and "script-src" not in response.headers["Content-Security-Policy"]


def test_every_chart_names_itself_and_carries_its_table(world, reports, as_user):
    page = as_user(LEADER).text("/landscape?period=2026Q3")
    for key in CHARTS:
        svg = re.search(rf'<figure class="chart" id="{key}"><svg [^>]*>', page).group(0)
        assert f'role="img" aria-labelledby="{key}-title {key}-desc"' in svg
        assert f'<title id="{key}-title">' in page and f'<desc id="{key}-desc">' in page
        assert re.search(rf'id="{key}">.*?<div class="sr-only"><table><caption>', page, re.S)
    assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", page.split("<main")[1])  # nothing external


def test_an_analyst_sees_the_landscape_of_what_it_may_see(world, reports, as_user):
    page = html(as_user(GRIDCO).get("/landscape?period=2026Q3"))
    assert "2 incidents in 2026Q3" in page
    assert fallback(page, "top-cves") == [["CVE-2026-1111", "1"]]
    assert fallback(page, "top-malware") == [["Emotet", "1"]]
    assert "CVE-2026-2222" not in page and "LockBit" not in page and "intrusions" not in page
    assert 'id="national-incidents"' not in page and "NI-2026-0001" not in page


def test_a_bad_period_is_a_clear_400(world, as_user):
    response = as_user(LEADER).get("/landscape?period=2026Q7")
    assert response.status_code == 400 and "is not a quarter like 2026Q3" in html(response)


def test_the_landscape_does_not_depend_on_a_report_its_viewer_cannot_see(world, as_user):
    probe = Differential(secret="CVE-2026-40001", control="CVE-2026-40002")
    quarters = {probe.secret: ("2026Q3", Q3, "2026Q2"), probe.control: ("2025Q3", Q3 - timedelta(days=365), "2025Q2")}
    gridco = as_user(GRIDCO)

    def view(value: str) -> str:
        label, start, previous = quarters[value]
        if value == probe.secret:
            hidden = report(world, "analyst@powergen.test", reported=start + timedelta(days=3), tlp="TLP:AMBER",
                            severity=4, category="malicious-code/infected-system",
                            indicators=[{"type": "cve", "value": value}])
            tag(world, hidden, 'misp-galaxy:malpedia="Emotet"')
        own = report(world, GRIDCO, reported=start + timedelta(days=4), tlp="TLP:GREEN", severity=2,
                     category="malicious-code/infected-system", indicators=[{"type": "cve", "value": value}])
        tag(world, own, 'misp-galaxy:malpedia="Emotet"')
        page = without_picker(gridco.text(f"/landscape?period={label}"))
        for old, new in ((label, "<PERIOD>"), (previous, "<PREVIOUS>")):
            page = page.replace(old, new)
        return re.sub(r"\d{4}-\d{2}(?=[<\"])", "<MONTH>", page)

    probe.assert_same(view)
