"""`ncert` starts light: importing the command line, `ncert --help` and a command that needs none of
the MISP, STIX, search or model code load none of it (pymisp alone pulled in jsonschema, whose format
checkers build a lark grammar: seconds before any command ran).

Each check runs in a fresh interpreter, since this test process has imported everything already,
and asserts on the modules loaded, not on times (a busy machine would make timings flaky)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Packages no command needs until it does MISP, STIX, search, web or model work.
HEAVY = ("pymisp", "pymispwarninglists", "lark", "jsonschema", "rfc3987_syntax", "stix2", "stix2patterns",
         "antlr4", "taxii2client", "numpy", "sklearn", "scipy", "skops", "elasticsearch", "requests", "fpdf",
         "ioc_finder", "apscheduler", "waitress", "ingest")
# Nor does `ncert --help` need the database layer.
DATABASE = ("sqlalchemy", "ncert.models", "ncert.db", "ncert.runtime", "ncert.services")


def _loaded(code: str, tmp_path) -> list[str]:
    """The top-level modules and ncert packages loaded by ``code`` in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCERT_")}
    env["NCERT_DATA_DIR"] = str(tmp_path / "data")
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _present(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


def test_importing_the_cli_and_its_help_load_nothing_heavy(tmp_path):
    modules = _loaded("import ncert.cli\nfrom click.testing import CliRunner\n"
                      "out = CliRunner().invoke(ncert.cli.main, ['--help'])\n"
                      "assert out.exit_code == 0 and 'feeds' in out.output, out.output", tmp_path)
    assert _present(modules, HEAVY + DATABASE) == []


@pytest.mark.parametrize("command", [["config"], ["feeds", "list"], ["outbox", "status"]])
def test_a_light_command_loads_no_misp_stix_search_or_model_code(tmp_path, command):
    # On a fresh SQLite file: `config` needs none, the others find their tables missing or empty, which is
    # beside the point: what matters is what the runtime and the command imported on the way.
    modules = _loaded("import ncert.cli\nfrom click.testing import CliRunner\n"
                      f"CliRunner().invoke(ncert.cli.main, {json.dumps(command)})", tmp_path)
    assert "ncert.runtime" in modules  # the command did build the runtime
    assert _present(modules, HEAVY) == []
