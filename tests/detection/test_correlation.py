"""Cross-sector correlation: each playbook acts once per incident when its rule
first holds, within the window, across sectors only, never on noisy values,
and reveals nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from detection import correlation, service
from ncert.db import transaction, utcnow
from ncert.models import Incident, NationalIncidentMember, Notification, PlaybookFiring
from ncert.services import incidents

GRIDCO, POWERGEN, BANK, OPERATOR = ("analyst@gridco.test", "analyst@powergen.test", "analyst@centralbank.test",
                                    "operator@ncert.test")
C2 = [{"type": "ipv4-addr", "value": "203.0.113.77"}]


def _report(world, who, org=None, indicators=C2, tlp="TLP:AMBER") -> str:
    extra = {"reporter_org": org} if org else {}
    return world.submit(world.actor(who), category="malicious-code/c2-server", title="Beacon", indicators=indicators,
                        tlp=tlp, **extra)


def _firings(world, ref, playbook="correlation-watch") -> set[str]:
    with world.runtime.sessions() as s:
        stmt = (select(PlaybookFiring.subject).join(Incident, Incident.id == PlaybookFiring.incident_id)
                .where(Incident.reference == ref, PlaybookFiring.playbook == playbook))
        return set(s.scalars(stmt))


def _total_firings(world) -> int:
    with world.runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(PlaybookFiring))


def test_three_sectors_fire_on_every_report_and_open_a_national_incident(world, installed):
    first = _report(world, GRIDCO)
    assert _firings(world, first) == set()  # one sector: nothing to correlate
    second = _report(world, BANK)
    assert _firings(world, first) == _firings(world, second) == {""}
    assert _firings(world, second, "cross-sector-indicator") == set()  # two sectors: not yet a campaign
    third = _report(world, OPERATOR, org="cityhospital")
    for ref in (first, second, third):
        assert _firings(world, ref) == _firings(world, ref, "cross-sector-indicator") == {""}
    # The earlier reports were escalated too, not only the one that completed the picture.
    with world.runtime.sessions() as s:
        rows = s.execute(select(Incident.reference, Incident.severity, NationalIncidentMember.national_incident_id)
                         .join(NationalIncidentMember, NationalIncidentMember.incident_id == Incident.id)).all()
    assert {ref for ref, _, _ in rows} == {first, second, third}
    assert {severity for _, severity, _ in rows} == {3} and len({nat for _, _, nat in rows}) == 1
    with world.runtime.sessions() as s:  # one e-mail per report, not one per report and trigger
        mails = s.scalar(select(func.count()).select_from(Notification).where(Notification.channel == "email"))
    assert mails == 3


def test_a_further_sector_fires_again_but_rerunning_never_doubles(world, installed):
    refs = [_report(world, GRIDCO), _report(world, BANK), _report(world, OPERATOR, org="cityhospital")]
    before = _total_firings(world)
    with transaction(world.runtime.sessions) as s:
        for ref in refs:
            incident = s.scalar(select(Incident).where(Incident.reference == ref))
            service.on_incident_changed(s, world.operator, incident, "patched")
    assert _total_firings(world) == before
    assert all(_firings(world, ref, "four-sectors") == set() for ref in refs)
    fourth = _report(world, OPERATOR, org="national-cert")  # government: a fourth sector
    assert all(_firings(world, ref, "four-sectors") == {""} for ref in (*refs, fourth))
    with world.runtime.sessions() as s:
        assert set(s.scalars(select(Incident.severity))) == {4}


def test_same_sector_repeats_do_not_correlate(world, installed):
    refs = [_report(world, GRIDCO), _report(world, POWERGEN), _report(world, OPERATOR, org="energy-cert")]
    assert all(_firings(world, ref) == set() for ref in refs)


def test_reports_outside_the_window_do_not_count(world, installed):
    old = _report(world, GRIDCO)
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Incident).where(Incident.reference == old)
                  .values(reported_at=utcnow() - timedelta(hours=73)))
    second, third = _report(world, BANK), _report(world, OPERATOR, org="cityhospital")
    assert _firings(world, old) == set()
    assert _firings(world, second) == _firings(world, third) == {""}
    assert _firings(world, third, "cross-sector-indicator") == set()


def test_an_indicator_on_too_many_reports_is_noise(world, installed):
    resolver = [{"type": "ipv4-addr", "value": "192.0.2.53"}]
    reporters = [(GRIDCO, None), (BANK, None), (OPERATOR, "cityhospital"), (POWERGEN, None), (BANK, None),
                 (OPERATOR, "national-cert")]
    refs = [_report(world, who, org, indicators=resolver) for who, org in reporters]
    # The fifth report still correlates (5 ≤ the cut-off of 5); the sixth makes it noise.
    assert _firings(world, refs[4]) == _firings(world, refs[4], "cross-sector-indicator") == {""}
    assert _firings(world, refs[5]) == set()
    with world.runtime.sessions() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == refs[5]))
        actor = service.system_actor(s)
        assert correlation.correlate(s, actor, [incident], utcnow(), max_incidents=5) == []
        assert [c.sectors for c in correlation.correlate(s, actor, [incident], utcnow(), max_incidents=6)] == [4]


def test_correlation_reveals_nothing_to_the_reporters(world, installed):
    mine = _report(world, GRIDCO, tlp="TLP:RED")
    theirs = _report(world, BANK, tlp="TLP:RED")
    assert _firings(world, mine)  # correlated behind the scenes
    with world.runtime.sessions() as s:
        analyst = world.actor(GRIDCO)
        incident = incidents.get(s, analyst, mine)
        entries = incidents.timeline(s, analyst, incident)
        assert [e.kind for e in entries] == ["created"]
        assert all(theirs not in e.body for e in entries)
