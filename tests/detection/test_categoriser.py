"""The categoriser itself: its held-out quality on the shipped corpus, its fast batch path held to
scikit-learn's results, text normalisation, and the stored numbers loading without scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from detection import categoriser, modelstore
from tests.categoriser_models import shipped_model


def test_held_out_macro_f1_meets_the_target_overall_and_per_language():
    metrics = shipped_model().metrics  # the held-out split is fixed, the fit deterministic enough
    assert metrics["macro_f1"] >= 0.80
    assert all(score >= 0.70 for score in metrics["macro_f1_by_language"].values()), metrics
    assert set(metrics["classes"]) >= {"abusive-content", "availability", "fraud", "intrusions", "vulnerable"}


def test_the_split_holds_whole_scenarios_out_and_keeps_earlier_ones_where_they_were():
    corpus = categoriser.corpus()
    train, held_out = categoriser.split(corpus)
    assert {e.group for e in train}.isdisjoint({e.group for e in held_out})
    assert 0.2 < len(held_out) / len(corpus) < 0.3
    # a scenario's split depends on its own file set and line alone
    assert categoriser.held_out(categoriser.Example("x", "test/test", "en", "corpus:3")) is \
        categoriser.held_out(categoriser.Example("y", "fraud/phishing", "ru", "corpus:3"))


@pytest.fixture(scope="module")
def parts():
    return categoriser.fitted(categoriser.split(categoriser.corpus())[0])


TEXTS = [
    "Ransomware encrypted the hospital's file servers, ransom note in every folder",
    "İnsident: bankın İT sistemlərinə DDoS hücumu, İnternet bankçılıq əlçatmazdır",
    "Ёмкая ФИШИНГОВАЯ рассылка от имени банка, ещё 40 писем",
    "a",
    "",
    "   ",
    "zzzz qqqq never seen words 12345",
]


def test_the_batch_path_gives_scikit_learns_features_probabilities_and_types(parts):
    features, classes, types = parts
    model = categoriser.Model.of(*parts)
    texts = [*TEXTS, *(e.text for e in categoriser.corpus()[:200])]
    expected = features.transform([categoriser.normalise(t) for t in texts])
    rows, columns, values = model.features(texts)
    got = np.zeros(expected.shape, dtype=np.float32)
    got[rows, columns] = values
    assert len(values) == expected.nnz and np.abs(got - expected.toarray()).max() < 1e-5
    probabilities, type_scores = model.scores(texts)
    assert np.allclose(probabilities, classes.predict_proba(expected), atol=1e-4)
    assert np.allclose(type_scores, types.decision_function(expected), atol=1e-4)
    suggested = categoriser.suggest(model, texts)
    assert [s.rsit_class for s in suggested] == list(classes.predict(expected))
    for s in suggested:
        assert s.rsit_type in categoriser.RSIT[s.rsit_class] and 0 < s.confidence <= 1


def test_a_batch_scores_each_text_as_it_would_alone(parts):
    model = categoriser.Model.of(*parts)
    batch = categoriser.suggest(model, TEXTS)
    assert batch == [categoriser.suggest(model, [t])[0] for t in TEXTS]
    assert categoriser.suggest(model, []) == []


def test_normalisation_lowers_turkic_and_cyrillic_letters_as_their_readers_do():
    assert categoriser.normalise("İNSİDENT İT") == "insident it"
    assert categoriser.normalise("Ещё ЁЛКА") == "еще елка"
    assert categoriser.normalise("Kiberinsident FİŞİNQ") == "kiberinsident fişinq"


def test_the_stored_model_is_numbers_that_load_without_scikit_learn(parts, tmp_path):
    blob = modelstore.dumps(categoriser.Model.of(*parts).arrays)
    assert blob[:2] == b"PK" and b"schema.json" not in blob
    path = tmp_path / "model.npz"
    path.write_bytes(blob)
    code = ("import sys; from pathlib import Path; from detection import categoriser, modelstore; "
            f"m = categoriser.Model(modelstore.loads(Path({str(path)!r}).read_bytes())); "
            "s, = categoriser.suggest(m, ['DDoS attack on the bank website']); "
            "print(s.rsit_class, 'sklearn' in sys.modules, 'skops' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["availability", "False", "False"], out.stderr


def test_arrays_missing_a_part_are_not_a_model(parts):
    arrays = dict(categoriser.Model.of(*parts).arrays)
    del arrays["type_coef"]
    with pytest.raises(ValueError, match="type_coef missing"):
        categoriser.Model(modelstore.loads(modelstore.dumps(arrays)))


def test_too_few_classes_to_learn_from_is_refused():
    examples = [categoriser.Example(f"text {n}", label, "en", f"g{n}")
                for n, label in enumerate(["fraud/phishing"] * 3 + ["test/test"] * 3)]
    with pytest.raises(ValueError, match="at least three RSIT classes"):
        categoriser.fit(examples)
