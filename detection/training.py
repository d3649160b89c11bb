"""Training and evaluating the categorisers: the shipped corpus plus operators' decisions.

``train`` makes a new version of each categoriser whose training data changed (the data
hash of its examples and the scikit-learn version key a version), evaluates it on held-out
data and promotes it only when its macro-F1 on the corpus's held-out split is not worse than
the active version's; otherwise it stays a candidate an admin may promote
(``ncert models promote``). Decided reports are split by id like the corpus by scenario:
one in four is held out and reported as ``incidents`` in the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from detection import categoriser, modelstore
from detection.categorisation import (
    ACCEPTED_WEIGHT,
    CORRECTED_WEIGHT,
    NAMES,
    NATIONAL,
    PROMOTION_METRIC,
    REPORTER,
)
from ncert.models import CategorySuggestion, Incident, StoredModel


@dataclass(frozen=True)
class Trained:
    row: StoredModel
    promoted: bool


def decided_examples(session: Session) -> list[categoriser.Example]:
    """Every report an operator confirmed or corrected, labelled with its current category."""
    stmt = (select(Incident.id, Incident.title, Incident.description, Incident.rsit_class, Incident.rsit_type,
                   CategorySuggestion.decision)
            .join(CategorySuggestion, CategorySuggestion.incident_id == Incident.id)
            .where(CategorySuggestion.decision.is_not(None)).order_by(Incident.id))
    out = []
    for incident_id, title, description, rsit_class, rsit_type, decision in session.execute(stmt):
        text = f"{title}\n{description}"
        out.append(categoriser.Example(text, f"{rsit_class}/{rsit_type}", categoriser.language_of(text),
                                       f"incident:{incident_id}",
                                       CORRECTED_WEIGHT if decision == "corrected" else ACCEPTED_WEIGHT))
    return out


def examples_for(session: Session, name: str) -> tuple[list[categoriser.Example], list[categoriser.Example]]:
    """(shipped corpus, decided reports) a categoriser learns from: the reporter model never sees reports."""
    return categoriser.corpus(), decided_examples(session) if name == NATIONAL else []


def _hash(examples: list[categoriser.Example]) -> str:
    return modelstore.data_hash([[e.text, e.label, e.weight] for e in examples])


def evaluate(model: categoriser.Model, corpus: list[categoriser.Example],
             decided: list[categoriser.Example]) -> dict:
    """Metrics on the held-out corpus (the promotion metric) and on held-out decided reports."""
    metrics = categoriser.evaluate(model, categoriser.split(corpus)[1])
    metrics["incidents"] = categoriser.evaluate(model, categoriser.split(decided)[1])
    return metrics


def train(session: Session, by: str, names: tuple[str, ...] = NAMES, force: bool = False) -> list[Trained]:
    """A new version of each categoriser whose data changed since its newest version (every one with
    ``force``), promoted when not worse than the active one."""
    out = []
    for name in names:
        corpus, decided = examples_for(session, name)
        train_part = categoriser.split(corpus)[0] + categoriser.split(decided)[0]
        digest = _hash(train_part)
        newest = session.scalar(select(StoredModel).where(StoredModel.name == name)
                                .order_by(StoredModel.version.desc()).limit(1))
        if not force and newest is not None and newest.data_hash == digest \
                and newest.sklearn_version == modelstore.sklearn_version():
            continue
        model, seconds = categoriser.fit(train_part)
        row = modelstore.save(session, name, model.arrays, params={"decided": len(decided)}, data=digest,
                              examples=len(train_part), seconds=seconds,
                              metrics=evaluate(model, corpus, decided))
        out.append(Trained(row, modelstore.promote_if_not_worse(session, row, PROMOTION_METRIC, by)))
    return out


def evaluate_version(session: Session, row: StoredModel) -> dict:
    """Evaluate a stored categoriser version on today's held-out data (the corpus and decided reports)."""
    if row.name not in (REPORTER, NATIONAL):
        raise ValueError(f"{row.name} has no labelled data to be evaluated on")
    corpus, _ = examples_for(session, row.name)
    return evaluate(categoriser.Model(modelstore.loads(row.estimator)), corpus, decided_examples(session))
