"""`ncert import FILE`: a streamed STIX bundle import with counts and reasons."""

import orjson
from click.testing import CliRunner
from sqlalchemy import func, select

from ncert.cli import main
from ncert.models import Indicator, StixObject
from tests.taxii.stix_data import indicator


def _env(runtime, tmp_path):
    return {"NCERT_DATABASE_URL": runtime.engine.url.render_as_string(hide_password=False),
            "NCERT_DATA_DIR": str(tmp_path)}


def test_import_counts_and_is_idempotent(world, collections, tmp_path):
    ident = "indicator--0d5e7c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
    good = [indicator(f"198.51.100.{i}") for i in range(1, 31)] + [indicator("198.51.100.99", ident=ident)]
    bad = {**indicator("198.51.100.200"), "pattern": "[ipv4-addr:value = "}
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "id": "bundle--6b0d4c1e-0f1e-4e8e-9f3a-2b1c0d9e8f7a",
                                     "objects": [*good, bad, {"type": "indicator", "id": "x"}]}))
    runner = CliRunner()
    first = runner.invoke(main, ["import", str(bundle)], env=_env(world.runtime, tmp_path))
    assert first.exit_code == 0, first.output
    assert "created 31, updated 0, unchanged 0, rejected 2" in first.output
    assert "pattern" in first.output  # the reason is named
    again = runner.invoke(main, ["import", str(bundle), "--collection", "inbox-government"],
                          env=_env(world.runtime, tmp_path))
    assert "created 0, updated 0, unchanged 31, rejected 2" in again.output
    newer = tmp_path / "newer.json"
    newer.write_bytes(orjson.dumps({"objects": [indicator("198.51.100.99", ident=ident, day=7)]}))
    third = runner.invoke(main, ["import", str(newer)], env=_env(world.runtime, tmp_path))
    assert "created 0, updated 1, unchanged 0, rejected 0" in third.output
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StixObject)) == 32
        assert s.scalar(select(func.count()).select_from(Indicator)) == 31


def test_import_of_a_broken_file_fails_clearly(world, collections, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"objects": [{"type": "indicator"')
    result = CliRunner().invoke(main, ["import", str(broken)], env=_env(world.runtime, tmp_path))
    assert result.exit_code != 0 and "broken.json" in result.output
