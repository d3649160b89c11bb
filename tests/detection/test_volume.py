"""Volume spikes: a sector's last 24 hours against its own recent days."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from detection import service, volume
from ncert.db import transaction
from ncert.models import AnomalyScore, Incident, PlaybookFiring, TimelineEntry
from ncert.records import IncidentRecord
from ncert.services import incidents
from tests.detection.history import NOW


def _seed(world, per_day: dict[str, list[int]]) -> dict[str, list[str]]:
    """``per_day[org][d]`` reports by ``org`` on day ``d`` before NOW (0: the last 24 hours)."""
    rng = random.Random(3)
    refs: dict[str, list[str]] = {}
    with transaction(world.runtime.sessions) as s:
        for org, counts in per_day.items():
            for day, count in enumerate(counts):
                for _ in range(count):
                    record = IncidentRecord(title="Report", reporter_org=org)
                    incident = incidents.submit(s, world.operator, record, channel="api").incident
                    incident.reported_at = NOW - timedelta(days=day, minutes=rng.randint(1, 1439))
                    if day == 0:
                        refs.setdefault(org, []).append(incident.reference)
    return refs


def test_robust_z_ignores_an_earlier_spike_in_the_baseline():
    baseline = [2, 3, 2, 1, 2, 3, 2, 40, 2, 3]
    z, centre = volume.robust_z(12, baseline)
    assert centre == 2 and z > volume.Z_THRESHOLD
    assert volume.robust_z(4, baseline)[0] < volume.Z_THRESHOLD


def test_a_spiking_sector_is_flagged_once_and_fires(world, installed):
    usual = [2, 3, 2, 1, 2, 3, 2, 2, 3, 1, 2, 2, 3, 2, 2, 1, 3, 2, 2, 2, 3, 1, 2, 2, 3, 2, 2, 1, 2]
    today = _seed(world, {"gridco": [12, *usual[1:]], "centralbank": usual})
    with transaction(world.runtime.sessions) as s:
        [spike] = service.flag_volume_spikes(s, now=NOW)
    assert spike.sector == "energy" and spike.count == 12 and spike.baseline == 2
    with transaction(world.runtime.sessions) as s:
        assert len(service.flag_volume_spikes(s, now=NOW)) == 1  # still spiking, nothing new to flag
    with world.runtime.sessions() as s:
        flagged = set(s.scalars(select(Incident.reference).join(AnomalyScore, AnomalyScore.incident_id == Incident.id)
                                .where(AnomalyScore.volume_z.is_not(None))))
        notes = list(s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "detection")))
        fired = set(s.execute(select(Incident.reference, PlaybookFiring.subject)
                              .join(PlaybookFiring, PlaybookFiring.incident_id == Incident.id)
                              .where(PlaybookFiring.playbook == "volume-watch")).all())
    assert flagged == set(today["gridco"])
    assert len(notes) == 12 and all(n.internal and "sector energy: 12 reports" in n.body for n in notes)
    assert fired == {(ref, "") for ref in today["gridco"]}


def test_a_quiet_sector_needs_several_reports(world):
    _seed(world, {"cityhospital": [3] + [0] * 28})
    with world.runtime.sessions() as s:
        assert volume.spikes(s, service.system_actor(s), NOW) == []
