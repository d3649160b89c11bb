"""Run the benchmarks and write bench/results.json (with the machine described).

Each benchmark runs in its own process and prints one JSON object; this script
collects them, checks them against the targets the issues set, and writes the
file that is committed beside it. Naming benchmarks (``run.py million_incidents_pages``)
re-runs only those and keeps the others' last results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine  # noqa: E402
from million_pages import targets_met  # noqa: E402
from scale_out import targets_met as scale_out_targets_met  # noqa: E402

BENCH = ROOT / "bench"


def run(script: str, *args: str) -> dict:
    print(f"== {script} {' '.join(args)}", file=sys.stderr, flush=True)
    out = subprocess.run([sys.executable, str(BENCH / script), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# name in results.json → (script, arguments)
BENCHMARKS = {
    "taxii_attack": ("taxii_vs_medallion.py",),
    "import_1m_indicators": ("import_million.py", "1000000"),
    "playbooks": ("playbooks_throughput.py",),
    "misp": ("misp_push.py",),
    "categoriser": ("categoriser_throughput.py",),
    "million_incidents_pages": ("million_pages.py", "1000000"),
    "detector_surges": ("detector_surges.py",),
    "scale_out": ("scale_out.py", "1000000", "5000000"),
    "rest_intake": ("rest_intake.py",),  # PostgreSQL too when NCERT_BENCH_INTAKE_PG_URL is set
}


def targets(r: dict) -> dict:
    """Each target the issues set, on the results at hand (a benchmark not run yet has none)."""
    met = {}
    if taxii := r.get("taxii_attack"):
        # Issue 3: ingest at least as fast as medallion's in-memory store, page at least 20x faster.
        side = taxii["side_by_side"]
        met["taxii_ingest_vs_medallion_at_least_1x"] = side["ingest_ratio"] >= 1.0
        met["taxii_paging_vs_medallion_at_least_20x"] = side["paging_ratio"] >= 20.0
    if imported := r.get("import_1m_indicators"):
        # Issue 3: `ncert import` of 1,000,000 indicators at >= 20,000 objects/s; last page p95 <= 150 ms.
        met["import_1m_at_least_20000_per_s"] = imported["objects_per_s"] >= 20_000
        met["last_page_p95_at_most_150_ms"] = imported["last_page"]["p95_ms"] <= 150
    if misp := r.get("misp"):
        # Issue 4: a 50,000-attribute event through PyMISP add_event in <= 10 s, server RSS under 1 GB.
        met["misp_50k_attribute_event_at_most_10_s"] = misp["pymisp_add_event"]["50000_attributes"]["seconds"] <= 10
        met["misp_server_rss_under_1_gib"] = misp["pymisp_add_event"]["server_peak_rss_mib"] < 1024
    if playbooks := r.get("playbooks"):
        # Issue 5: incidents per second through the full playbook library >= 2,000.
        met["playbooks_at_least_2000_incidents_per_s"] = playbooks["incidents_per_s"] >= 2_000
        if with_categoriser := playbooks.get("uncategorised_with_categorisation"):
            # Issue 13: and so with every report categorised on the way in.
            met["playbooks_with_categorisation_at_least_2000_per_s"] = with_categoriser["incidents_per_s"] >= 2_000
    if categoriser := r.get("categoriser"):
        # Issue 13: batch categorisation at least 5,000 incidents/s.
        met["categoriser_at_least_5000_per_s"] = categoriser["incidents_per_s"] >= 5_000
    if pages := r.get("million_incidents_pages"):
        # Issues 10 and 15: 1,000,000 incidents generated through the bulk path in under 10 minutes (each
        # backend), and every everyday page within its p95 (million_pages.TARGETS) on both backends.
        for b in ("sqlite", "postgresql"):
            if b in pages:
                met[f"million_load_{b}_under_10_min"] = pages[b]["dataset"]["load_s"] < 600
                met.update({f"million_{b}_{name}": ok for name, ok in targets_met(pages[b]).items()})
    if scale := r.get("scale_out"):
        # Issue 12: at 1,000,000 incidents and 5,000,000 indicators, on each backend: queue page p95 <= 50 ms,
        # free-text and indicator search <= 150 ms, dashboard aggregations <= 300 ms.
        for b in ("sqlite", "postgresql", "elasticsearch"):
            if b in scale:
                met.update({f"scale_out_{b}_{name}": ok for name, ok in scale_out_targets_met(scale[b]).items()})
    return met


def main() -> None:
    """``run.py`` runs every benchmark; ``run.py NAME ...`` re-runs those and keeps the others' last results."""
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(BENCHMARKS)}")
    path = BENCH / "results.json"
    results = json.loads(path.read_text()) if sys.argv[1:] and path.exists() else {}
    started = time.time()
    for name in names:
        # Each result names the machine and commit it was measured on: a re-run of some keeps the others'.
        results[name] = {**run(*BENCHMARKS[name]), "measured_on": machine()}
    results.update({"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                    "duration_s": round(time.time() - started), "ran": names})
    results["targets_met"] = targets(results)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["targets_met"], indent=2))


if __name__ == "__main__":
    main()
