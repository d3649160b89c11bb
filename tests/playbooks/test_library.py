"""The default library: for each playbook, a realistic incident that fires it
and a near miss that must not."""

from __future__ import annotations

from sqlalchemy import select

from ncert.models import NationalIncidentMember
from tests.playbooks.helpers import look, set_entity

GRIDCO = "analyst@gridco.test"
POWERGEN = "analyst@powergen.test"
BANK = "analyst@centralbank.test"
OPERATOR = "operator@ncert.test"

RANSOMWARE = dict(
    title="LockBit ransomware encrypted SCADA historian servers",
    description="Ransom note found on 40 hosts; the control room lost its historian.",
    category="malicious-code/infected-system",
)


def test_ransomware_at_essential_entity(world, library):
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor(GRIDCO), **RANSOMWARE)
    with look(world, ref) as it:
        assert "ransomware-essential-entity" in it.fired()
        assert it.incident.severity == 3
        assert [d.stage for d in it.deadlines()] == ["early-warning", "incident-notification", "final-report"]
        assert [t.checklist for t in it.tasks()].count("Ransomware response") == 5
        assert [(r.title, r.org_id) for r in it.rfis()] == [("NIS2 early warning details", world.orgs["gridco"])]


def test_ransomware_near_miss_not_an_essential_entity(world, library):
    set_entity(world, "powergen", "important")
    ref = world.submit(world.actor(POWERGEN), **RANSOMWARE)
    with look(world, ref) as it:
        assert it.fired() == set()
        assert it.incident.severity == 1 and it.deadlines() == [] and it.tasks() == []


def test_ddos_on_government_eservices(world, library):
    ref = world.submit(world.actor(OPERATOR), reporter_org="national-cert", category="availability/ddos",
                       title="DDoS against the national tax filing portal",
                       description="Citizens cannot reach the e-services portal; 80 Gbit/s UDP flood.")
    with look(world, ref) as it:
        assert it.fired() == {"ddos-government-eservices"}
        assert it.incident.severity == 2
        assert "DDoS traffic details" in [t.title for t in it.tasks()]


def test_ddos_near_miss_outside_government(world, library):
    ref = world.submit(world.actor(BANK), category="availability/ddos",
                       title="DDoS against the online banking portal", description="Customers cannot log in.")
    with look(world, ref) as it:
        assert it.fired() == set()


def test_data_breach_with_personal_data_adds_the_dpa_task(world, library):
    ref = world.submit(world.actor(OPERATOR), reporter_org="cityhospital",
                       category="information-content-security/data-leak",
                       title="Patient records published on a leak site",
                       description="About 12,000 patient health records, with names and diagnoses.")
    with look(world, ref) as it:
        assert it.fired() == {"data-breach-personal-data"}
        titles = [t.title for t in it.tasks()]
        assert any("data-protection authority" in t for t in titles)


def test_data_breach_near_miss_without_personal_data(world, library):
    ref = world.submit(world.actor(BANK), category="information-content-security/data-leak",
                       title="Internal source code repository leaked", description="Build scripts and code only.")
    with look(world, ref) as it:
        assert it.fired() == set()


def _phish(world, email, **extra):
    return world.submit(world.actor(email), category="fraud/phishing", title="Credential phishing e-mail",
                        indicators=[{"type": "domain-name", "value": "login-microsoft-verify.example"}], **extra)


def test_phishing_wave_across_organisations(world, library):
    first = _phish(world, GRIDCO)
    with look(world, first) as it:
        assert it.fired() == set()  # one report alone is not a wave
    second = _phish(world, BANK)
    for ref in (first, second):  # the correlation marks the earlier report as part of the wave too
        with look(world, ref) as it:
            assert it.fired() == {"phishing-wave"}
            assert it.incident.severity == 2
            assert len(it.tasks()) == 3  # once, though created and correlated both matched the second


def test_phishing_near_miss_single_sector(world, library):
    _phish(world, GRIDCO)
    second = _phish(world, POWERGEN)  # another organisation, but the same sector
    with look(world, second) as it:
        assert it.fired() == set()


def test_known_exploited_vulnerability(world, library):
    ref = world.submit(world.actor(BANK), category="intrusions/application-compromise",
                       title="VPN gateway compromised through CVE-2024-3400",
                       description="The vulnerability is actively exploited and listed in the KEV catalogue.")
    with look(world, ref) as it:
        assert it.fired() == {"known-exploited-vulnerability"}
        assert it.incident.severity == 3


def test_known_exploited_vulnerability_near_miss_scan_only(world, library):
    ref = world.submit(world.actor(BANK), category="vulnerable/vulnerable-system",
                       title="Scanner found an outdated VPN gateway", description="Patch level behind vendor advice.")
    with look(world, ref) as it:
        assert it.fired() == set()


def test_supply_chain_compromise_of_a_widely_used_provider(world, library):
    ref = world.submit(world.actor(GRIDCO), category="malicious-code/malware-distribution",
                       title="Trojanised update of the FleetSoft asset-management agent",
                       description="The vendor's signed update carries a backdoor.",
                       affected_sectors=["finance", "health"])
    with look(world, ref) as it:
        assert it.fired() == {"supply-chain-provider"}
        assert it.incident.severity == 3
        assert it.s.get(NationalIncidentMember, it.incident.id) is not None


def test_supply_chain_near_miss_one_organisation(world, library):
    ref = world.submit(world.actor(GRIDCO), category="malicious-code/malware-distribution",
                       title="Trojanised update of an in-house tool", description="Only our build server.")
    with look(world, ref) as it:
        assert it.fired() == set()


C2 = [{"type": "ipv4-addr", "value": "203.0.113.77"}]


def test_same_indicator_from_three_sectors_opens_a_national_incident(world, library):
    refs = [world.submit(world.actor(GRIDCO), category="malicious-code/c2-server", title="Beacon", indicators=C2),
            world.submit(world.actor(BANK), category="malicious-code/c2-server", title="Beacon", indicators=C2),
            world.submit(world.actor(OPERATOR), reporter_org="cityhospital", category="malicious-code/c2-server",
                         title="Beacon", indicators=C2)]
    with look(world, refs[2]) as it:
        assert it.fired() == {"cross-sector-indicator"}
        assert it.incident.severity == 3
        national = it.s.get(NationalIncidentMember, it.incident.id).national_incident_id
    fourth = world.submit(world.actor(OPERATOR), reporter_org="national-cert", category="malicious-code/c2-server",
                          title="Beacon", indicators=C2)
    with look(world, fourth) as it:
        assert it.fired() == {"cross-sector-indicator"}
        assert it.s.get(NationalIncidentMember, it.incident.id).national_incident_id == national
        grouped = set(it.s.scalars(select(NationalIncidentMember.incident_id).where(
            NationalIncidentMember.national_incident_id == national)))
    assert len(grouped) == 4  # the later report joined the national incident the first three opened


def test_same_indicator_from_two_sectors_is_a_near_miss(world, library):
    world.submit(world.actor(GRIDCO), category="malicious-code/c2-server", title="Beacon", indicators=C2)
    world.submit(world.actor(POWERGEN), category="malicious-code/c2-server", title="Beacon", indicators=C2)
    ref = world.submit(world.actor(BANK), category="malicious-code/c2-server", title="Beacon", indicators=C2)
    with look(world, ref) as it:
        assert it.fired() == set()  # three organisations, but two sectors


def test_level_four_enters_crisis_mode(world, library):
    ref = world.submit(world.actor(OPERATOR), reporter_org="gridco", severity=4, category="availability/outage",
                       title="Regional blackout after intrusion in transmission control")
    with look(world, ref) as it:
        assert it.fired() == {"crisis-mode"}
        assert [(d.regime, d.stage) for d in it.deadlines()] == [("crisis-status", "status-report")]
        assert "Convene the crisis cell" in [t.title for t in it.tasks()]


def test_level_three_is_a_near_miss_for_crisis_mode(world, library):
    ref = world.submit(world.actor(OPERATOR), reporter_org="gridco", severity=3, category="availability/outage",
                       title="Substation outage")
    with look(world, ref) as it:
        assert it.fired() == set()
