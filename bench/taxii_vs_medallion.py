"""MITRE ATT&CK Enterprise pushed with the real taxii2-client into ncert (SQLite,
with mapping and correlation) and into medallion (the OASIS reference server,
memory backend), then paged back out; side by side, in one run.

medallion's memory backend re-filters the whole collection for every page, so
paging the full bundle (about 20,000 objects) back out of it takes far longer
than a benchmark run can wait. The side-by-side comparison therefore uses the
bundle's first SUBSET objects on both servers (close to the 1,826 objects the
issue measured medallion with); ncert alone is also measured on the full bundle.
A SUBSET push takes about 0.2 s, so one run is at the mercy of the machine's
noise: each server gets REPEATS pushes, each into a fresh server, and the
median is reported (paging is measured on the first).

Prints one JSON object: objects/s in and out and peak RSS for both, and the ratios.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, as_pages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, attack_bundle, free_port, peak_rss_mib, server, upgrade_to_21  # noqa: E402

PAGE = 1000
SUBSET = 2000
REPEATS = 3


def push_and_page(collection: Collection, objects: list[dict], page: bool = True) -> dict:
    started = time.perf_counter()
    status = collection.add_objects({"objects": objects}, wait_for_completion=True, poll_interval=0.2,
                                    timeout=600)
    seconds_in = time.perf_counter() - started
    result = {"pushed": len(objects), "accepted": status.success_count, "rejected": status.failure_count,
              "seconds_in": round(seconds_in, 3), "objects_per_s_in": round(len(objects) / seconds_in)}
    if page:
        started = time.perf_counter()
        served = sum(len(p.get("objects", [])) for p in as_pages(collection.get_objects, per_request=PAGE))
        seconds_out = time.perf_counter() - started
        result.update(served=served, seconds_out=round(seconds_out, 3), objects_per_s_out=round(served / seconds_out))
    return result


def median_of_runs(run, objects: list[dict], work: Path) -> dict:
    """REPEATS fresh runs of ``run``: the first one's figures, with the median ingest time."""
    results = [run([dict(o) for o in objects], work / f"run-{n}", page=n == 0) for n in range(REPEATS)]
    times = [r["seconds_in"] for r in results]
    median = sorted(times)[REPEATS // 2]
    return {**results[0], "seconds_in": median, "objects_per_s_in": round(len(objects) / median),
            "runs_seconds_in": times}


def ncert(objects: list[dict], work: Path, page: bool = True) -> dict:
    env = {"NCERT_DATA_DIR": str(work)}
    run = lambda *args: subprocess.run([str(VENV_BIN / "ncert"), *args], env={**os.environ, **env},  # noqa: E731
                                       check=True, capture_output=True, text=True).stdout
    run("init")
    key = run("apikey", "create", "--org", "gridco", "--role", "sector_analyst").strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [str(VENV_BIN / "ncert"), "serve", "--port", str(port), "--threads", "4"]
    with server(serve, f"{base}/api/v1/openapi.json", env=env, log=work / "ncert.log") as proc:
        root = ApiRoot(f"{base}/taxii2/ncert/", auth=TokenAuth(key))
        coll = next(c for c in root.collections if c.alias == "inbox-energy")
        result = push_and_page(Collection(coll.url, auth=TokenAuth(key)), objects, page)
        result["peak_rss_mib"] = peak_rss_mib(proc.pid)
    return result


def medallion(objects: list[dict], work: Path, page: bool = True) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = {
        "/discovery": {"title": "bench", "default": f"{base}/api1/", "api_roots": [f"{base}/api1/"]},
        "api1": {
            "information": {"title": "bench", "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 200 * 1024 * 1024},
            "status": [],
            "collections": [{"id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "bench", "can_read": True,
                             "can_write": True, "media_types": ["application/stix+json;version=2.1"],
                             "objects": [], "manifest": []}],
        },
    }
    (work / "medallion-data.json").write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                          "filename": str(work / "medallion-data.json")},
              "users": {"bench": "bench"}, "taxii": {"max_page_size": PAGE}}
    (work / "medallion.json").write_text(json.dumps(config))
    cmd = [str(VENV_BIN / "medallion"), "--host", "127.0.0.1", "--port", str(port), str(work / "medallion.json")]
    with server(cmd, f"{base}/taxii2/", log=work / "medallion.log") as proc:
        coll = Collection(f"{base}/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/", user="bench",
                          password="bench")
        result = push_and_page(coll, objects, page)
        result["peak_rss_mib"] = peak_rss_mib(proc.pid)
    return result


def main() -> None:
    path = attack_bundle()
    objects = upgrade_to_21(orjson.loads(path.read_bytes())["objects"])
    with tempfile.TemporaryDirectory(prefix="ncert-bench-") as tmp:
        work = Path(os.environ.get("NCERT_BENCH_WORK", tmp))
        work.mkdir(parents=True, exist_ok=True)
        full = ncert([dict(o) for o in objects], work / "full")
        ours = median_of_runs(ncert, objects[:SUBSET], work / "subset")
        theirs = median_of_runs(medallion, objects[:SUBSET], work / "medallion")
    print(json.dumps({
        "dataset": f"MITRE ATT&CK Enterprise v15 ({path.stat().st_size / 1e6:.1f} MB, {len(objects)} objects)",
        "ncert_full_bundle": full,
        "side_by_side": {
            "objects": SUBSET, "ncert": ours, "medallion": theirs,
            "ingest_ratio": round(ours["objects_per_s_in"] / theirs["objects_per_s_in"], 2),
            "paging_ratio": round(ours["objects_per_s_out"] / theirs["objects_per_s_out"], 2),
        },
    }))


if __name__ == "__main__":
    main()
