"""The web app starts light: ``create_app()`` as a WSGI server calls it (the runtime of ``ncert
serve``: playbooks and detection) and a REST report taken through it load no MISP or model code.
The MISP door imports pymisp with its first request (pymisp pulls in jsonschema, whose format
checkers build a lark grammar: about three seconds before the first request could be served), and
the quarterly report's PDF view fpdf with the first report.

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


def _loaded(code: str, env: dict[str, str], cwd) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _present(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


def test_the_app_starts_and_takes_a_report_without_misp_or_model_code(world, tmp_path):
    key = world.key("gridco")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCERT_")}
    env.update(NCERT_DATA_DIR=str(tmp_path / "data"), NCERT_SECRET_KEY="test-secret",
               NCERT_DATABASE_URL=world.runtime.settings.database_url)
    report = {"title": "Phishing wave", "tlp": "green", "indicators": [{"type": "domain-name", "value": "bad.example"}]}
    modules = _loaded("from ncert.web import create_app\n"
                      "client = create_app().test_client()\n"
                      f"answer = client.post('/api/v1/incidents', json={report!r}, "
                      f"headers={{'Authorization': 'Bearer {key}'}})\n"
                      "assert answer.status_code == 201, answer.get_json()", env, tmp_path)
    assert "ncert.misp.views" in modules and "detection" in modules  # the MISP door and detection are there
    assert _present(modules, HEAVY) == []
