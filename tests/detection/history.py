"""A realistic, seeded synthetic history: each organisation reports its sector's
usual categories in office hours, with a few indicators and a same-day report."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ncert.db import transaction
from ncert.models import Incident
from ncert.records import IncidentRecord
from ncert.services import incidents

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)  # a Friday noon
PROFILES = {
    "gridco": ("malicious-code/c2-server", "intrusion-attempts/brute-force", "information-gathering/scanner"),
    "powergen": ("malicious-code/c2-server", "information-gathering/scanner", "fraud/phishing"),
    "centralbank": ("fraud/phishing", "availability/ddos", "information-gathering/scanner"),
    "cityhospital": ("malicious-code/infected-system", "fraud/phishing", "intrusion-attempts/brute-force"),
}


def seed(world, count: int, *, seed: int = 7, now: datetime = NOW) -> list[str]:
    """``count`` incidents over the 60 days before ``now``, backdated; returns their references."""
    rng = random.Random(seed)
    refs = []
    with transaction(world.runtime.sessions) as s:
        for i in range(count):
            org = rng.choice(list(PROFILES))
            record = IncidentRecord(
                title="Routine report", description="x" * rng.randint(40, 220), category=rng.choice(PROFILES[org]),
                severity=rng.choice((1, 1, 2)), reporter_org=org,
                indicators=[{"type": "ipv4-addr", "value": f"198.18.{i // 250}.{i % 250 + j}"}
                            for j in range(rng.randint(1, 3))])
            incident = incidents.submit(s, world.operator, record, channel="api").incident
            day = now - timedelta(days=rng.randint(1, 60))
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            reported = day.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59))
            incident.reported_at = reported
            incident.aware_at = reported - timedelta(hours=rng.randint(1, 20))
            refs.append(incident.reference)
    return refs


def backdate(world, ref: str, reported_at: datetime, aware_at: datetime | None = None) -> None:
    with transaction(world.runtime.sessions) as s:
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        incident.reported_at, incident.aware_at = reported_at, aware_at
