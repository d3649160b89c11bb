"""The web app starts light: ``create_app()`` as a WSGI server calls it (the runtime of ``ncert
serve``: playbooks and detection) and a REST report taken through it load no MISP or model code.
The MISP door imports pymisp with its first request (pymisp pulls in jsonschema, whose format
checkers build a lark grammar: about three seconds before the first request could be served), and
the quarterly report's PDF view fpdf with the first report; STIX export and advisory sharing import
stix2 (``ncert.lazy``), the streaming depth guard numpy, the Elasticsearch health check requests.
``ncert worker`` starts without Flask, its templates or any web door: it runs jobs, serves no page.

As in test_cli_startup, the check runs in a fresh interpreter, since this test process has
imported everything already, and asserts on the modules loaded, not on times."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Packages neither starting the app nor taking a REST report needs (no model is trained here): MISP, the
# quarterly PDF, models, Elasticsearch while none is configured, STIX export and advisory sharing (stix2, its
# pattern grammar and TAXII client), the streaming depth guard (numpy), the Elasticsearch health check (requests).
HEAVY = ("pymisp", "pymispwarninglists", "lark", "jsonschema", "rfc3987_syntax", "fpdf", "sklearn", "scipy",
         "skops", "pandas", "elasticsearch", "stix2", "stix2patterns", "antlr4", "taxii2client", "numpy",
         "requests", "urllib3")


# What serves pages and requests: the worker loads none of it (ncert.feeds is the feeds' door; their
# pulls are ncert.services.feeds).
WEB = ("flask", "flask_babel", "flask_login", "flask_wtf", "jinja2", "wtforms", "waitress", "ncert.web",
       "ncert.console", "ncert.api", "ncert.public", "ncert.taxii", "ncert.misp", "ncert.feeds")

# `ncert worker` up to its jobs being scheduled, then SIGTERM as `docker stop` sends it: the scheduler is
# started paused, so no job runs (what a job imports when it runs, training's sklearn, is its own business).
WORKER = """
import os, signal
import ncert.cli
from click.testing import CliRunner
from ncert import scheduler

def scheduled_then_stopped(runtime, persistent=False):
    jobs = scheduler.build(runtime, persistent)
    jobs.start(paused=True)
    os.kill(os.getpid(), signal.SIGTERM)
    return jobs

scheduler.start = scheduled_then_stopped
out = CliRunner().invoke(ncert.cli.main, ['worker'])
assert out.exit_code == 0 and 'ncert worker: stopped' in out.output, out.output
"""


def _env(world, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCERT_")}
    env.update(NCERT_DATA_DIR=str(tmp_path / "data"), NCERT_SECRET_KEY="test-secret",
               NCERT_DATABASE_URL=world.runtime.settings.database_url)
    return env


def _loaded(code: str, env: dict[str, str], cwd) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _present(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


def test_the_app_starts_and_takes_a_report_without_misp_or_model_code(world, tmp_path):
    key = world.key("gridco")
    report = {"title": "Phishing wave", "tlp": "green", "indicators": [{"type": "domain-name", "value": "bad.example"}]}
    modules = _loaded("from ncert.web import create_app\n"
                      "client = create_app().test_client()\n"
                      f"answer = client.post('/api/v1/incidents', json={report!r}, "
                      f"headers={{'Authorization': 'Bearer {key}'}})\n"
                      "assert answer.status_code == 201, answer.get_json()", _env(world, tmp_path), tmp_path)
    assert "ncert.misp.views" in modules and "detection" in modules  # the MISP door and detection are there
    assert _present(modules, HEAVY) == []


def test_the_worker_starts_without_the_web_app(world, tmp_path):
    modules = _loaded(WORKER, _env(world, tmp_path), tmp_path)
    assert _present(modules, ("apscheduler", "ncert.scheduler", "detection", "playbooks.engine")) == [
        "apscheduler", "ncert.scheduler", "detection", "playbooks.engine"]  # the scheduler and the runtime
    assert _present(modules, WEB + HEAVY) == []
