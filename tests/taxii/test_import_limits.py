"""`ncert import` reads under the JSON limits (issue 9, section 1): an object nested too deep is one
rejection with its reason, streamed past without being built; NCERT_MAX_JSON_DEPTH sets the limit."""

import orjson
from click.testing import CliRunner
from sqlalchemy import select

from ncert.cli import main
from ncert.models import StixObject
from tests.taxii.stix_data import indicator
from tests.taxii.test_import_cli import _env


def test_an_object_nested_too_deep_is_one_rejection(world, collections, tmp_path):
    before, after = indicator("198.51.100.1"), indicator("198.51.100.2")
    deep = orjson.dumps(indicator("198.51.100.3"))[:-1] + b',"x_nested":' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}"
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(b'{"objects": [' + orjson.dumps(before) + b"," + deep + b"," + orjson.dumps(after) + b"]}")
    result = CliRunner().invoke(main, ["import", str(bundle)], env=_env(world.runtime, tmp_path))
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0, unchanged 0, rejected 1" in result.output
    assert "rejected 1: the object nests deeper than 64 levels of arrays and objects" in result.output
    with world.runtime.sessions() as s:
        assert set(s.scalars(select(StixObject.stix_id))) == {before["id"], after["id"]}


def test_the_limit_is_the_setting(world, collections, tmp_path):
    shallow = {**indicator("198.51.100.4"), "x_nested": [[1]]}  # 3 levels with the object itself
    deeper = {**indicator("198.51.100.5"), "x_nested": [[[1]]]}
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(orjson.dumps({"objects": [shallow, deeper]}))
    env = {**_env(world.runtime, tmp_path), "NCERT_MAX_JSON_DEPTH": "3"}
    result = CliRunner().invoke(main, ["import", str(bundle)], env=env)
    assert "created 1, updated 0, unchanged 0, rejected 1" in result.output
    assert "the object nests deeper than 3 levels" in result.output
