"""The categoriser (issue 13): training time on the shipped corpus, the stored model's size, its
first load in a fresh process, and batch categorisation throughput (target: at least 5,000
incidents/s).

The batch is made of corpus texts with a report number appended, so no two are identical. Each
run scores it 1,000 at a time with a newly loaded model (no word seen before); the figure is the
median of ``RUNS`` runs, since the machine is shared. The first load is timed in a new Python
process that has imported ncert's detection package, as a server has from its start: reading the
stored bytes, building the model and the first suggestion (with the numpy and scipy imports they
need), as the first report after a server start pays it."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from detection import categoriser, modelstore

RUNS = 5
FIRST_LOAD = """
import sys, time
from detection import categoriser, modelstore
started = time.perf_counter()
model = categoriser.Model(modelstore.loads(open(sys.argv[1], "rb").read()))
categoriser.suggest(model, ["Phishing e-mails imitating the national post"])
print(time.perf_counter() - started)
"""


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    corpus = categoriser.corpus()
    train, held_out = categoriser.split(corpus)
    model, train_s = categoriser.fit(train)
    metrics = categoriser.evaluate(model, held_out)
    blob = modelstore.dumps(model.arrays)
    with tempfile.TemporaryDirectory() as tmp:
        stored = Path(tmp) / "categoriser.npz"
        stored.write_bytes(blob)
        first_loads = [float(subprocess.run([sys.executable, "-c", FIRST_LOAD, str(stored)], capture_output=True,
                                            text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
                             .stdout) for _ in range(RUNS)]
    rng = random.Random(2026)
    texts = [f"{rng.choice(corpus).text} (report {n})" for n in range(count)]
    rates = []
    for _ in range(RUNS):
        fresh = categoriser.Model(modelstore.loads(blob))
        started = time.perf_counter()
        for start in range(0, count, 1000):
            categoriser.suggest(fresh, texts[start:start + 1000])
        rates.append(count / (time.perf_counter() - started))
    print(json.dumps({
        "corpus_examples": len(corpus), "training_examples": len(train), "training_s": round(train_s, 2),
        "held_out_examples": len(held_out), "held_out_macro_f1": metrics["macro_f1"],
        "held_out_macro_f1_by_language": metrics["macro_f1_by_language"],
        "model_mib": round(len(blob) / 2**20, 2), "first_load_s": round(statistics.median(first_loads), 2),
        "incidents": count, "batch": 1000, "runs": RUNS, "incidents_per_s": round(statistics.median(rates)),
        "incidents_per_s_each_run": [round(r) for r in rates],
    }))


if __name__ == "__main__":
    main()
