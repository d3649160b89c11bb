"""REST intake throughput: incident reports POSTed one at a time to ``/api/v1/incidents`` of a real
``ncert serve`` (the embedded default: scheduler and outbox delivery in the same process), on SQLite
and, given a URL, on PostgreSQL.

Sector analysts of several organisations report a realistic mix (RSIT categories, a severity hint,
TLP:GREEN or AMBER, an external ticket id, none to six indicators, a fifth of them drawn from a shared
pool of campaign values so that reports correlate across sectors, sometimes an affected sector); the
installed playbooks and detection act on each as in production. After a warm-up, one client sends
reports back to back (reports/s and latency percentiles), then four clients at once (reports/s);
each phase also gives the server's CPU time per report, the figure a busy shared machine moves least.

    .venv/bin/python bench/rest_intake.py [REPORTS] [POSTGRESQL_URL]

(``bench/run.py rest_intake`` runs it with the defaults; the PostgreSQL URL may also come from
``NCERT_BENCH_INTAKE_PG_URL``.) Prints one JSON object: {"reports": N, "sqlite": {...},
"postgresql": {...}}, the last only given a URL. That database is emptied first: give one of its
own, never the million-incident benchmarks' (``NCERT_BENCH_PG_URL``).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import VENV_BIN, free_port, peak_rss_mib, run_together, server  # noqa: E402

REPORTS = 1_000  # per phase
WARM_UP = 50
CLIENTS = 4
SHARED_POOL = 200  # campaign values several reports carry, across sectors: they correlate
SHARED_SHARE = 0.2  # of the indicators reported; the others are each report's own
REPORTERS = ("gridco", "powergen", "unionbank", "cityhospital", "nordtel", "national-rail", "capital-water",
             "energy-cert", "finance-cert")
CATEGORIES = (("malicious-code", "infected-system"), ("fraud", "phishing"), ("intrusion-attempts", "exploit"),
              ("availability", "ddos"), ("intrusions", "system-compromise"), ("information-gathering", "scanner"),
              ("information-content-security", "unauthorised-information-access"))
SECTORS = ("energy", "transport", "banking", "health", "telecom", "drinking-water", "digital-infrastructure")
WORDS = ("ransomware", "phishing", "credential", "VPN", "SCADA", "workstation", "exfiltration", "DDoS", "portal",
         "mailbox", "invoice", "beacon", "webshell", "brute-force", "scanner", "outage")


def indicator(rng: random.Random, n: int) -> dict:
    """Indicator ``n`` in one of the types reporters send most."""
    kind = rng.choice(("ipv4-addr", "domain-name", "url", "sha256", "email-addr"))
    value = {"ipv4-addr": f"{45 + n // 65_536 % 50}.{n // 256 % 256}.{n % 256}.{rng.randint(1, 254)}",
             "domain-name": f"update-{n}.bad-cdn.example",
             "url": f"https://login-{n}.phish.example/verify",
             "sha256": f"{n:064x}",
             "email-addr": f"billing{n}@invoice-mail.example"}[kind]
    return {"type": kind, "value": value}


def indicator_pool(rng: random.Random, size: int = SHARED_POOL) -> list[dict]:
    """Values several reports share (campaign infrastructure)."""
    return [indicator(rng, n) for n in range(size)]


def reports(count: int, seed: int = 2026, start: int = 0) -> list[tuple[str, dict]]:
    """``count`` (reporter slug, report body) pairs, reproducible from ``seed``."""
    rng = random.Random(seed)
    pool = indicator_pool(rng)
    out = []
    for n in range(start, start + count):
        org = rng.choice(REPORTERS)
        words = " ".join(rng.sample(WORDS, 3))
        body = {"title": f"{words.capitalize()} at {org} #{n}",
                "description": f"Reported by {org}: {words}. " * rng.randint(1, 4),
                "category": dict(zip(("class", "type"), rng.choice(CATEGORIES), strict=True)),
                "severity": rng.randint(1, 4), "tlp": rng.choice(("green", "amber", "amber")),
                "external_ids": {f"{org}-ticket": f"INC-{seed}-{n}"},
                "indicators": [rng.choice(pool) if rng.random() < SHARED_SHARE else indicator(rng, 10_000 + n * 8 + i)
                               for i in range(rng.choice((0, 1, 2, 2, 3, 4, 6)))]}
        body["indicators"] = list({(i["type"], i["value"]): i for i in body["indicators"]}.values())
        if rng.random() < 0.2:
            body["affected_sectors"] = rng.sample(SECTORS, rng.randint(1, 2))
        out.append((org, body))
    return out


def cpu_s(pid: int) -> float:
    """The process's CPU time so far (user and system): unlike wall time, barely moved by other
    processes on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(base: str, key: str, body: dict) -> float:
    request = urllib.request.Request(f"{base}/api/v1/incidents", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        assert response.status == 201, response.status
    return time.perf_counter() - started


def sequential(base: str, keys: dict, batch: list) -> dict:
    started = time.perf_counter()
    latencies = [post(base, keys[org], body) for org, body in batch]
    seconds = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {"reports": len(batch), "seconds": round(seconds, 2), "reports_per_s": round(len(batch) / seconds, 1),
            "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 1)}


def concurrent(base: str, keys: dict, batch: list, clients: int) -> dict:
    shares = [batch[i::clients] for i in range(clients)]
    errors: list[BaseException] = []

    def send(share):
        try:
            for org, body in share:
                post(base, keys[org], body)
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)

    seconds = run_together([threading.Thread(target=send, args=(share,)) for share in shares])
    if errors:
        raise errors[0]
    return {"reports": len(batch), "clients": clients, "seconds": round(seconds, 2),
            "reports_per_s": round(len(batch) / seconds, 1)}


def run(env: dict, count: int) -> dict:
    ncert = str(VENV_BIN / "ncert")
    subprocess.run([ncert, "init"], env=env, check=True, capture_output=True)
    keys = {org: subprocess.run([ncert, "apikey", "create", "--org", org, "--role", "sector_analyst"], env=env,
                                check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            for org in REPORTERS}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    batches = reports(WARM_UP + 2 * count)
    with server([ncert, "serve", "--port", str(port)], f"{base}/api/v1/openapi.json", env=env) as proc:
        for org, body in batches[:WARM_UP]:
            post(base, keys[org], body)
        cpu = cpu_s(proc.pid)
        one = sequential(base, keys, batches[WARM_UP:WARM_UP + count])
        one["server_cpu_ms_per_report"] = round((cpu_s(proc.pid) - cpu) * 1000 / count, 1)
        cpu = cpu_s(proc.pid)
        many = concurrent(base, keys, batches[WARM_UP + count:], CLIENTS)
        many["server_cpu_ms_per_report"] = round((cpu_s(proc.pid) - cpu) * 1000 / count, 1)
        rss = peak_rss_mib(proc.pid)
    return {"sequential": one, "concurrent": many, "server_peak_rss_mib": rss}


def empty_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else REPORTS
    pg_url = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("NCERT_BENCH_INTAKE_PG_URL")
    results: dict = {"reports": count}
    base_env = {k: v for k, v in os.environ.items() if k not in ("NCERT_DATABASE_URL", "NCERT_ELASTICSEARCH_URL")}
    with tempfile.TemporaryDirectory(prefix="ncert-rest-intake-") as tmp:
        results["sqlite"] = run({**base_env, "NCERT_DATA_DIR": tmp}, count)
    if pg_url:
        empty_postgresql(pg_url)
        with tempfile.TemporaryDirectory(prefix="ncert-rest-intake-pg-") as tmp:
            results["postgresql"] = run({**base_env, "NCERT_DATA_DIR": tmp, "NCERT_DATABASE_URL": pg_url}, count)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
