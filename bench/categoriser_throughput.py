"""The categoriser (issue 13): training time on the shipped corpus, the stored model's size and
load time, and batch categorisation throughput (target: at least 5,000 incidents/s).

The batch is made of corpus texts with a report number appended, so no two are identical."""

from __future__ import annotations

import json
import random
import sys
import time

from detection import categoriser, modelstore


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    corpus = categoriser.corpus()
    train, held_out = categoriser.split(corpus)
    estimator, train_s = categoriser.fit(train)
    metrics = categoriser.evaluate(estimator, held_out)
    blob = modelstore.dumps(estimator)
    started = time.perf_counter()
    modelstore.loads(blob)
    load_s = time.perf_counter() - started
    rng = random.Random(2026)
    texts = [f"{rng.choice(corpus).text} (report {n})" for n in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        categoriser.suggest(estimator, texts[start:start + 1000])
    seconds = time.perf_counter() - started
    print(json.dumps({
        "corpus_examples": len(corpus), "training_examples": len(train), "training_s": round(train_s, 2),
        "held_out_examples": len(held_out), "held_out_macro_f1": metrics["macro_f1"],
        "held_out_macro_f1_by_language": metrics["macro_f1_by_language"],
        "model_mib": round(len(blob) / 2**20, 2), "load_s": round(load_s, 2),
        "incidents": count, "batch": 1000, "seconds": round(seconds, 2), "incidents_per_s": round(count / seconds),
    }))


if __name__ == "__main__":
    main()
