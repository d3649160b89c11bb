"""The RSIT categoriser: TF-IDF over words and character n-grams, and calibrated linear models.

Word n-grams carry the vocabulary of an incident ("phishing", "DDoS"); character n-grams
within word boundaries carry it across inflection, which matters for Azerbaijani's
agglutinative suffixes (hücumu, hücumları) and Russian cases (атака, атаки, атакой).
Texts are lower-cased first with the Turkic capital İ kept a plain i (``str.lower`` would
add a combining dot) and Russian ё read as е, as most Russian text is typed.

scikit-learn fits it: the features once, then two linear SVMs: one over the RSIT classes,
whose scores ``CalibratedClassifierCV`` (Platt's sigmoid, 3 folds, one final estimator:
``ensemble=False``) turns into probabilities
(https://scikit-learn.org/stable/modules/calibration.html), and one over ``class/type``
pairs that picks the type within the suggested class. The confidence is the class's
probability. What is kept of the fit is only its numbers (``Model``): the vocabularies,
idf weights, coefficients and sigmoid parameters, stored as plain numpy arrays. Suggesting
needs numpy alone (importing scikit-learn takes a second or two) and does in one pass over a
batch what scikit-learn's ``transform``, ``predict_proba`` and ``decision_function`` do (a test
holds the two to the same results), with the character n-grams of each distinct word worked
out once.

The shipped corpus (``detection/corpus``, see its README) comes in parallel file sets: line
*n* of ``en.tsv``, ``az.tsv`` and ``ru.tsv`` is one scenario (likewise ``*-more.tsv`` …).
The held-out split keeps a scenario's three versions together, so an evaluation never
scores a translation of a training example.
"""

from __future__ import annotations

import hashlib
import re
import time
from array import array
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


WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
CHAR_CACHE = 200_000  # distinct words whose character n-grams a model keeps at most
SCORE_CHUNK = 32  # texts scored at once (see ``Model.scores``)


def normalise(text: str) -> str:
    """Lower-cased for all three languages: Turkic İ as i, ё as е."""
    return text.replace("İ", "i").lower().replace("\u0307", "").replace("ё", "е")


def estimator_parts():
    """Unfitted features (words, then characters), class model and type model."""
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    words = TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, lowercase=False, sublinear_tf=True,
                            dtype=np.float32)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, lowercase=False, sublinear_tf=True,
                            dtype=np.float32)
    svm = {"C": 0.5, "class_weight": "balanced", "random_state": 0}  # random_state: the same fit every time
    classes = CalibratedClassifierCV(LinearSVC(**svm), method="sigmoid", cv=CV_FOLDS, ensemble=False)
    return FeatureUnion([("words", words), ("chars", chars)]), classes, LinearSVC(**svm)


def fit(examples: list[Example]) -> tuple[Model, float]:
    """The fitted model and the seconds it took; examples with too rare a class are left out."""
    started = time.perf_counter()
    model = Model.of(*fitted(examples))
    return model, time.perf_counter() - started


def fitted(examples: list[Example]) -> tuple:
    """The scikit-learn parts fitted on ``examples``: (features, classes, types)."""
    counts: dict[str, int] = defaultdict(int)
    for e in examples:
        counts[e.label.split("/")[0]] += 1
    usable = [e for e in examples if counts[e.label.split("/")[0]] >= CV_FOLDS]
    if len({e.label.split("/")[0] for e in usable}) < 3:
        raise ValueError("the categoriser needs examples of at least three RSIT classes")
    features, classes, types = estimator_parts()
    matrix = features.fit_transform([normalise(e.text) for e in usable])
    weights = [e.weight for e in usable]
    classes.fit(matrix, [e.label.split("/")[0] for e in usable], sample_weight=weights)
    types.fit(matrix, [e.label for e in usable], sample_weight=weights)
    return features, classes, types


def _terms(vocabulary: dict[str, int]):
    import numpy as np

    terms = [""] * len(vocabulary)
    for term, i in vocabulary.items():
        terms[i] = term
    return np.array(terms, dtype=str)


class Model:
    """A fitted categoriser as numbers only (``arrays``, what is stored), ready to suggest."""

    ARRAYS = ("word_terms", "word_idf", "char_terms", "char_idf", "classes", "class_coef", "class_intercept",
              "sigmoid_a", "sigmoid_b", "types", "type_coef", "type_intercept")

    def __init__(self, arrays: dict):
        import numpy as np

        missing = set(self.ARRAYS) - set(arrays)
        if missing:
            raise ValueError(f"not a categoriser model: {', '.join(sorted(missing))} missing")
        self.arrays = {name: arrays[name] for name in self.ARRAYS}
        self.words = {term: i for i, term in enumerate(arrays["word_terms"].tolist())}
        self.chars = {term: i for i, term in enumerate(arrays["char_terms"].tolist())}
        self.classes = arrays["classes"].tolist()
        self.types = arrays["types"].tolist()
        # for each class, the type model's columns that are types of it (the others masked out)
        self.type_mask = np.array([[t.startswith(c + "/") for t in self.types] for c in self.classes])
        self._char_ids = _CharNgrams(self.chars)
        # one weight row per feature: the class model's columns, then the type model's
        self.weights = np.ascontiguousarray(np.vstack([arrays["class_coef"], arrays["type_coef"]]).T,
                                            dtype=np.float32)
        self.intercepts = np.concatenate([arrays["class_intercept"], arrays["type_intercept"]]).astype(np.float32)

    @classmethod
    def of(cls, features, classes, types) -> Model:
        """The numbers of fitted scikit-learn parts (``fitted``)."""
        import numpy as np

        words, chars = (part for _, part in features.transformer_list)
        [calibrated] = classes.calibrated_classifiers_
        svm = calibrated.estimator
        return cls({
            "word_terms": _terms(words.vocabulary_), "word_idf": words.idf_.astype(np.float32),
            "char_terms": _terms(chars.vocabulary_), "char_idf": chars.idf_.astype(np.float32),
            "classes": np.array(svm.classes_, dtype=str), "class_coef": svm.coef_.astype(np.float32),
            "class_intercept": svm.intercept_.astype(np.float32),
            "sigmoid_a": np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64),
            "sigmoid_b": np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64),
            "types": np.array(types.classes_, dtype=str), "type_coef": types.coef_.astype(np.float32),
            "type_intercept": types.intercept_.astype(np.float32),
        })

    def features(self, texts: list[str]):
        """The TF-IDF rows of ``texts`` as the fitted ``FeatureUnion`` would give them (words, then
        characters, each part l2-normalised), sparse: (row, column, value) arrays sorted by row."""
        import numpy as np

        get_word, char_ids_of = self.words.get, self._char_ids.__getitem__
        word_ids, word_ptr, char_ids, char_ptr = array("i"), [0], array("i"), [0]
        add_words, add_chars = word_ids.extend, char_ids.extend
        for text in texts:
            text = normalise(text)
            tokens = TOKEN.findall(text)
            add_words([j for j in map(get_word, tokens) if j is not None])
            add_words([j for j in map(get_word, map(" ".join, zip(tokens, tokens[1:], strict=False)))
                       if j is not None])
            word_ptr.append(len(word_ids))
            for found in map(char_ids_of, text.split()):
                add_chars(found)
            char_ptr.append(len(char_ids))
        a = self.arrays
        words = _tfidf(word_ids, word_ptr, a["word_idf"])
        chars = _tfidf(char_ids, char_ptr, a["char_idf"], offset=len(a["word_idf"]))
        order = np.argsort(np.concatenate([words[0], chars[0]]), kind="stable")
        return tuple(np.concatenate([w, c])[order] for w, c in zip(words, chars, strict=True))

    def scores(self, texts: list[str]):
        """(class probabilities, type scores), one row per text."""
        import numpy as np

        rows, columns, values = self.features(texts)
        # A sparse matrix product by hand: each text sums its features' weight rows, scaled. Texts
        # go SCORE_CHUNK at a time so the gathered rows stay in the processor's cache (four times
        # faster than the whole batch at once here).
        found = np.zeros((len(texts), self.weights.shape[1]), dtype=np.float32)
        starts = np.searchsorted(rows, np.arange(len(texts) + 1))
        for first in range(0, len(texts), SCORE_CHUNK):
            last = min(first + SCORE_CHUNK, len(texts))
            begin, end = starts[first], starts[last]
            filled = starts[first:last] < starts[first + 1:last + 1]
            if begin < end:
                gathered = self.weights[columns[begin:end]]
                gathered *= values[begin:end, None]
                found[first:last][filled] = np.add.reduceat(gathered, starts[first:last][filled] - begin)
        found += self.intercepts
        decision, type_scores = found[:, :len(self.classes)], found[:, len(self.classes):]
        a = self.arrays
        probabilities = 1.0 / (1.0 + np.exp(decision * a["sigmoid_a"] + a["sigmoid_b"]))
        total = probabilities.sum(axis=1, keepdims=True)
        probabilities = np.divide(probabilities, total, out=np.full_like(probabilities, 1 / len(self.classes)),
                                  where=total != 0)
        return probabilities, type_scores


class _CharNgrams(dict):
    """Whitespace-separated word → indices of its known character n-grams, as scikit-learn's
    ``char_wb`` analyser counts them (a word shorter than n once), worked out once per word."""

    def __init__(self, vocabulary: dict[str, int]):
        super().__init__()
        self.vocabulary = vocabulary

    def __missing__(self, word: str) -> array:
        padded, get, found = f" {word} ", self.vocabulary.get, array("i")
        for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
            found.extend(j for j in map(get, (padded[i:i + n] for i in range(max(len(padded) - n + 1, 1))))
                         if j is not None)
            if len(padded) <= n:
                break
        if len(self) >= CHAR_CACHE:
            self.clear()
        self[word] = found
        return found


def _tfidf(ids: array, indptr: list[int], idf, offset: int = 0) -> tuple:
    """Sublinear TF-IDF rows, l2-normalised, from the feature indices each row counted: (row,
    column + ``offset``, value) arrays sorted by row and column."""
    import numpy as np

    size = len(idf)
    rows = np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))
    cells, counts = np.unique(rows * size + np.frombuffer(ids, dtype=np.int32), return_counts=True)
    rows, columns = np.divmod(cells, size)
    values = (np.log(counts).astype(np.float32) + 1) * idf[columns]
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(indptr) - 1)).astype(np.float32)
    return rows, columns + offset, values / norms[rows]


def suggest(model: Model, texts: list[str]) -> list[Suggestion]:
    """One suggestion per text, the batch scored at once."""
    import numpy as np

    if not texts:
        return []
    probabilities, type_scores = model.scores(texts)
    best = probabilities.argmax(axis=1)
    type_best = np.where(model.type_mask[best], type_scores, -np.inf).argmax(axis=1)
    confidence = probabilities[np.arange(len(texts)), best].round(4)
    return [Suggestion(model.classes[c], model.types[t].split("/")[1], float(p))
            for c, t, p in zip(best.tolist(), type_best.tolist(), confidence.tolist(), strict=True)]


def evaluate(model: Model, examples: list[Example]) -> dict:
    """Per-class precision, recall and F1, macro-F1 overall and per language, and the
    confusion matrix (rows: true class, columns: suggested class, in ``classes`` order)."""
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    if not examples:
        return {"examples": 0}
    truth = [e.label.split("/")[0] for e in examples]
    guessed = [s.rsit_class for s in suggest(model, [e.text for e in examples])]
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
