"""p50/p95 and response size of every everyday page at 1,000,000 incidents, through a real
``ncert serve``, on SQLite and on PostgreSQL side by side (issues 15 and 10).

Usage: million_pages.py [COUNT] [BACKEND ...]   (default 1,000,000; sqlite postgresql)
The PostgreSQL database is NCERT_BENCH_PG_URL (default: ncert_bench on the local server).
Prints one JSON object.

The data set is bench/million_incidents.py's (generated once, then cached). Every
request is asked as an operator and, where an analyst may open the page, as a
sector analyst (analyst@gridco.example); the overview as leadership. Every response
must be a 200: another status is recorded as the result, never retried or skipped.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, free_port, peak_rss_mib, server  # noqa: E402
from million_incidents import DATA, ensure, environment, sqlite_url  # noqa: E402

PG_URL = os.environ.get("NCERT_BENCH_PG_URL", "postgresql+psycopg://ncert_ci:ncert_ci@127.0.0.1:5432/ncert_bench")
SAMPLES = 40  # per request, after one warm-up request
BUDGET_S = 60  # a request slower than this in total stops at MIN_SAMPLES (recorded as its sample count)
MIN_SAMPLES = 10
ANALYST_ORG = "gridco"
LOGINS = {"operator": ("operator@ncsc.example", "ncert-demo-operator"),
          "analyst": ("analyst@gridco.example", "ncert-demo-analyst"),
          "leadership": ("director@ncsc.example", "ncert-demo-leadership")}
COMMON_WORD, RARE_WORD = "phishing", "quokka"  # a word in about a sixth of the reports, and one in none


def main() -> None:
    args = sys.argv[1:]
    count = int(args.pop(0)) if args and args[0].isdigit() else 1_000_000
    backends = args or ["sqlite", "postgresql"]
    out = {"incidents": count, "samples": SAMPLES}
    for backend in backends:
        url = sqlite_url(count) if backend == "sqlite" else PG_URL
        out[backend] = measure(url, count)
    print(json.dumps(out))


def measure(url: str, count: int) -> dict:
    dataset = ensure(url, count)
    env = environment(url)
    ncert = str(VENV_BIN / "ncert")
    keys = {role: _api_key(ncert, env, org, role) for role, org in
            (("soc_operator", "national-cert"), ("sector_analyst", ANALYST_ORG))}
    probes = _probes(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    with server([ncert, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4", "--no-scheduler"],
                f"{base}/login", env=env, log=DATA / f"serve-{make_url(url).get_backend_name()}.log") as proc:
        api = {"operator": _api_session(keys["soc_operator"]), "analyst": _api_session(keys["sector_analyst"])}
        console = {who: _console_session(base, *login) for who, login in LOGINS.items()}
        # The register's first risk each may read (an analyst reads its own sector's).
        probes.update({f"risk_{who}": api[who].get(f"{base}/api/v1/risks").json()["items"][0]["reference"]
                       for who in api})
        results = {name: _time(session, [base + path for path in paths])
                   for name, session, paths in _requests(api, console, probes)}
        rss = peak_rss_mib(proc.pid)
    return {"dataset": dataset, "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()], "server_peak_rss_mib": rss,
            "requests": results}


# Issue 15 and issue 10's targets at 1,000,000 incidents: (request name prefix, p95 ms at most).
TARGETS = (
    [(name, 50) for name in ("api_queue_default", "api_queue_new_by_severity", "api_counts", "console_queue_open",
                             "api_incident_detail")]
    + [(name, 150) for name in ("api_search_common_word", "api_search_rare_word")]
    + [(name, 300) for name in ("console_overview", "console_kpi_card", "api_kpi_organization",
                                "console_risk_register", "console_risk", "console_landscape", "api_landscape")]
)
DETAIL_MAX_KB = 100


def targets_met(backend: dict) -> dict:
    """Each target on one backend's results: every request it covers answered 200s within it."""
    met = {}
    for prefix, p95 in TARGETS:
        covered = {k: v for k, v in backend["requests"].items() if k.startswith(prefix)}
        ok = bool(covered) and all(v["p95_ms"] <= p95 and v["statuses"] == [200] for v in covered.values())
        if prefix == "api_incident_detail":
            ok = ok and all(v["max_kb"] <= DETAIL_MAX_KB for v in covered.values())
        met[f"{prefix}_p95_at_most_{p95}_ms" + ("_and_100_kb" if prefix == "api_incident_detail" else "")] = ok
    return met


def _requests(api: dict, console: dict, p: dict):
    """(name, session, paths) of every measured request; samples cycle through the paths."""
    quarter = f"?period={p['quarter']}"
    for who in ("operator", "analyst"):
        yield f"api_queue_default_{who}", api[who], ["/api/v1/incidents"]
        yield f"api_queue_new_by_severity_{who}", api[who], ["/api/v1/incidents?status=new&sort=-severity"]
        yield f"api_counts_{who}", api[who], ["/api/v1/incidents?counts=true"]
        yield f"api_search_common_word_{who}", api[who], [f"/api/v1/incidents?q={COMMON_WORD}"]
        yield f"api_search_rare_word_{who}", api[who], [f"/api/v1/incidents?q={RARE_WORD}"]
        yield f"api_incident_detail_{who}", api[who], [f"/api/v1/incidents/{r}" for r in p[f"references_{who}"]]
        yield f"api_incident_detail_most_shared_{who}", api[who], [f"/api/v1/incidents/{p[f'most_shared_{who}']}"]
        yield f"console_queue_open_{who}", console[who], ["/queue?status=open"]
        yield f"console_risk_register_{who}", console[who], ["/risks"]
        yield f"console_risk_{who}", console[who], [f"/risks/{p[f'risk_{who}']}"]
        yield f"console_kpi_card_{who}", console[who], [f"/kpi/{ANALYST_ORG}{quarter}"]
        yield f"api_kpi_organization_{who}", api[who], [f"/api/v1/kpi/organizations/{ANALYST_ORG}{quarter}"]
        yield f"console_landscape_{who}", console[who], ["/landscape"]
        yield f"api_landscape_{who}", api[who], ["/api/v1/landscape"]
    yield "console_overview_leadership", console["leadership"], ["/overview"]
    yield "console_overview_operator", console["operator"], ["/overview"]


def _time(session: requests.Session, urls: list[str]) -> dict:
    """One warm-up request, then up to SAMPLES timed ones: p50, p95, max and response size."""
    session.get(urls[0])
    timings, sizes, statuses = [], [], set()
    started = time.perf_counter()
    while len(timings) < SAMPLES and (len(timings) < MIN_SAMPLES or time.perf_counter() - started < BUDGET_S):
        t0 = time.perf_counter()
        r = session.get(urls[len(timings) % len(urls)])
        timings.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(r.content))
        statuses.add(r.status_code)
    return _summary(timings, sizes, statuses)


def _summary(timings: list[float], sizes: list[int], statuses: set[int]) -> dict:
    timings = sorted(timings)
    return {"samples": len(timings), "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(0, int(0.95 * len(timings)) - 1)], 1), "max_ms": round(timings[-1], 1),
            "max_kb": round(max(sizes) / 1024, 1), "statuses": sorted(statuses)}


def _probes(url: str) -> dict:
    """Random references (any for the operator, the analyst organisation's own for the analyst),
    the incident sharing an indicator with the most others, the current quarter."""
    engine = create_engine(url)
    rng = random.Random(15)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM incidents")).scalar_one()
        ids = [rng.randint(1, top) for _ in range(SAMPLES)]
        refs = conn.execute(text(f"SELECT reference FROM incidents WHERE id IN ({','.join(map(str, ids))})"))
        refs = refs.scalars().all()
        org = conn.execute(text("SELECT id FROM organizations WHERE slug = :s"), {"s": ANALYST_ORG}).scalar_one()
        own = conn.execute(text("SELECT reference, id FROM incidents WHERE reporter_org_id = :o"), {"o": org}).all()
        shared = conn.execute(text("SELECT indicator_id FROM incident_indicators GROUP BY indicator_id "
                                   "ORDER BY count(*) DESC LIMIT 1")).scalar()
        most_shared = conn.execute(text(
            "SELECT i.reference, i.reporter_org_id FROM incidents i JOIN incident_indicators l "
            "ON l.incident_id = i.id WHERE l.indicator_id = :s ORDER BY i.id"), {"s": shared}).all()
    engine.dispose()
    own_shared = [ref for ref, reporter in most_shared if reporter == org]
    now = time.gmtime()
    return {"references_operator": list(refs),
            "references_analyst": [r for r, _ in rng.sample(own, min(SAMPLES, len(own)))],
            "most_shared_operator": most_shared[0][0],
            "most_shared_analyst": own_shared[0] if own_shared else rng.choice(own)[0],
            "quarter": f"{now.tm_year}-Q{(now.tm_mon - 1) // 3 + 1}"}


def _api_key(ncert: str, env: dict, org: str, role: str) -> str:
    out = subprocess.run([ncert, "apikey", "create", "--org", org, "--role", role, "--name", "million_pages"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def _api_session(key: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def _console_session(base: str, email: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = session.post(f"{base}/login", data={"csrf_token": token, "email": email, "password": password})
    if r.status_code != 200 or "/login" in r.url:
        raise RuntimeError(f"console login as {email} failed: {r.status_code}")
    return session


if __name__ == "__main__":
    main()
