"""The volume and anomaly detectors on simulated traffic with injected surges (issue 13):
``detection.surge_evaluation`` run for each of ``SEEDS`` (16 surges each: four scenarios, sizes 5,
10, 20 and 40 reports, over 40 days after 90 days of history), each seed's figures and all seeds
pooled. No target: the issue asks for the figures to be quoted.

Usage: detector_surges.py [PER_DAY]   (baseline reports a day, default 80)
Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detection import surge_evaluation as se  # noqa: E402

SEEDS = (2026, 2027, 2028)


def main() -> None:
    per_day = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    started = time.perf_counter()
    evaluations = []
    for seed in SEEDS:
        with se.scratch() as runtime:
            evaluations.append(se.evaluate(runtime, se.Setup(seed=seed, per_day=per_day)))
    print(json.dumps({
        "seeds": list(SEEDS), "per_day": per_day,
        "pooled": {sc.detector: sc.to_json() for sc in se.pooled(evaluations)},
        "by_seed": {str(e.setup.seed): e.to_json() for e in evaluations},
        "seconds": round(time.perf_counter() - started),
    }))


if __name__ == "__main__":
    main()
