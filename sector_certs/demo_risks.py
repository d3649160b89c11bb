"""The demo's national cyber-risk register, written through the real services.

``import_register`` imports ``demo_risks.yaml`` as ``ncert risks import`` does,
dated before the simulated incidents; during the replay a ``Linker`` lets the
operator who triages an incident link it to the risks it evidences; and
``watch_drift`` then runs the scheduler's drift check at simulated times, so
risks whose incidents outgrew their assessment show "review suggested".
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.models import Incident, Risk
from ncert.services import risk_evidence, risk_links, risks

DATA = Path(__file__).with_name("demo_risks.yaml")
DATE_KEYS = ("next_review_on", "due", "expires_on")  # written in the file as days from the demo's day
LINKS_PER_MONTH = 2  # per risk: operators link the first incidents of each month that evidence it
LINK_SEVERITY = 1  # low and above
DRIFT_CHECK_EVERY = timedelta(days=14)  # the scheduler checks daily; fortnightly keeps the demo quick


def entries(today: date) -> list[dict]:
    """The register entries of ``demo_risks.yaml`` with their relative dates made dates."""
    return [_dated(entry, today) for entry in yaml.safe_load(DATA.read_text(encoding="utf-8"))["risks"]]


def _dated(value, today: date, key: str | None = None):
    if isinstance(value, dict):
        return {k: _dated(v, today, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_dated(v, today) for v in value]
    if key in DATE_KEYS and isinstance(value, int):
        return (today + timedelta(days=value)).isoformat()
    return value


def import_register(session: Session, author: Actor, at: datetime, today: date) -> list[Risk]:
    """Import the demo register as ``author`` at ``at``; answers its risks."""
    risks.import_register(session, author, entries(today), source=DATA.name, now=at)
    return risks.list_risks(session, author)


def evidences(risk: Risk, incident: Incident) -> bool:
    """Whether ``incident`` matches ``risk`` by sector and RSIT class or class/type, the only
    criteria the demo's risks name (``risk_evidence.criteria`` is the rule itself)."""
    threat = risk.threat.get("rsit", [])
    return (incident.sector.slug in risk.sectors
            and (incident.rsit_class in threat or f"{incident.rsit_class}/{incident.rsit_type}" in threat)
            and incident.severity >= risk.evidence.get("min_severity", 0))


class Linker:
    """Links each incident an operator triages to the risks it evidences, a few per risk and month."""

    def __init__(self, session: Session, register: list[Risk]):
        self.session = session
        self.register = register
        self.linked: Counter[tuple[int, str]] = Counter()  # (risk id, month) -> links

    def triaged(self, incident: Incident, operator: Actor, at: datetime) -> None:
        if incident.severity < LINK_SEVERITY:
            return
        month = f"{at:%Y-%m}"
        for risk in self.register:
            if self.linked[risk.id, month] < LINKS_PER_MONTH and evidences(risk, incident):
                risk_links.link(self.session, operator, incident.reference, risk.reference)
                self.linked[risk.id, month] += 1


def watch_drift(session: Session, system: Actor, drift_days: int, start: datetime, end: datetime) -> list[Risk]:
    """Run the drift check every ``DRIFT_CHECK_EVERY`` from ``start`` and at ``end``; answers the risks flagged."""
    flagged, at = [], start
    while at < end:
        flagged += risk_evidence.check_drift(session, system, drift_days, now=at)
        at += DRIFT_CHECK_EVERY
    return flagged + risk_evidence.check_drift(session, system, drift_days, now=end)
