"""The shipped-corpus categoriser, trained once per test session and stored into each test's database
as the active version of both categorisers (as ``ncert models train`` would on a fresh install)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from detection import categorisation, categoriser, modelstore, training
from ncert.db import transaction
from ncert.models import StoredModel
from ncert.runtime import Runtime

TRAINED_AT = datetime(2026, 1, 1, tzinfo=UTC)  # fixed: the process cache of rebuilt models keys on it


@dataclass(frozen=True)
class Shipped:
    blob: bytes
    data_hash: str
    examples: int
    seconds: float
    metrics: dict


@pytest.fixture(scope="session")
def shipped() -> Shipped:
    return shipped_model()


@functools.cache
def shipped_model() -> Shipped:
    """The corpus model, trained once per process (tests that cannot take the fixture call this)."""
    corpus = categoriser.corpus()
    train_part = categoriser.split(corpus)[0]
    model, seconds = categoriser.fit(train_part)
    return Shipped(modelstore.dumps(model.arrays), modelstore.data_hash([[e.text, e.label, e.weight]
                                                                           for e in train_part]),
                   len(train_part), seconds, training.evaluate(model, corpus, []))


def store(runtime: Runtime, model: Shipped, names: tuple[str, ...] = categorisation.NAMES) -> None:
    with transaction(runtime.sessions) as s:
        for name in names:
            row = StoredModel(name=name, version=1, sklearn_version=modelstore.sklearn_version(),
                              data_hash=model.data_hash, trained_at=TRAINED_AT, training_seconds=model.seconds,
                              examples=model.examples, metrics=model.metrics, params={"decided": 0},
                              status=modelstore.CANDIDATE, estimator=model.blob)
            s.add(row)
            s.flush()
            modelstore.promote(s, row, "test")


@pytest.fixture
def categorisers(world, shipped):
    """Both categorisers active (trained on the shipped corpus) and suggesting on intake; a suggestion
    at or above 0.3 confidence sets the category."""
    store(world.runtime, shipped)
    categorisation.install(world.runtime, threshold=0.3)
    yield shipped
    categorisation.uninstall(world.runtime)
