"""The RSIT categoriser: TF-IDF over words and character n-grams, and a calibrated linear model.

Word n-grams carry the vocabulary of an incident ("phishing", "DDoS"); character n-grams
within word boundaries carry it across inflection, which matters for Azerbaijani's
agglutinative suffixes (hücumu, hücumları) and Russian cases (атака, атаки, атакой).
The features are fitted once and feed two linear SVMs: one over the RSIT classes, whose
scores ``CalibratedClassifierCV`` (Platt's sigmoid, 3 folds, one final estimator:
``ensemble=False``) turns into probabilities
(https://scikit-learn.org/stable/modules/calibration.html), and one over ``class/type``
pairs that picks the type within the suggested class. The confidence is the class's
probability. The stored estimator is the dict ``{"features", "classes", "types"}``.

The shipped corpus (``detection/corpus``, see its README) comes in parallel file sets: line
*n* of ``en.tsv``, ``az.tsv`` and ``ru.tsv`` is one scenario (likewise ``*-more.tsv``,
``*-tickets.tsv``). The held-out split keeps a scenario's three versions together, so an
evaluation never scores a translation of a training example.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ncert.taxonomy import RSIT

CORPUS = Path(__file__).resolve().parent / "corpus"
LANGUAGES = ("en", "az", "ru")
CV_FOLDS = 3  # calibration folds: a class needs at least this many training examples
HELD_OUT_SHARE = 4  # one scenario in four is held out
AZERBAIJANI_LETTERS = set("əğışçöüƏĞİŞÇÖÜ")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # "class/type"
    language: str
    group: str  # what the held-out split keeps together (a corpus scenario, an incident)
    weight: float = 1.0


@dataclass(frozen=True)
class Suggestion:
    rsit_class: str
    rsit_type: str
    confidence: float  # the probability of the class, 0 … 1


def language_of(text: str) -> str:
    """``ru`` for Cyrillic text, ``az`` for Latin text with Azerbaijani letters, else ``en``."""
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    if AZERBAIJANI_LETTERS & set(text):
        return "az"
    return "en"


def corpus() -> list[Example]:
    """The shipped labelled examples: each set of parallel files (``en.tsv``, ``az.tsv``, ``ru.tsv``;
    ``en-more.tsv`` …), every language, in file order."""
    out = []
    for suffix in sorted({p.stem.partition("-")[2] for p in CORPUS.glob("*.tsv")}):
        for language in LANGUAGES:
            name = f"{language}-{suffix}.tsv" if suffix else f"{language}.tsv"
            lines = [line for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#")]
            for n, line in enumerate(lines):
                label, text = line.split("\t", 1)
                rsit_class, rsit_type = label.split("/")
                assert rsit_type in RSIT[rsit_class], f"{name} line {n}: {label} is not an RSIT pair"
                out.append(Example(text.strip(), label, language, f"corpus{'-' + suffix if suffix else ''}:{n}"))
    return out


def held_out(example: Example) -> bool:
    """Whether ``example`` is in the evaluation split (by its group, deterministically)."""
    return int(hashlib.sha256(example.group.encode()).hexdigest()[:8], 16) % HELD_OUT_SHARE == 0


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    train = [e for e in examples if not held_out(e)]
    return train, [e for e in examples if held_out(e)]


def estimator_parts():
    """Unfitted features, class model and type model."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    features = FeatureUnion([
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
    ])
    classes = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=CV_FOLDS,
                                     ensemble=False)
    return features, classes, LinearSVC(C=0.5, class_weight="balanced")


def fit(examples: list[Example]) -> tuple[dict, float]:
    """The fitted estimator and the seconds it took; examples with too rare a class are left out."""
    counts: dict[str, int] = defaultdict(int)
    for e in examples:
        counts[e.label.split("/")[0]] += 1
    usable = [e for e in examples if counts[e.label.split("/")[0]] >= CV_FOLDS]
    if len({e.label.split("/")[0] for e in usable}) < 2:
        raise ValueError("the categoriser needs examples of at least two RSIT classes")
    started = time.perf_counter()
    features, classes, types = estimator_parts()
    matrix = features.fit_transform([e.text for e in usable])
    weights = [e.weight for e in usable]
    classes.fit(matrix, [e.label.split("/")[0] for e in usable], sample_weight=weights)
    types.fit(matrix, [e.label for e in usable], sample_weight=weights)
    return {"features": features, "classes": classes, "types": types}, time.perf_counter() - started


def suggest(estimator: dict, texts: list[str]) -> list[Suggestion]:
    """One suggestion per text."""
    if not texts:
        return []
    matrix = estimator["features"].transform(texts)
    class_labels = list(estimator["classes"].classes_)
    type_labels = list(estimator["types"].classes_)
    probabilities = estimator["classes"].predict_proba(matrix)
    type_scores = estimator["types"].decision_function(matrix)
    out = []
    for p, scores in zip(probabilities, type_scores, strict=True):
        best = int(p.argmax())
        rsit_class = str(class_labels[best])
        within = [i for i, label in enumerate(type_labels) if label.startswith(rsit_class + "/")]
        rsit_type = type_labels[max(within, key=lambda i: scores[i])].split("/")[1] if within \
            else RSIT[rsit_class][0]
        out.append(Suggestion(rsit_class, rsit_type, round(float(p[best]), 4)))
    return out


def evaluate(estimator, examples: list[Example]) -> dict:
    """Per-class precision, recall and F1, macro-F1 overall and per language, and the
    confusion matrix (rows: true class, columns: suggested class, in ``classes`` order)."""
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    if not examples:
        return {"examples": 0}
    truth = [e.label.split("/")[0] for e in examples]
    guessed = [s.rsit_class for s in suggest(estimator, [e.text for e in examples])]
    classes = sorted(set(truth) | set(guessed))
    precision, recall, f1, support = precision_recall_fscore_support(truth, guessed, labels=classes,
                                                                     zero_division=0)
    per_language = {}
    for language in LANGUAGES:
        pairs = [(t, g) for t, g, e in zip(truth, guessed, examples, strict=True) if e.language == language]
        if pairs:
            truth_here, guessed_here = zip(*pairs, strict=True)
            per_language[language] = round(float(f1_score(truth_here, guessed_here, labels=sorted(set(truth_here)),
                                                          average="macro", zero_division=0)), 4)
    return {
        "examples": len(examples),
        "macro_f1": round(float(f1_score(truth, guessed, labels=sorted(set(truth)), average="macro",
                                         zero_division=0)), 4),
        "macro_f1_by_language": per_language,
        "per_class": {c: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                          "support": int(s)} for c, p, r, f, s in zip(classes, precision, recall, f1, support,
                                                                       strict=True)},
        "classes": classes,
        "confusion": confusion_matrix(truth, guessed, labels=classes).tolist(),
    }
