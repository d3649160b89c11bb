"""MISP interoperability throughput: events pushed with the real PyMISP `add_event`
(10, 1,000 and 50,000 attributes) into `ncert serve` on SQLite, with the server's
peak RSS; and the time `ncert feeds pull` takes for a 100-event MISP feed served
from a local HTTP server.

Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pymisp import MISPEvent, MISPOrganisation, PyMISP

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, free_port, peak_rss_mib, server  # noqa: E402

SIZES = ((10, 50), (1_000, 5), (50_000, 1))  # (attributes per event, events pushed)


def event(size: int, n: int) -> MISPEvent:
    ev = MISPEvent()
    ev.info = f"Bench event {n} with {size} attributes"
    ev.add_tag("tlp:green")
    for i in range(size):
        if i % 2:
            ev.add_attribute("ip-dst", f"10.{n % 256}.{i >> 8 & 255}.{i & 255}", to_ids=True)
        else:
            ev.add_attribute("domain", f"h{i}.n{n}.bench.example", to_ids=True)
    return ev


def push(env: dict) -> dict:
    ncert = str(VENV_BIN / "ncert")
    key = subprocess.run([ncert, "apikey", "create", "--org", "gridco", "--role", "sector_analyst"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results = {}
    with server([ncert, "serve", "--port", str(port), "--no-scheduler"], f"{base}/api/v1/openapi.json",
                env=env) as proc:
        client = PyMISP(f"{base}/misp/", key, ssl=False, timeout=600)
        for size, count in SIZES:
            events = [event(size, n + size) for n in range(count)]
            started = time.perf_counter()
            for ev in events:
                answer = client.add_event(ev, pythonify=True)
                assert not isinstance(answer, dict), answer  # an error comes back as a dict
            seconds = time.perf_counter() - started
            results[f"{size}_attributes"] = {
                "events": count, "seconds": round(seconds, 2), "events_per_s": round(count / seconds, 1),
                "attributes_per_s": round(count * size / seconds)}
        results["server_peak_rss_mib"] = peak_rss_mib(proc.pid)
    return results


def feed_pull(env: dict, work: Path) -> dict:
    """A 100-event feed (10 attributes each) written as MISP writes feeds, pulled once."""
    feed = work / "feed"
    feed.mkdir()
    org = MISPOrganisation()
    org.from_dict(name="Partner CERT", uuid=str(uuid.uuid4()))
    events = []
    for n in range(100):
        ev = event(10, 1000 + n)
        ev.uuid, ev.Orgc = str(uuid.uuid4()), org
        ev.timestamp = int(time.time())
        events.append(ev)
        (feed / f"{ev.uuid}.json").write_text(json.dumps(ev.to_feed()))
    from ingest.misp.mapping import feed_files

    manifest, hashes = feed_files(events)
    (feed / "manifest.json").write_text(json.dumps(manifest))
    (feed / "hashes.csv").write_text(hashes)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(feed)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        ncert = str(VENV_BIN / "ncert")
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        subprocess.run([ncert, "feeds", "add", "--name", "bench", "--kind", "misp", "--url", url, "--org",
                        "energy-cert"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        out = subprocess.run([ncert, "feeds", "pull", "bench"], env=env, check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    finally:
        httpd.shutdown()
    return {"events": 100, "seconds": round(seconds, 2), "summary": out.stdout.strip().splitlines()[-1]}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ncert-misp-bench-") as tmp:
        env = {**os.environ, "NCERT_DATA_DIR": tmp}
        subprocess.run([str(VENV_BIN / "ncert"), "init"], env=env, check=True, capture_output=True)
        pushed = push(env)
        pulled = feed_pull(env, Path(tmp))
    print(json.dumps({"pymisp_add_event": pushed, "feed_pull_100_events": pulled}))


if __name__ == "__main__":
    main()
