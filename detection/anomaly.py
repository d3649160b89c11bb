"""The anomaly model: an isolation forest over per-incident features.

Features, each one a reason an operator would give for "this report is odd":

* how rare the incident's category is in its sector, and overall (a bank
  reporting a DDoS is routine; a hospital reporting one is not);
* how rare its reporter kind is in its sector (a partner CERT reporting into
  a sector that usually reports itself);
* how rare its hour of the week is (reports cluster in office hours);
* the reporter's severity, its indicator and sighting counts, its description
  length, and the delay from awareness to report (log-scaled counts). Known-benign
  indicators (``indicators.correlates``) and their sightings are not counted: a
  report full of public resolvers is not odd for it.

Rarities are smoothed negative log frequencies from the training set, so the
forest sees numbers, never category names. The isolation forest (Liu, Ting and
Zhou, "Isolation Forest", ICDM 2008) isolates points by random splits; an
outlier needs few. scikit-learn's ``score_samples`` is the negated score of
the paper, s(x) in (0, 1]
(https://scikit-learn.org/stable/modules/generated/sklearn.ensemble.IsolationForest.html).
A report outside the training range only reaches the depth of the most extreme
training reports, so s(x) spans a narrow band (about 0.45 … 0.7 on a realistic
history). The stored score is therefore its rank: the share of the training
reports less anomalous than this one. 0.99 reads "stranger than 99 % of the
last 90 days' reports", and a threshold flags a predictable share of intake.

Training uses the last ``TRAINING_WINDOW`` of reports, and only with at least
``min_incidents`` of them: below that there is no model and no score. The
model is kept in the database by ``detection.modelstore`` (name ``anomaly``: the
forest in skops' format, loaded with trusted types only, and the rarity tables and
score scale as JSON), so the server, the scheduler and the CLI share it. It has no
labels to be evaluated on, so each training is promoted at once (``ncert models
rollback anomaly`` brings the previous one back). scikit-learn and skops load only
when a model is used.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from detection import modelstore
from ncert.access import scope
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.models import (
    AnomalyScore,
    Incident,
    IncidentIndicator,
    Indicator,
    Organization,
    Sector,
    Sighting,
)
from ncert.services.indicators import correlates

NAME = "anomaly"
MODEL_VERSION = "isolation-forest/2"  # bump when the features change: older versions are then not used
TRAINING_WINDOW = timedelta(days=90)
RANDOM_STATE = 2026  # fixed: the same history always gives the same model
TREES = 100
FEATURES = ("category_in_sector_rarity", "category_rarity", "reporter_kind_in_sector_rarity", "hour_of_week_rarity",
            "severity", "log_indicators", "log_sightings", "log_description_length", "log_reporting_delay_hours")


@dataclass(frozen=True)
class Row:
    """What the features are made of, for one incident."""

    incident_id: int
    sector: str
    category: str
    reporter_kind: str
    reported_at: datetime
    aware_at: datetime | None
    severity: int
    description_length: int
    indicators: int
    sightings: int

    @property
    def hour_of_week(self) -> int:
        return self.reported_at.weekday() * 24 + self.reported_at.hour


def rows(session: Session, actor: Actor, where) -> list[Row]:
    """Feature rows of the incidents matching ``where`` (one query, counts as correlated subqueries)."""
    n_indicators = (select(func.count()).select_from(IncidentIndicator)
                    .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
                    .where(IncidentIndicator.incident_id == Incident.id, correlates())
                    .correlate(Incident).scalar_subquery())
    n_sightings = (select(func.coalesce(func.sum(Sighting.count), 0)).select_from(Sighting)
                   .join(Indicator, Indicator.id == Sighting.indicator_id)
                   .where(Sighting.incident_id == Incident.id, correlates())
                   .correlate(Incident).scalar_subquery())
    stmt = (select(Incident.id, Sector.slug, Incident.rsit_class, Incident.rsit_type, Organization.kind,
                   Incident.reported_at, Incident.aware_at, Incident.severity,
                   func.length(Incident.description), n_indicators, n_sightings)
            .join(Sector, Sector.id == Incident.sector_id)
            .join(Organization, Organization.id == Incident.reporter_org_id)
            .where(*where).order_by(Incident.id))
    return [Row(i, sector, f"{cls}/{kind}", str(reporter), at, aware, sev, length or 0, int(ind), int(sig or 0))
            for i, sector, cls, kind, reporter, at, aware, sev, length, ind, sig
            in session.execute(scope(actor, stmt))]


@dataclass
class Rarity:
    """Counts from the training set; ``of`` is a smoothed -log frequency (add-one)."""

    counts: Counter
    totals: Counter  # per context ("" when there is none)
    outcomes: int  # how many values the counted thing can take, for the smoothing

    def of(self, value, context="") -> float:
        return -math.log((self.counts[(context, value)] + 1) / (self.totals[context] + self.outcomes))

    def to_json(self) -> dict:
        return {"counts": [[c, v, n] for (c, v), n in self.counts.items()], "outcomes": self.outcomes}

    @classmethod
    def from_json(cls, data: dict) -> "Rarity":
        counts = Counter({(c, v): n for c, v, n in data["counts"]})
        totals: Counter = Counter()
        for (c, _), n in counts.items():
            totals[c] += n
        return cls(counts, totals, data["outcomes"])


def _rarity(pairs: list[tuple[str, object]], outcomes: int) -> Rarity:
    return Rarity(Counter(pairs), Counter(c for c, _ in pairs), outcomes)


@dataclass
class Trained:
    """A trained model: the estimator, its rarity tables and provenance."""

    version: str
    trained_at: datetime | None
    incidents: int
    estimator: object  # sklearn.ensemble.IsolationForest
    reference: list[float]  # the training reports' s(x), sorted: the scale of ``score``
    category_in_sector: Rarity
    category: Rarity
    kind_in_sector: Rarity
    hour_of_week: Rarity

    def features(self, batch: list[Row]) -> list[list[float]]:
        return [[
            self.category_in_sector.of(r.category, r.sector),
            self.category.of(r.category),
            self.kind_in_sector.of(r.reporter_kind, r.sector),
            self.hour_of_week.of(r.hour_of_week),
            float(r.severity),
            math.log1p(r.indicators),
            math.log1p(r.sightings),
            math.log1p(r.description_length),
            math.log1p(_delay_hours(r)),
        ] for r in batch]

    def score(self, batch: list[Row]) -> list[float]:
        """Anomaly scores 0 … 1 (see the module docstring), one per row."""
        if not batch:
            return []
        raw = self.estimator.score_samples(self.features(batch))
        return [bisect_left(self.reference, float(-s)) / len(self.reference) for s in raw]


def _delay_hours(row: Row) -> float:
    if row.aware_at is None:
        return 0.0
    return max(0.0, (row.reported_at - row.aware_at).total_seconds() / 3600)


def fit(history: list[Row], now: datetime) -> Trained:
    """Train on ``history`` (deterministic: fixed random state)."""
    from sklearn.ensemble import IsolationForest

    categories = len({r.category for r in history}) + 1  # +1: a category never seen in training
    kinds = len({r.reporter_kind for r in history}) + 1
    model = Trained(
        version=MODEL_VERSION, trained_at=now, incidents=len(history), estimator=None, reference=[],
        category_in_sector=_rarity([(r.sector, r.category) for r in history], categories),
        category=_rarity([("", r.category) for r in history], categories),
        kind_in_sector=_rarity([(r.sector, r.reporter_kind) for r in history], kinds),
        hour_of_week=_rarity([("", r.hour_of_week) for r in history], 7 * 24),
    )
    forest = IsolationForest(n_estimators=TREES, random_state=RANDOM_STATE)
    features = model.features(history)
    forest.fit(features)
    model.estimator = forest
    model.reference = sorted(float(-s) for s in forest.score_samples(features))
    return model


# -- persistence ----------------------------------------------------------------------


RARITIES = ("category_in_sector", "category", "kind_in_sector", "hour_of_week")


def train(session: Session, actor: Actor, *, min_incidents: int, now: datetime | None = None) -> Trained | None:
    """Train on the reports of the last ``TRAINING_WINDOW``, store the model as a new version
    and make it the active one; ``None`` (and nothing stored) with too few reports."""
    import time

    now = now or utcnow()
    history = rows(session, actor, (Incident.reported_at >= now - TRAINING_WINDOW, Incident.reported_at <= now))
    if len(history) < min_incidents:
        return None
    started = time.perf_counter()
    model = fit(history, now)
    params = {"version": model.version, "reference": model.reference,
              **{name: getattr(model, name).to_json() for name in RARITIES}}
    row = modelstore.save(session, NAME, model.estimator, params=params, examples=model.incidents, now=now,
                          data=modelstore.data_hash([r.__dict__ for r in history]),
                          seconds=time.perf_counter() - started, metrics={})
    modelstore.promote(session, row, "scheduler", now)
    return model


def current(session: Session) -> Trained | None:
    """The active model, if it was trained with the current features (rebuilt once per process and version)."""
    loaded = modelstore.load_active(session, NAME)
    if loaded is None or loaded.params.get("version") != MODEL_VERSION:
        return None
    if _rebuilt.get("from") is not loaded:
        params = loaded.params
        _rebuilt.update({"from": loaded, "model": Trained(
            version=f"{MODEL_VERSION}#{loaded.version}", trained_at=None, incidents=0, estimator=loaded.estimator,
            reference=params["reference"], **{name: Rarity.from_json(params[name]) for name in RARITIES})})
    return _rebuilt["model"]


_rebuilt: dict = {}  # the Trained made from the last loaded version


def score(session: Session, actor: Actor, batch: list[Incident], now: datetime | None = None) -> dict[int, float]:
    """Score incidents with the current model and store the scores; empty without a model."""
    model = current(session)
    if model is None or not batch:
        return {}
    now = now or utcnow()
    found = rows(session, actor, (Incident.id.in_([i.id for i in batch]),))
    scores = dict(zip([r.incident_id for r in found], model.score(found), strict=True))
    stored = {row.incident_id: row for row in session.scalars(
        select(AnomalyScore).where(AnomalyScore.incident_id.in_(list(scores))))}
    for incident_id, row in stored.items():
        row.score, row.model_version, row.scored_at = scores[incident_id], model.version, now
    fresh = [{"incident_id": incident_id, "score": value, "model_version": model.version, "scored_at": now}
             for incident_id, value in scores.items() if incident_id not in stored]
    if fresh:  # one executemany: a new report's score is written once and not read back as an object
        session.execute(insert(AnomalyScore), fresh)
    session.flush()
    return scores


def scores_of(session: Session, incident_ids: list[int]) -> dict[int, float]:
    """Stored model scores of these incidents (those never scored are absent)."""
    if not incident_ids:
        return {}
    stmt = select(AnomalyScore.incident_id, AnomalyScore.score).where(AnomalyScore.incident_id.in_(incident_ids),
                                                                     AnomalyScore.score.is_not(None))
    return dict(session.execute(stmt).all())


def score_for(session: Session, actor: Actor, incident: Incident) -> float | None:
    """The incident's model score for national staff (a triage signal built from
    every sector's reports); ``None`` for others and when never scored."""
    if not actor.is_national:
        return None
    return session.scalar(select(AnomalyScore.score).where(AnomalyScore.incident_id == incident.id))
