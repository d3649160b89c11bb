"""The volume and anomaly detectors evaluated on simulated traffic with injected surges (issue 13).

``evaluate`` loads a seeded ``sector_certs.simulator`` stream into an empty database through
``incidents.submit``, each report back-dated to its simulated time, plus *surges*
(``simulator.surge``): ``size`` extra reports of one category from one sector's organisations,
spread over a few hours from a known start. It then plays the scheduler's hourly detection job
over the evaluation period, hour by hour, with the product's own code and settings:
``anomaly.train`` (the last 90 days, at least ``anomaly_min_incidents`` reports), then
``service.flag_volume_spikes``; each report of the following hour is scored by ``anomaly.score``
as intake would, flagged at ``anomaly_threshold``. One departure, for speed: the anomaly model is
retrained every ``Setup.retrain_hours`` (the scheduler retrains every hour). Lifecycles are not
replayed; neither detector reads them.

Matching rule. An *alert* is a time, a sector and the reports it points at (its evidence):

* volume: each hourly run in which a sector spikes and at least one of its last-24-hour reports is
  newly flagged (what writes notes and fires ``anomaly.flagged``); at the run's time, the
  evidence is every report of the spike's 24 hours;
* anomaly: each report scoring at least the threshold, at its report time; the evidence is it.

An alert *matches* a surge when its evidence holds one of the surge's injected reports. Over the
alerts raised in the evaluation period: precision = matching alerts / alerts (``None`` without
alerts); recall = surges matched by at least one alert / surges injected (``None`` without
surges); time to detect = first matching alert − surge start, median and maximum over the
detected surges. Alerts matching no surge are false alerts, also given per day.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from detection import anomaly, service
from detection.settings import DetectionSettings
from ncert.config import Settings
from ncert.db import transaction
from ncert.models import AnomalyScore, Incident
from ncert.runtime import Runtime
from ncert.schema import upgrade
from ncert.services import incidents
from sector_certs import registry, simulator

HOUR = timedelta(hours=1)
CHANNEL = "evaluation"
BATCH = 500  # reports submitted per transaction


@dataclass(frozen=True)
class Scenario:
    """A kind of surge: one category reported by one sector's organisations over ``hours``."""

    sector: str
    category: str
    hours: float


# Waves a national CERT sees (ENISA Threat Landscape 2023 names phishing against finance, DDoS
# against government and ransomware against health among the prevalent threats,
# https://www.enisa.europa.eu/publications/enisa-threat-landscape-2023), and exploitation of
# exposed OT in a small sector.
SCENARIOS = (
    Scenario("banking", "fraud/phishing", 6),
    Scenario("government", "availability/ddos", 12),
    Scenario("health", "malicious-code/infected-system", 24),
    Scenario("drinking-water", "intrusion-attempts/exploit", 6),
)
SIZES = (5, 10, 20, 40)


@dataclass(frozen=True)
class Setup:
    """What is simulated: ``per_day`` baseline reports a day over ``warmup_days`` of history, then one
    surge of each scenario and size, in a seeded order, one every ``spacing_days``."""

    seed: int = 2026
    per_day: int = 80
    warmup_days: int = 90
    spacing_days: float = 2.5
    scenarios: tuple[Scenario, ...] = SCENARIOS
    sizes: tuple[int, ...] = SIZES
    retrain_hours: int = 24
    end: datetime = datetime(2026, 10, 1, tzinfo=timezone.utc)  # fixed: the same setup gives the same figures
    quiet_days: float | None = None  # with no surge at all: the length of the evaluation period

    @property
    def evaluation_days(self) -> float:
        if self.quiet_days is not None:
            return self.quiet_days
        return len(self.scenarios) * len(self.sizes) * self.spacing_days

    @property
    def start(self) -> datetime:
        """The evaluation period's start: alerts before it are not counted."""
        return self.end - timedelta(days=self.evaluation_days)


@dataclass(frozen=True)
class Surge:
    scenario: Scenario
    size: int
    start: datetime
    reports: frozenset = frozenset()  # incident ids, once loaded

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.scenario.hours)


@dataclass(frozen=True)
class Alert:
    detector: str  # "volume" | "anomaly"
    at: datetime
    sector: str
    evidence: frozenset  # incident ids


@dataclass(frozen=True)
class Score:
    """One detector's figures (see the module docstring for the matching rule)."""

    detector: str
    alerts: int
    matching_alerts: int
    surges: int
    detected: int
    precision: float | None
    recall: float | None
    ttd_median: timedelta | None
    ttd_max: timedelta | None
    by_size: dict[int, tuple[int, int]]  # size -> (detected, injected)
    by_sector: dict[str, tuple[int, int]]  # the surge's sector -> (detected, injected)
    false_alerts_per_day: float
    delays: tuple[timedelta | None, ...]  # per surge: its time to detect, None when missed

    def to_json(self) -> dict:
        hours = {name: None if v is None else round(v / HOUR, 2)
                 for name, v in (("ttd_median_hours", self.ttd_median), ("ttd_max_hours", self.ttd_max))}
        return {"alerts": self.alerts, "matching_alerts": self.matching_alerts, "surges": self.surges,
                "detected": self.detected, "precision": _round(self.precision), "recall": _round(self.recall),
                **hours, "recall_by_size": {str(size): {"detected": d, "injected": n, "recall": _round(d / n)}
                                            for size, (d, n) in self.by_size.items()},
                "recall_by_sector": {sector: {"detected": d, "injected": n, "recall": _round(d / n)}
                                     for sector, (d, n) in self.by_sector.items()},
                "false_alerts_per_day": round(self.false_alerts_per_day, 2)}


@dataclass
class Evaluation:
    setup: Setup
    settings: DetectionSettings
    baseline_reports: int
    surges: list[Surge]
    alerts: list[Alert] = field(default_factory=list)

    def scores(self) -> list[Score]:
        return [score(name, [a for a in self.alerts if a.detector == name], self.surges, self.setup.evaluation_days)
                for name in ("volume", "anomaly")]

    def to_json(self) -> dict:
        s = self.setup
        scores = self.scores()
        return {"seed": s.seed, "baseline_reports": self.baseline_reports, "per_day": s.per_day,
                "warmup_days": s.warmup_days, "evaluation_days": s.evaluation_days,
                "retrain_hours": s.retrain_hours, "anomaly_threshold": self.settings.anomaly_threshold,
                "surges": [{"sector": x.scenario.sector, "category": x.scenario.category, "hours": x.scenario.hours,
                            "size": x.size, "start": x.start.isoformat(),
                            **{f"{sc.detector}_ttd_hours": None if sc.delays[n] is None else
                               round(sc.delays[n] / HOUR, 2) for sc in scores}}
                           for n, x in enumerate(self.surges)],
                "detectors": {sc.detector: sc.to_json() for sc in scores}}


def pooled(evaluations: list[Evaluation]) -> list[Score]:
    """Each detector's figures over several evaluations (say, seeds) taken as one: their reports are
    told apart by the evaluation they come from."""
    def tag(n: int, ids: frozenset) -> frozenset:
        return frozenset((n, i) for i in ids)

    alerts = [Alert(a.detector, a.at, a.sector, tag(n, a.evidence))
              for n, e in enumerate(evaluations) for a in e.alerts]
    surges = [Surge(s.scenario, s.size, s.start, tag(n, s.reports))
              for n, e in enumerate(evaluations) for s in e.surges]
    days = sum(e.setup.evaluation_days for e in evaluations)
    return [score(name, [a for a in alerts if a.detector == name], surges, days) for name in ("volume", "anomaly")]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def score(detector: str, alerts: list[Alert], surges: list[Surge], days: float) -> Score:
    """Precision, recall, time to detect and recall by size of ``alerts`` against ``surges``."""
    first: dict[int, datetime] = {}  # surge index -> its first matching alert
    matching = 0
    for alert in sorted(alerts, key=lambda a: a.at):
        hits = [i for i, s in enumerate(surges) if alert.evidence & s.reports]
        matching += bool(hits)
        for i in hits:
            first.setdefault(i, alert.at)
    each = tuple(first[i] - s.start if i in first else None for i, s in enumerate(surges))
    delays = sorted(d for d in each if d is not None)
    return Score(detector, len(alerts), matching, len(surges), len(first),
                 matching / len(alerts) if alerts else None, len(first) / len(surges) if surges else None,
                 statistics.median(delays) if delays else None, delays[-1] if delays else None,
                 _recall_by([s.size for s in surges], each), _recall_by([s.scenario.sector for s in surges], each),
                 (len(alerts) - matching) / days, each)


def _recall_by(keys: list, delays: tuple[timedelta | None, ...]) -> dict:
    out: dict = {}
    for key, delay in zip(keys, delays, strict=True):
        detected, injected = out.get(key, (0, 0))
        out[key] = (detected + (delay is not None), injected + 1)
    return dict(sorted(out.items()))


def plan(setup: Setup) -> list[Surge]:
    """One surge per scenario and size, shuffled by the seed, each starting in the first half of its
    slot of ``spacing_days`` (a slot's rest lets the volume detector's 24-hour window clear)."""
    rng = random.Random(setup.seed)
    if setup.quiet_days is not None:
        return []
    kinds = [(sc, size) for sc in setup.scenarios for size in setup.sizes]
    rng.shuffle(kinds)
    slot = timedelta(days=setup.spacing_days)
    return [Surge(sc, size, setup.start + slot * n + timedelta(seconds=int(rng.random() * slot.total_seconds() / 2)))
            for n, (sc, size) in enumerate(kinds)]


def evaluate(runtime: Runtime, setup: Setup = Setup(), settings: DetectionSettings | None = None) -> Evaluation:
    """Run the evaluation on ``runtime``'s database, which must be empty (see ``scratch``)."""
    settings = settings or DetectionSettings.from_env()
    with transaction(runtime.sessions) as session:
        registry.load(session)
    days = setup.warmup_days + setup.evaluation_days
    baseline = simulator.simulate(seed=setup.seed, count=round(setup.per_day * days), end=setup.end, days=days)
    surges = plan(setup)
    injected = [simulator.surge(seed=setup.seed * 1000 + n, sector=s.scenario.sector,
                                category=s.scenario.category, start=s.start, count=s.size,
                                hours=s.scenario.hours, first_seq=10**9 + n * 10**6)
                for n, s in enumerate(surges)]
    ids = _load(runtime, sorted([*baseline, *(e for wave in injected for e in wave)], key=lambda e: e.reported_at))
    surges = [Surge(s.scenario, s.size, s.start, frozenset(ids[e.seq] for e in wave))
              for s, wave in zip(surges, injected, strict=True)]
    evaluation = Evaluation(setup, settings, round(setup.per_day * days), surges)
    evaluation.alerts = list(_play(runtime, setup, settings))
    return evaluation


def _load(runtime: Runtime, events: list[simulator.SimulatedEvent]) -> dict[int, int]:
    """Submit the reports through the incidents service, back-dated; returns seq -> incident id."""
    ids = {}
    for start in range(0, len(events), BATCH):
        with transaction(runtime.sessions) as session:
            actor = service.system_actor(session)
            for event in events[start:start + BATCH]:
                incident = incidents.submit(session, actor, event.record, channel=CHANNEL).incident
                incident.reported_at = incident.created_at = incident.updated_at = event.reported_at
                session.flush()
                ids[event.seq] = incident.id
    return ids


def _play(runtime: Runtime, setup: Setup, settings: DetectionSettings) -> Iterator[Alert]:
    """The hourly detection job over the evaluation period, and intake scoring between its runs."""
    now, runs = setup.start, 0
    while now < setup.end:
        with transaction(runtime.sessions) as session:
            actor = service.system_actor(session)
            if runs % setup.retrain_hours == 0:
                anomaly.train(session, actor, min_incidents=settings.anomaly_min_incidents, now=now)
            for spike in service.flag_volume_spikes(session, now=now):
                fresh = session.scalar(select(AnomalyScore.incident_id).where(
                    AnomalyScore.incident_id.in_(spike.incident_ids), AnomalyScore.volume_flagged_at == now).limit(1))
                if fresh is not None:
                    yield Alert("volume", now, spike.sector, frozenset(spike.incident_ids))
            batch = list(session.scalars(select(Incident).where(Incident.reported_at > now,
                                                                Incident.reported_at <= now + HOUR)))
            scores = anomaly.score(session, actor, batch, now)
            for incident in batch:
                if scores.get(incident.id, 0.0) >= settings.anomaly_threshold:
                    yield Alert("anomaly", incident.reported_at, incident.sector.slug, frozenset((incident.id,)))
        now += HOUR
        runs += 1


@contextmanager
def scratch() -> Iterator[Runtime]:
    """A runtime on a new SQLite database in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ncert-surges-") as tmp:
        runtime = Runtime.create(Settings.from_env({"NCERT_DATA_DIR": tmp, "NCERT_SECRET_KEY": "evaluation",
                                                    "NCERT_DATABASE_URL": f"sqlite:///{tmp}/evaluation.db"}))
        try:
            upgrade(runtime.engine)
            yield runtime
        finally:
            runtime.engine.dispose()
