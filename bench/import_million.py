"""Raw ingest throughput of `ncert import` for generated STIX indicators, then the
latency of a 1,000-object TAXII page at the end of the resulting collection.

Usage: import_million.py [COUNT]   (default 1,000,000)
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA, VENV_BIN, free_port, server  # noqa: E402

PAGE = 1000
SAMPLES = 50


def generate(path: Path, count: int) -> None:
    """A bundle of ``count`` distinct indicators: IPv4, domains and SHA-256 hashes."""
    created = "2026-06-01T00:00:00.000Z"
    with open(path, "wb") as out:
        out.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":[')
        for i in range(count):
            kind = i % 10
            if kind < 6:
                pattern = f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']"
            elif kind < 9:
                pattern = f"[domain-name:value = 'host{i}.bench.example']"
            else:
                pattern = f"[file:hashes.'SHA-256' = '{i:064x}']"
            obj = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.UUID(int=i + 1, version=4)}",
                   "created": created, "modified": created, "pattern": pattern, "pattern_type": "stix",
                   "valid_from": created}
            out.write((b"," if i else b"") + orjson.dumps(obj))
        out.write(b"]}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    DATA.mkdir(parents=True, exist_ok=True)
    bundle = DATA / f"indicators-{count}.json"
    if not bundle.exists():
        generate(bundle, count)
    with tempfile.TemporaryDirectory(prefix="ncert-import-") as tmp:
        env = {**os.environ, "NCERT_DATA_DIR": tmp}
        ncert = str(VENV_BIN / "ncert")
        subprocess.run([ncert, "init"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([ncert, "import", str(bundle)], env=env, check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        latency = page_latency(env, ncert)
    print(json.dumps({
        "objects": count, "file_mb": round(bundle.stat().st_size / 1e6, 1), "seconds": round(seconds, 1),
        "objects_per_s": round(count / seconds), "peak_rss_mib": round(rss, 1),
        "summary": done.stdout.strip().splitlines()[-1], "last_page": latency,
    }))


def page_latency(env: dict, ncert: str) -> dict:
    """p50/p95 of GET objects/?limit=1000 with a next token one page before the end."""
    key = subprocess.run([ncert, "apikey", "create", "--org", "national-cert", "--role", "soc_operator"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    token = subprocess.run([sys.executable, "-c", _TOKEN_SCRIPT], env=env, check=True, capture_output=True,
                           text=True).stdout.strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/taxii+json;version=2.1"}
    with server([ncert, "serve", "--port", str(port)], f"{base}/api/v1/openapi.json", env=env):
        cid = requests.get(f"{base}/taxii2/ncert/collections/inbox-government/", headers=headers).json()["id"]
        url = f"{base}/taxii2/ncert/collections/{cid}/objects/"
        timings, size = [], 0
        for _ in range(SAMPLES):
            started = time.perf_counter()
            r = requests.get(url, params={"limit": PAGE, "next": token}, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            size = len(r.json()["objects"])
    timings.sort()
    return {"page_objects": size, "samples": SAMPLES, "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(0.95 * SAMPLES) - 1], 1)}


# The next token of the row 1,001 from the end: its page is the collection's last full page.
_TOKEN_SCRIPT = """
from sqlalchemy import select
from ncert.models import StixObject
from ncert.runtime import Runtime
from ncert.services.taxii import _encode_next
rt = Runtime.create()
with rt.sessions() as s:
    row = s.execute(select(StixObject.date_added, StixObject.id).order_by(StixObject.date_added.desc(),
                    StixObject.id.desc()).offset(1000).limit(1)).one()
print(_encode_next(*row))
"""

if __name__ == "__main__":
    main()
