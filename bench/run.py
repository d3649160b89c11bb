"""Run every benchmark and write bench/results.json (with the machine described).

Each benchmark runs in its own process and prints one JSON object; this script
collects them, checks them against the targets the issues set, and writes the
file that is committed beside it.
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

BENCH = ROOT / "bench"


def run(script: str, *args: str) -> dict:
    print(f"== {script} {' '.join(args)}", file=sys.stderr, flush=True)
    out = subprocess.run([sys.executable, str(BENCH / script), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    started = time.time()
    taxii = run("taxii_vs_medallion.py")
    imported = run("import_million.py", "1000000")
    playbooks = run("playbooks_throughput.py")
    misp = run("misp_push.py")
    pages = run("million_pages.py", "1000000")
    side = taxii["side_by_side"]
    targets = {
        # Issue 3: ingest at least as fast as medallion's in-memory store, page at least 20x faster.
        "taxii_ingest_vs_medallion_at_least_1x": side["ingest_ratio"] >= 1.0,
        "taxii_paging_vs_medallion_at_least_20x": side["paging_ratio"] >= 20.0,
        # Issue 3: `ncert import` of 1,000,000 indicators at >= 20,000 objects/s; last page p95 <= 150 ms.
        "import_1m_at_least_20000_per_s": imported["objects_per_s"] >= 20_000,
        "last_page_p95_at_most_150_ms": imported["last_page"]["p95_ms"] <= 150,
        # Issue 4: a 50,000-attribute event through PyMISP add_event in <= 10 s, server RSS under 1 GB.
        "misp_50k_attribute_event_at_most_10_s": misp["pymisp_add_event"]["50000_attributes"]["seconds"] <= 10,
        "misp_server_rss_under_1_gib": misp["pymisp_add_event"]["server_peak_rss_mib"] < 1024,
        # Issue 5: incidents per second through the full playbook library >= 2,000.
        "playbooks_at_least_2000_incidents_per_s": playbooks["incidents_per_s"] >= 2_000,
        # Issue 15: 1,000,000 incidents generated through the bulk path in under 10 minutes (each backend),
        # and every everyday page within its p95 (million_pages.TARGETS) on both backends.
        **{f"million_load_{b}_under_10_min": pages[b]["dataset"]["load_s"] < 600 for b in ("sqlite", "postgresql")},
        **{f"million_{b}_{name}": met for b in ("sqlite", "postgresql") for name, met in targets_met(pages[b]).items()},
    }
    results = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "duration_s": round(time.time() - started),
        "taxii_attack": taxii,
        "import_1m_indicators": imported,
        "playbooks": playbooks,
        "misp": misp,
        "million_incidents_pages": pages,
        "targets_met": targets,
    }
    (BENCH / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(targets, indent=2))


if __name__ == "__main__":
    main()
