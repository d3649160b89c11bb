"""``GET /healthz`` for load balancers and container health checks: no sign-in, and
no detail beyond ok or fail per check, so it tells an outsider nothing more.

Each check is a named function of the runtime that raises or returns False on failure:
the database (a trivial query) and, when ``NCERT_ELASTICSEARCH_URL`` is set, Elasticsearch.
Answers ``{"status": "ok"|"fail", "checks": {name: "ok"|"fail"}}``, 200 when all pass, else 503.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ncert.runtime import Runtime

ELASTICSEARCH_TIMEOUT_S = 2.0
log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def database(runtime: Runtime) -> bool:
    with runtime.engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar() == 1


def elasticsearch(runtime: Runtime) -> bool:
    """The cluster answers its health API and is not red. ``GET /`` is no probe: some builds
    answer it 405 (../shared/reference/elasticsearch.md, "Readiness")."""
    import requests  # ~40 ms: only a process configured with Elasticsearch checks it

    url = runtime.settings.elasticsearch_url.rstrip("/") + "/_cluster/health"
    response = requests.get(url, timeout=ELASTICSEARCH_TIMEOUT_S)
    return response.ok and response.json().get("status") in ("green", "yellow")


def checks(runtime: Runtime) -> list[tuple[str, Callable[[Runtime], bool]]]:
    """The checks that apply to this runtime's configuration."""
    found = [("database", database)]
    if runtime.settings.elasticsearch_url:
        found.append(("elasticsearch", elasticsearch))
    return found


def _passes(name: str, check: Callable[[Runtime], bool], runtime: Runtime) -> bool:
    try:
        return bool(check(runtime))
    except Exception:  # any failure is "fail"; the reason goes to the log, never to the caller
        log.warning("health check %s failed", name, exc_info=True)
        return False


@bp.get("/healthz")
def healthz():
    runtime = current_app.extensions["ncert"]
    results = {name: "ok" if _passes(name, check, runtime) else "fail" for name, check in checks(runtime)}
    ok = all(v == "ok" for v in results.values())
    return jsonify(status="ok" if ok else "fail", checks=results), 200 if ok else 503
