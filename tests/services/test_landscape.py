"""The threat landscape: monthly trends, the most reported CVEs, malware families and
ATT&CK techniques, and national incidents, all within the viewer's scope."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from ncert import periods
from ncert.db import transaction
from ncert.models import Incident, MispEvent, NationalIncident, NationalIncidentMember, TermRollup
from ncert.records import IndicatorRecord
from ncert.services import incidents, indicators, rollups
from ncert.services.landscape import landscape
from tests.services.kpi_helpers import Q3, report

Q3_PERIOD = periods.quarter(2026, 3)
PHISHING = 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"'
EMOTET = 'misp-galaxy:malpedia="Emotet"'


def tag(world, ref: str, *tags: str) -> None:
    """A MISP event on the incident carrying ``tags``."""
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        s.add(MispEvent(id=incident.id, uuid=str(uuid.uuid4()), org_id=incident.reporter_org_id,
                        incident_id=incident.id, info=incident.title, date=incident.reported_at.date(),
                        timestamp=1, tags=list(tags)))


def group(world, title: str, *refs: str) -> None:
    with transaction(world.runtime.sessions) as s:
        national = NationalIncident(reference="NI-2026-0001", title=title, created_by="playbook")
        s.add(national)
        s.flush()
        for ref in refs:
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            s.add(NationalIncidentMember(incident_id=incident.id, national_incident_id=national.id))


def cve(value: str) -> list[dict]:
    return [{"type": "cve", "value": value}]


def view(world, email: str, period=Q3_PERIOD):
    with world.runtime.sessions() as s:
        return landscape(s, world.actor(email), period)


def test_trends_per_month_by_class_sector_and_severity(world):
    report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=1), category="fraud/phishing", severity=2)
    report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=40), category="fraud/phishing", severity=3)
    report(world, "analyst@centralbank.test", reported=Q3 + timedelta(days=70), category="availability/ddos",
           severity=3)
    report(world, "analyst@gridco.test", reported=Q3 - timedelta(days=5), category="availability/ddos")  # 2026Q2

    found = view(world, "leader@ncert.test")
    assert found.months == ["2026-07", "2026-08", "2026-09"]
    assert (found.total, found.previous_total) == (3, 1)
    assert [(t.key, t.per_month, t.total, t.previous) for t in found.by_class] == [
        ("fraud", [1, 1, 0], 2, 0), ("availability", [0, 0, 1], 1, 1)]
    assert [(t.key, t.label, t.per_month) for t in found.by_sector] == [
        ("energy", "Energy", [1, 1, 0]), ("finance", "Banking and financial market infrastructure", [0, 0, 1])]
    assert [(t.key, t.total) for t in found.by_severity] == [("3", 2), ("2", 1), ("1", 0)]


def test_a_custom_range_has_its_own_months(world):
    report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=20))
    period = periods.parse(None, "2026-07-15", "2026-08-10", now=Q3)
    found = view(world, "leader@ncert.test", period)
    assert found.months == ["2026-07", "2026-08"] and found.by_class[0].per_month == [1, 0]


def test_most_reported_cves_malware_and_techniques(world):
    a = report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=1), indicators=cve("CVE-2026-1111"))
    b = report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=2), tlp="TLP:GREEN",
               indicators=cve("CVE-2026-1111") + cve("CVE-2026-2222"))
    tag(world, a, PHISHING, EMOTET, "tlp:green")
    tag(world, b, 'misp-galaxy:mitre-attack-pattern="Spearphishing Link - T1566.002"', EMOTET)
    found = view(world, "leader@ncert.test")
    assert [(t.name, t.incidents) for t in found.top_cves] == [("CVE-2026-1111", 2), ("CVE-2026-2222", 1)]
    assert [(t.name, t.incidents) for t in found.top_malware] == [("Emotet", 2)]
    assert [(t.name, t.incidents) for t in found.top_techniques] == [
        ("T1566 Phishing", 1), ("T1566.002 Spearphishing Link", 1)]


def test_merged_duplicates_and_other_periods_are_not_counted(world):
    kept = report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=1), indicators=cve("CVE-2026-1111"))
    duplicate = report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=2),
                       indicators=cve("CVE-2026-1111"))
    tag(world, duplicate, EMOTET)
    report(world, "analyst@gridco.test", reported=Q3 - timedelta(days=2), indicators=cve("CVE-2026-1111"))
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, duplicate, kept)
    found = view(world, "leader@ncert.test")
    assert found.total == 1
    assert [(t.name, t.incidents) for t in found.top_cves] == [("CVE-2026-1111", 1)]
    assert found.top_malware == []


def test_an_analyst_sees_the_landscape_of_what_it_may_see(world):
    mine = report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=1), tlp="TLP:AMBER",
                  indicators=cve("CVE-2026-1111"))
    hidden = report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=2), tlp="TLP:AMBER",
                    indicators=cve("CVE-2026-1111") + cve("CVE-2026-9999"))
    tag(world, hidden, EMOTET)
    report(world, "analyst@centralbank.test", reported=Q3 + timedelta(days=3), tlp="TLP:GREEN")
    group(world, "Campaign against energy", mine, hidden)

    found = view(world, "analyst@gridco.test")
    assert found.total == 2
    assert [t.key for t in found.by_sector] == ["energy", "finance"] and found.by_sector[0].total == 1
    assert [(t.name, t.incidents) for t in found.top_cves] == [("CVE-2026-1111", 1)]
    assert found.top_malware == [] and found.national_incidents == []

    national = view(world, "leader@ncert.test")
    assert [(c.reference, c.title, c.incidents, c.sectors) for c in national.national_incidents] == [
        ("NI-2026-0001", "Campaign against energy", 2, ["energy"])]


def _term_rows(session) -> list[tuple]:
    keys = [c for c in TermRollup.__table__.c if c.name != "id"]
    return sorted(tuple(row) for row in session.execute(select(*keys)))


def test_the_ranked_terms_follow_later_indicators_and_tags_and_equal_a_recount(world):
    """The term rollups count a CVE linked and a galaxy tag added after the report arrived,
    drop a tag taken off, and are what ``rollups.rebuild`` counts again from the incidents."""
    a = report(world, "analyst@gridco.test", reported=Q3 + timedelta(days=1))
    b = report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=3), tlp="TLP:GREEN",
               indicators=cve("CVE-2026-1111"))
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == a))
        indicators.attach(s, incident, [IndicatorRecord(**cve("CVE-2026-1111")[0])], incident.reporter_org_id)
    tag(world, a, EMOTET, PHISHING)
    tag(world, b, EMOTET)
    with transaction(world.runtime.sessions) as s:
        event = s.scalar(select(MispEvent).join(Incident).where(Incident.reference == a))
        event.tags = [EMOTET]
    found = view(world, "leader@ncert.test")
    assert [(t.name, t.incidents) for t in found.top_cves] == [("CVE-2026-1111", 2)]
    assert [(t.name, t.incidents) for t in found.top_malware] == [("Emotet", 2)]
    assert found.top_techniques == []
    with world.runtime.sessions() as s:
        kept = _term_rows(s)
    assert len(kept) == 4  # a CVE and a family for each of the two reports' cells
    with transaction(world.runtime.sessions) as s:
        rollups.rebuild(s, world.operator)
    with world.runtime.sessions() as s:
        assert _term_rows(s) == kept
