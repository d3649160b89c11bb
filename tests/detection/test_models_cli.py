"""``ncert models list|train|evaluate|promote|rollback``, and entry points that load no model eagerly."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from ncert.models import StoredModel


def test_train_list_evaluate_promote_and_rollback(ncert, runtime):
    from ncert.db import transaction
    from tests.factories import build_world

    build_world(runtime)
    trained = ncert("models", "train")
    assert trained.exit_code == 0, trained.output
    assert "categoriser-reporter v1" in trained.output and "categoriser-national v1" in trained.output
    assert "promoted" in trained.output and "anomaly: too few incidents" in trained.output
    again = ncert("models", "train")
    assert "training data unchanged" in again.output

    listed = ncert("models", "list")
    lines = listed.output.splitlines()
    assert [line.split("\t")[:3] for line in lines] == [
        ["categoriser-national", "v1", "active"], ["categoriser-reporter", "v1", "active"]]
    assert all("macro-F1" in line and "en=" in line and "az=" in line and "ru=" in line for line in lines)

    evaluated = ncert("models", "evaluate", "categoriser-reporter")
    assert evaluated.exit_code == 0, evaluated.output
    assert "on the held-out corpus" in evaluated.output and "confusion (rows: true" in evaluated.output
    assert "class\tprecision\trecall\tf1\tsupport" in evaluated.output

    forced = ncert("models", "train", "--force")
    assert "categoriser-reporter v2" in forced.output  # the same data scores the same: not worse, promoted
    assert ncert("models", "rollback", "categoriser-reporter").output.strip() == "categoriser-reporter v1 is active again"
    assert ncert("models", "promote", "categoriser-reporter", "2").output.strip() == "categoriser-reporter v2 is active"
    missing = ncert("models", "promote", "categoriser-reporter", "9")
    assert missing.exit_code == 1 and "no model categoriser-reporter version 9" in missing.output
    with transaction(runtime.sessions) as s:
        rows = s.execute(select(StoredModel.name, StoredModel.version, StoredModel.status)
                         .order_by(StoredModel.name, StoredModel.version)).all()
    assert [tuple(r) for r in rows] == [("categoriser-national", 1, "retired"), ("categoriser-national", 2, "active"),
                                        ("categoriser-reporter", 1, "retired"), ("categoriser-reporter", 2, "active")]


def test_evaluating_a_name_without_versions_says_so(ncert, runtime):
    from tests.factories import build_world

    build_world(runtime)
    result = ncert("models", "evaluate", "categoriser-national")
    assert result.exit_code == 1 and "has no active version" in result.output


def test_starting_a_runtime_loads_no_model_library(tmp_path):
    code = ("import sys; from ncert.runtime import Runtime; Runtime.start(); "
            "print(sorted(m for m in ('sklearn', 'skops', 'numpy.linalg') if m in sys.modules))")
    env = {"NCERT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_evaluating_the_detectors_prints_their_table_and_leaves_the_database_alone(ncert, runtime):
    from sqlalchemy import func

    from ncert.models import Incident

    result = ncert("models", "evaluate", "--detectors", "--per-day", "3", "--sizes", "40")
    assert result.exit_code == 0, result.output
    header, volume, anomaly = result.output.splitlines()[-3:]
    assert header.split("\t") == ["detector", "alerts", "precision", "recall", "TTD median", "TTD max",
                                  "false alerts/day", "recall at 40", "recall in banking", "recall in drinking-water",
                                  "recall in government", "recall in health"]
    assert volume.startswith("volume\t")
    assert volume.endswith("\t4/4\t1/1\t1/1\t1/1\t1/1")
    assert anomaly.startswith("anomaly\t")
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0  # a scratch database, not the configured one
