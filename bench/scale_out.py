"""Scale-out side by side (issue 12): 1,000,000 incidents and 5,000,000 indicators on SQLite,
PostgreSQL, and PostgreSQL with Elasticsearch, through a real ``ncert serve``.

Usage: scale_out.py [INCIDENTS [INDICATORS]] [BACKEND ...]
       (default 1,000,000 and 5,000,000; sqlite postgresql elasticsearch)
``elasticsearch`` is the PostgreSQL database (NCERT_BENCH_PG_URL, as million_pages.py) searched
through the Elasticsearch at NCERT_BENCH_ELASTICSEARCH_URL (default NCERT_TEST_ELASTICSEARCH_URL).
Prints one JSON object.

The incidents are bench/million_incidents.py's data set (shared with million_pages.py); the
indicators are topped up to INDICATORS by ``ncert import`` of import_million.py's STIX indicators into
the national CERT's sector inbox (so they are also a TAXII collection of millions of
objects), once per database. For Elasticsearch, ``ncert search reindex`` builds every index
from the database (bulk-index throughput). Then, for an operator and a sector analyst: the
queue page, free-text search (a common and a rare word), indicator search (exact values and a
domain prefix), the dashboards' aggregations (a quarter; all time for a word) and a TAXII page
at the end of that collection; and intake throughput with the outbox on: reports pushed over
REST by four clients at once to ``ncert serve --no-scheduler`` while ``ncert worker`` delivers
the outbox, until every report is stored and every outbox row delivered.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, free_port, peak_rss_mib, run_together, server  # noqa: E402
from import_million import generate  # noqa: E402
from million_incidents import DATA, ensure, environment, sqlite_url  # noqa: E402
from million_pages import (  # noqa: E402
    ANALYST_ORG,
    COMMON_WORD,
    PG_URL,
    RARE_WORD,
    SAMPLES,
    _api_key,
    _api_session,
    _time,
)

ES_URL = os.environ.get("NCERT_BENCH_ELASTICSEARCH_URL") or os.environ.get("NCERT_TEST_ELASTICSEARCH_URL")
TOP_UP_VERSION = "scale-v1"  # bump when the generated indicators change
PUSHED, CLIENTS = 2_000, 4  # reports pushed over REST for the intake figure, and by how many clients at once
TAXII = "application/taxii+json;version=2.1"
PAGE = 1000
INBOX = "inbox-government"  # the national CERT's sector inbox: where `ncert import` puts its objects

# Issue 12's targets (p95 ms at most) by request name prefix.
TARGETS = (("queue_page", 50), ("search_text", 150), ("search_indicator", 150), ("aggregations", 300))


def main() -> None:
    args = sys.argv[1:]
    incidents = int(args.pop(0)) if args and args[0].isdigit() else 1_000_000
    indicators = int(args.pop(0)) if args and args[0].isdigit() else 5_000_000
    backends = args or ["sqlite", "postgresql", "elasticsearch"]
    out = {"incidents": incidents, "indicators": indicators, "samples": SAMPLES}
    for backend in backends:
        out[backend] = measure(backend, incidents, indicators)
    print(json.dumps(out))


def measure(backend: str, incidents: int, indicators: int) -> dict:
    url = sqlite_url(incidents) if backend == "sqlite" else PG_URL
    dataset = ensure(url, incidents)
    top_up = _top_up(url, incidents, indicators)
    env = environment(url)
    result = {"dataset": dataset, "indicators": top_up}
    if backend == "elasticsearch":
        if not ES_URL:
            raise SystemExit("elasticsearch: set NCERT_BENCH_ELASTICSEARCH_URL (or NCERT_TEST_ELASTICSEARCH_URL)")
        env = {**env, "NCERT_ELASTICSEARCH_URL": ES_URL}
        result["bulk_index"] = _reindex(env)
    ncert = str(VENV_BIN / "ncert")
    keys = {role: _api_key(ncert, env, org, role) for role, org in
            (("soc_operator", "national-cert"), ("sector_analyst", ANALYST_ORG))}
    probes = _probes(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    with server([ncert, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4", "--no-scheduler"],
                f"{base}/login", env=env, log=DATA / f"scale-serve-{backend}.log") as proc:
        api = {"operator": _api_session(keys["soc_operator"]), "analyst": _api_session(keys["sector_analyst"])}
        result["requests"] = {name: _time(api[who], [base + path for path in paths])
                              for name, who, paths in _requests(probes)}
        result["requests"]["taxii_last_page_operator"] = _taxii_last_page(base, keys["soc_operator"], url)
        result["intake"] = _intake(base, keys["soc_operator"], env, url, probes["orgs"])
        result["server_peak_rss_mib"] = peak_rss_mib(proc.pid)
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def targets_met(backend: dict) -> dict:
    """Each target on one backend's results: every request it covers answered 200s within it."""
    met = {}
    for prefix, p95 in TARGETS:
        covered = [v for k, v in backend["requests"].items() if k.startswith(prefix)]
        met[f"{prefix}_p95_at_most_{p95}_ms"] = bool(covered) and all(
            v["p95_ms"] <= p95 and v["statuses"] == [200] for v in covered)
    return met


def _requests(p: dict):
    """(name, who, paths) of every measured request; samples cycle through the paths."""
    quarter = f"reported_after={p['quarter_start']}"
    for who in ("operator", "analyst"):
        yield f"queue_page_{who}", who, ["/api/v1/incidents"]
        yield f"search_text_common_word_{who}", who, [f"/api/v1/search/incidents?q={COMMON_WORD}"]
        yield f"search_text_rare_word_{who}", who, [f"/api/v1/search/incidents?q={RARE_WORD}"]
        yield f"search_indicator_exact_{who}", who, [f"/api/v1/search/indicators?q={v}" for v in p["values"]]
        yield f"search_indicator_prefix_{who}", who, [f"/api/v1/search/indicators?q={p['prefix']}"]
        yield (f"aggregations_quarter_{who}", who,
               [f"/api/v1/search/incidents?limit=1&aggregations=over_time,sector,category,severity"
                f"&interval=week&{quarter}"])
        yield (f"aggregations_word_all_time_{who}", who,
               [f"/api/v1/search/incidents?limit=1&q={COMMON_WORD}&aggregations=over_time,sector,category,severity"
                "&interval=month"])


def _probes(url: str) -> dict:
    """Random stored indicator values (those carried by reports: any visible to the operator) and the quarter."""
    engine = create_engine(url)
    rng = random.Random(12)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(indicator_id) FROM incident_indicators")).scalar_one()
        ids = ",".join(str(rng.randint(1, top)) for _ in range(SAMPLES * 2))
        values = conn.execute(text(f"SELECT value FROM indicators WHERE id IN ({ids}) AND type IN "
                                   "('ipv4-addr', 'domain-name', 'sha256', 'url')")).scalars().all()
        domain = conn.execute(text(f"SELECT value FROM indicators WHERE id IN ({ids}) AND type = 'domain-name' "
                                   "ORDER BY id LIMIT 1")).scalar_one()
        orgs = conn.execute(text("SELECT slug FROM organizations WHERE sector_id IS NOT NULL ORDER BY slug")).scalars()
        orgs = orgs.all()
    engine.dispose()
    today = datetime.now(timezone.utc).date()
    start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    return {"values": [requests.utils.quote(v, safe="") for v in values[:SAMPLES]],
            "prefix": domain[:4],  # the start of a domain some report carries
            "quarter_start": start.isoformat(), "orgs": orgs}


# -- the indicators ---------------------------------------------------------------------


def _top_up(url: str, incidents: int, target: int) -> dict:
    """Import generated STIX indicators until the database holds ``target`` indicators (once)."""
    backend = make_url(url).get_backend_name()
    marker = DATA / f"{TOP_UP_VERSION}-{incidents}-{target}-{backend}.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        if meta["database_url"] == url and _count(url, "indicators") >= target:
            return {**meta, "cached": True}
    have = _count(url, "indicators")
    missing = max(0, target - have)
    bundle = DATA / f"{TOP_UP_VERSION}-indicators-{missing}.json"
    if missing and not bundle.exists():
        generate(bundle, missing)
    started = time.perf_counter()
    if missing:
        subprocess.run([str(VENV_BIN / "ncert"), "import", str(bundle)], env=environment(url), check=True,
                       capture_output=True)
    seconds = time.perf_counter() - started
    meta = {"database_url": url, "before": have, "imported_objects": missing, "after": _count(url, "indicators"),
            "stix_objects": _count(url, "stix_objects"), "import_s": round(seconds, 1),
            "objects_per_s": round(missing / seconds) if missing else None}
    marker.write_text(json.dumps(meta))
    return {**meta, "cached": False}


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


# -- Elasticsearch ------------------------------------------------------------------------


def _reindex(env: dict) -> dict:
    """``ncert search reindex``: each index built from the database, its documents and seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(VENV_BIN / "ncert"), "search", "reindex"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    feeds, last = {}, started
    for line in proc.stdout:
        if line.startswith("search index rebuilt:"):
            now = time.perf_counter()
            documents, noun = line.split()[3:5]
            feeds[noun] = {"documents": int(documents), "seconds": round(now - last, 1),
                           "documents_per_s": round(int(documents) / (now - last))}
            last = now
    if proc.wait():
        raise RuntimeError(f"ncert search reindex exited with {proc.returncode}")
    total = sum(f["documents"] for f in feeds.values())
    seconds = time.perf_counter() - started
    return {"indices": feeds, "documents": total, "seconds": round(seconds, 1),
            "documents_per_s": round(total / seconds)}


# -- TAXII and intake -------------------------------------------------------------------------


def _taxii_last_page(base: str, key: str, url: str) -> dict:
    """p50/p95 of the last full 1,000-object page of the national inbox (its next token from the database)."""
    headers = {"Authorization": f"Bearer {key}", "Accept": TAXII}
    session = requests.Session()
    session.headers.update(headers)
    cid = session.get(f"{base}/taxii2/ncert/collections/{INBOX}/").json()["id"]
    token = subprocess.run([sys.executable, "-c", _TOKEN_SCRIPT, cid], env=environment(url), check=True,
                           capture_output=True, text=True).stdout.strip()
    return _time(session, [f"{base}/taxii2/ncert/collections/{cid}/objects/?limit={PAGE}&next={token}"])


# The next token of the collection's row 1,001 from the end: its page is the last full page.
_TOKEN_SCRIPT = """
import sys
from sqlalchemy import select
from ncert.models import StixObject
from ncert.runtime import Runtime
from ncert.services.taxii import _encode_next
rt = Runtime.create()
with rt.sessions() as s:
    row = s.execute(select(StixObject.date_added, StixObject.id).where(StixObject.collection_id == sys.argv[1])
                    .order_by(StixObject.date_added.desc(), StixObject.id.desc()).offset(1000).limit(1)).one()
print(_encode_next(*row))
"""


def _intake(base: str, key: str, env: dict, url: str, orgs: list[str]) -> dict:
    """PUSHED reports over REST by CLIENTS clients at once, on behalf of every organisation in turn,
    with ``ncert worker`` delivering the outbox: reports stored per second, and until the outbox holds
    nothing pending."""
    run = uuid.uuid4().hex[:8]
    bodies = [{"title": f"Scale-out intake {run} {n}: phishing wave against a ministry",
               "description": "Credential phishing pages hosted on a look-alike domain.",
               "category": "fraud/phishing", "reporter_org": orgs[n % len(orgs)], "tlp": "TLP:GREEN",
               "external_ids": {"scale-bench": f"{run}-{n}"},
               "indicators": [{"type": "domain-name", "value": f"login-{run}-{n}.scale-bench.net"},
                              {"type": "ipv4-addr", "value": f"45.130.{n >> 8 & 255}.{n & 255}"}]}
               for n in range(PUSHED)]
    statuses: set[int] = set()
    lock = threading.Lock()

    def client(part: list[dict]) -> None:
        session = _api_session(key)
        for body in part:
            status = session.post(f"{base}/api/v1/incidents", json=body).status_code
            with lock:
                statuses.add(status)

    engine = create_engine(url)
    with server([str(VENV_BIN / "ncert"), "worker"], None, env=env, log=DATA / "scale-worker.log"):
        started = time.perf_counter()
        stored_s = run_together([threading.Thread(target=client, args=(bodies[i::CLIENTS],)) for i in range(CLIENTS)])
        while _pending(engine):
            time.sleep(0.2)
        delivered_s = time.perf_counter() - started
    engine.dispose()
    return {"reports": PUSHED, "clients": CLIENTS, "statuses": sorted(statuses),
            "stored_per_s": round(PUSHED / stored_s), "until_outbox_delivered_s": round(delivered_s, 1)}


def _pending(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'")).scalar_one()


if __name__ == "__main__":
    main()
