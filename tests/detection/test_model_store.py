"""Stored models: skops with trusted types only (a tampered row is refused, never run), versions,
the promotion rule and rollback."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from sqlalchemy import select, update

from detection import categorisation, categoriser, modelstore
from ncert.db import transaction
from ncert.errors import Conflict
from ncert.models import CategorySuggestion, StoredModel


class _TouchOnLoad:
    """A pickle that creates a file when it is unpickled: what a hostile row would do."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return Path.touch, (self.path,)


def _tamper(world, blob: bytes) -> None:
    with transaction(world.runtime.sessions) as s:
        s.execute(update(StoredModel).where(StoredModel.name == categorisation.REPORTER)
                  .values(estimator=blob, trained_at=StoredModel.trained_at))
    modelstore.forget()


def test_a_pickle_in_the_model_row_is_refused_and_never_run(world, categorisers, tmp_path):
    marker = tmp_path / "pwned"
    _tamper(world, pickle.dumps(_TouchOnLoad(marker)))
    with world.runtime.sessions() as s, pytest.raises(modelstore.UnsafeModel, match="not a skops model"):
        modelstore.load_active(s, categorisation.REPORTER)
    assert not marker.exists()


def test_a_skops_file_naming_an_untrusted_callable_is_refused_and_never_run(world, categorisers, tmp_path):
    import skops.io as sio

    marker = tmp_path / "pwned"
    hostile = sio.dumps({"features": Path.touch, "target": str(marker)})
    assert sio.get_untrusted_types(data=hostile)  # skops itself would not trust it either
    _tamper(world, hostile)
    with world.runtime.sessions() as s, pytest.raises(modelstore.UnsafeModel, match="untrusted types"):
        modelstore.load_active(s, categorisation.REPORTER)
    assert not marker.exists()


def test_arrays_holding_a_pickled_object_are_refused_and_never_run(world, categorisers, tmp_path):
    import io

    import numpy as np

    marker = tmp_path / "pwned"
    out = io.BytesIO()
    np.savez(out, word_terms=np.array([_TouchOnLoad(marker)], dtype=object))  # an object array is a pickle
    _tamper(world, out.getvalue())
    with world.runtime.sessions() as s, pytest.raises(modelstore.UnsafeModel, match="could not be loaded safely"):
        modelstore.load_active(s, categorisation.REPORTER)
    assert not marker.exists()


def test_arrays_that_are_no_categoriser_are_refused(world, categorisers):
    import numpy as np

    _tamper(world, modelstore.dumps({"weights": np.zeros(3)}))
    with world.runtime.sessions() as s, pytest.raises(modelstore.UnsafeModel, match="not a usable model"):
        modelstore.load_active(s, categorisation.REPORTER, categoriser.Model)


def test_a_tampered_model_stops_suggestions_not_intake(world, categorisers, tmp_path, caplog):
    _tamper(world, pickle.dumps(_TouchOnLoad(tmp_path / "pwned")))
    ref = world.submit(world.actor("analyst@gridco.test"), description="Phishing mail")
    assert not (tmp_path / "pwned").exists()
    with world.runtime.sessions() as s:
        assert s.scalar(select(CategorySuggestion)) is None
    assert any("refused" in r.getMessage() and ref for r in caplog.records)


def test_a_model_of_another_scikit_learn_is_not_loaded(world, categorisers):
    with transaction(world.runtime.sessions) as s:
        s.execute(update(StoredModel).values(sklearn_version="0.1"))
    modelstore.forget()
    with world.runtime.sessions() as s:
        assert modelstore.load_active(s, categorisation.REPORTER) is None


def test_a_worse_version_stays_a_candidate_until_an_admin_promotes_it_and_rollback_restores(world, categorisers):
    import sklearn.dummy

    name = categorisation.NATIONAL
    with transaction(world.runtime.sessions) as s:
        active = modelstore.active_row(s, name)
        worse = modelstore.save(s, name, sklearn.dummy.DummyClassifier(), params={}, data="worse", examples=1,
                                seconds=0.1, metrics={"macro_f1": active.metrics["macro_f1"] - 0.1})
        assert not modelstore.promote_if_not_worse(s, worse, "macro_f1", "test")
        assert (worse.status, modelstore.active_row(s, name).version) == ("candidate", 1)
        better = modelstore.save(s, name, sklearn.dummy.DummyClassifier(), params={}, data="better", examples=1,
                                 seconds=0.1, metrics={"macro_f1": active.metrics["macro_f1"]})
        assert modelstore.promote_if_not_worse(s, better, "macro_f1", "test")  # equal is not worse
        modelstore.promote(s, worse, "admin")
        assert [(r.version, r.status) for r in modelstore.versions(s, name)] == [
            (1, "retired"), (2, "active"), (3, "retired")]
    with transaction(world.runtime.sessions) as s:
        assert modelstore.rollback(s, name, "admin").version == 1  # the newest earlier version once promoted
        assert [r.status for r in modelstore.versions(s, name)] == ["active", "retired", "retired"]
        with pytest.raises(Conflict):
            modelstore.rollback(s, name, "admin")


def test_suggestions_name_the_version_that_made_them(world, categorisers):
    with transaction(world.runtime.sessions) as s:
        s.scalar(select(StoredModel).where(StoredModel.name == categorisation.REPORTER)).version = 7
    world.submit(world.actor("analyst@gridco.test"), description="Phishing mail with a fake bank login page")
    with world.runtime.sessions() as s:
        assert s.scalar(select(CategorySuggestion.reporter_model)) == "categoriser-reporter/v7"
