"""``GET /healthz``: no sign-in, ok or fail per check and nothing more, 200 or 503.
Elasticsearch is played by a local HTTP server answering its cluster-health API
(``GET /_cluster/health``) the way a green, a red and an absent cluster would."""

from __future__ import annotations

import json
import socket
from dataclasses import replace

import pytest

from ncert.db import make_engine
from ncert.runtime import Runtime
from ncert.web import create_app
from tests.feeds.fixture_server import FeedServer


def healthz(runtime: Runtime):
    response = create_app(runtime).test_client().get("/healthz")
    return response.status_code, response.get_json()


def with_elasticsearch(runtime: Runtime, url: str) -> Runtime:
    return Runtime.create(replace(runtime.settings, elasticsearch_url=url), engine=runtime.engine)


def test_a_reachable_database_is_ok_without_signing_in(runtime):
    assert healthz(runtime) == (200, {"status": "ok", "checks": {"database": "ok"}})


def test_an_unreachable_database_fails_with_503_and_no_detail(runtime, tmp_path):
    gone = Runtime.create(runtime.settings, engine=make_engine(f"sqlite:///{tmp_path}/missing/dir/ncert.db"))
    assert healthz(gone) == (503, {"status": "fail", "checks": {"database": "fail"}})


@pytest.mark.parametrize("status, body, expected", [
    (200, {"cluster_name": "ncert", "status": "green"}, "ok"),
    (200, {"cluster_name": "ncert", "status": "yellow"}, "ok"),  # a single node holds no replicas
    (200, {"cluster_name": "ncert", "status": "red"}, "fail"),
    (503, {"error": "master_not_discovered_exception"}, "fail"),
])
def test_a_configured_elasticsearch_is_checked_by_its_cluster_health(runtime, status, body, expected):
    with FeedServer() as cluster:
        cluster.files["/_cluster/health"] = (status, json.dumps(body).encode())
        code, answer = healthz(with_elasticsearch(runtime, cluster.url + "/"))
    assert cluster.requests["/_cluster/health"] == 1
    assert answer == {"status": expected, "checks": {"database": "ok", "elasticsearch": expected}}
    assert code == (200 if expected == "ok" else 503)


def test_an_elasticsearch_nobody_listens_on_fails(runtime):
    with socket.socket() as probe:  # a port just freed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, answer = healthz(with_elasticsearch(runtime, f"http://127.0.0.1:{port}"))
    assert (code, answer) == (503, {"status": "fail", "checks": {"database": "ok", "elasticsearch": "fail"}})
