"""Detection wired to the domain: the incidents hook, training and the volume check.

Runs as the national centre's system actor. Whatever it finds it hands to the
playbook engine (``engine.fire``), whose actions are internal; its own
timeline notes are internal too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from detection import anomaly, categorisation, correlation, volume
from detection.settings import DetectionSettings
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.models import AnomalyScore, Incident
from ncert.runtime import Runtime, hooks_of
from ncert.services import directory, incidents

INTERFACE = "detection"
PENDING = "detection.pending"  # session.info key: incidents changed or created in this unit of work


EXTENSION = "detection"  # its settings on a runtime (``ncert.runtime.Hooks.extensions``)


def _installed(session: Session) -> DetectionSettings | None:
    """The settings detection was installed with on the runtime that made ``session``, if any."""
    return hooks_of(session).extensions.get(EXTENSION)


def settings(session: Session | None = None) -> DetectionSettings:
    """The installed settings; from the environment when detection is not installed (CLI, scheduler)."""
    return (_installed(session) if session is not None else None) or DetectionSettings.from_env()


def system_actor(session: Session) -> Actor:
    return directory.system_actor(session, settings(session).national_org, INTERFACE)


@dataclass
class _Pending:
    """Incidents of one unit of work still to be correlated (changed) and scored (created)."""

    changed: dict[int, Incident] = field(default_factory=dict)
    created: dict[int, Incident] = field(default_factory=dict)


def on_incident_changed(session: Session, actor: Actor, incident: Incident, change: str) -> None:
    """The incidents service hook: note the incident; detection runs on the whole
    unit of work just before it commits (``detect``), so a TAXII push or CSV
    import is correlated and scored in a few grouped queries and one model call.
    Changes the playbook engine makes are its own and not looked at again."""
    from playbooks import engine

    if _installed(session) is None or engine.running():
        return
    if PENDING not in session.info:
        event.listen(session, "before_commit", _detect_pending)
        event.listen(session, "after_rollback", _forget_pending)
        session.info[PENDING] = _Pending()
    pending = session.info[PENDING]
    pending.changed[incident.id] = incident
    if change == "created":
        pending.created[incident.id] = incident


def _detect_pending(session: Session) -> None:
    pending, session.info[PENDING] = session.info[PENDING], _Pending()
    if pending.changed and _installed(session) is not None:
        detect(session, list(pending.changed.values()), list(pending.created.values()), utcnow())


def _forget_pending(session: Session) -> None:
    session.info[PENDING] = _Pending()


def detect(session: Session, changed: list[Incident], created: list[Incident], now: datetime) -> None:
    """Correlate the changed incidents and score the new ones, firing the playbook triggers."""
    system = system_actor(session)
    found = correlation.correlate(session, system, changed, now, settings(session).correlation_max_incidents)
    correlation.fire(session, found, now)
    score_new(session, system, created, now)


def score_new(session: Session, actor: Actor, batch: list[Incident], now: datetime) -> dict[int, float]:
    """Score incidents and fire ``anomaly.flagged`` on those at or above the threshold."""
    from playbooks import engine

    scores = anomaly.score(session, actor, batch, now)
    threshold = settings(session).anomaly_threshold
    engine.fire(session, "anomaly.flagged", [i for i in batch if scores.get(i.id, 0.0) >= threshold], now=now)
    return scores


def train(session: Session, now: datetime | None = None) -> anomaly.Trained | None:
    """Retrain the anomaly model on the recent history (the scheduler and ``ncert detection train``)."""
    return anomaly.train(session, system_actor(session), min_incidents=settings(session).anomaly_min_incidents, now=now)


def train_categorisers(session: Session) -> list:
    """New categoriser versions from the corpus and operators' decisions, where they changed
    (the scheduler and ``ncert models train``); see ``detection.training``."""
    from detection import training

    return training.train(session, system_actor(session).label)


def flag_volume_spikes(session: Session, now: datetime | None = None) -> list[volume.Spike]:
    """Note each spike on the incidents of its window not flagged yet, and fire
    ``anomaly.flagged`` on them; returns the spikes found."""
    from playbooks import engine

    now = now or utcnow()
    actor = system_actor(session)
    found = volume.spikes(session, actor, now)
    for spike in found:
        for incident_id in spike.incident_ids:
            row = session.get(AnomalyScore, incident_id)
            if row is not None and row.volume_flagged_at is not None:
                continue
            if row is None:
                row = AnomalyScore(incident_id=incident_id)
                session.add(row)
            row.volume_z, row.volume_flagged_at = spike.z, now
            incident = session.get(Incident, incident_id)
            incidents.note(session, actor, incident, "detection", spike.describe(), action="detection.volume-spike",
                           internal=True, sector=spike.sector, count=spike.count, baseline=spike.baseline,
                           z=round(spike.z, 2))
            session.flush()
            engine.fire(session, "anomaly.flagged", [incident], now=now)
    return found


def install(runtime: Runtime, settings: DetectionSettings | None = None) -> None:
    """Make detection a listener of ``runtime``'s incident events (idempotent); settings from the environment
    by default. The categoriser (``detection.categorisation``) comes first, so the others see its suggestion."""
    categorisation.install(runtime)
    runtime.hooks.extensions[EXTENSION] = settings or DetectionSettings.from_env()
    if on_incident_changed not in runtime.hooks.incident_listeners:
        runtime.hooks.incident_listeners.append(on_incident_changed)


def uninstall(runtime: Runtime) -> None:
    """Stop acting on ``runtime``'s incident events."""
    categorisation.uninstall(runtime)
    while on_incident_changed in runtime.hooks.incident_listeners:
        runtime.hooks.incident_listeners.remove(on_incident_changed)
    runtime.hooks.extensions.pop(EXTENSION, None)
