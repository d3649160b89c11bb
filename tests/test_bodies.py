"""The parser limits every JSON door shares: depth and size, parsed whole or streamed."""

import io
import json
import tracemalloc

import ijson
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncert import bodies
from ncert.config import Settings


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def cut(value, cap: int, depth: int = 0):
    """What DepthGuard should pass on: every container opening past ``cap`` as ``[]``."""
    if isinstance(value, (list, dict)) and depth + 1 > cap:
        return []
    if isinstance(value, list):
        return [cut(item, cap, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: cut(item, cap, depth + 1) for key, item in value.items()}
    return value


def through_guard(data: bytes, cap: int, read_size: int = 7) -> bytes:
    guard, out = bodies.DepthGuard(io.BytesIO(data), cap), b""
    while chunk := guard.read(read_size):
        out += chunk
    return out


def test_depth_counts_containers():
    assert not bodies.nests_deeper(1, 0)
    assert not bodies.nests_deeper([], 1) and bodies.nests_deeper([], 0)
    assert not bodies.nests_deeper({"a": [1, {"b": "[[[["}]}, 3)
    assert bodies.nests_deeper({"a": [1, {"b": []}]}, 3)


def test_the_depth_setting_defaults_to_64_and_reads_the_environment(tmp_path):
    assert Settings.from_env({"NCERT_DATA_DIR": str(tmp_path)}).max_json_depth == 64
    assert Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), "NCERT_MAX_JSON_DEPTH": "10"}).max_json_depth == 10


def test_loads_refuses_too_deep_and_malformed_bodies():
    assert bodies.loads(b'{"a": [[1]]}', max_depth=3) == {"a": [[1]]}
    with pytest.raises(bodies.TooDeep, match="the body nests deeper than 3 levels") as deep:
        bodies.loads(b'{"a": [[[1]]]}', max_depth=3)
    assert deep.value.status == 400
    with pytest.raises(bodies.NcertError, match="malformed JSON"):
        bodies.loads(nested(5000), max_depth=3)  # past orjson's own 1024 levels: malformed, never a crash


def test_read_capped_stops_at_the_cap():
    assert bodies.read_capped([b"ab", b"cd"], 4, "the feed") == b"abcd"
    with pytest.raises(bodies.TooLarge, match="the feed is larger than 3 bytes") as large:
        bodies.read_capped(iter([b"ab", b"cd", b"never read"]), 3, "the feed")
    assert large.value.status == 413


json_values = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), inner,
                                                                max_size=3),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(value=json_values, cap=st.integers(1, 6), chunk=st.integers(1, 9), read_size=st.integers(1, 40))
def test_the_guard_passes_json_on_with_what_is_too_deep_cut_to_an_empty_array(value, cap, chunk, read_size):
    # Tiny chunks put the chunk boundaries inside strings, escapes and bracket runs.
    old, bodies.CHUNK = bodies.CHUNK, chunk
    try:
        out = through_guard(json.dumps(value).encode(), cap, read_size)
    finally:
        bodies.CHUNK = old
    assert json.loads(out) == cut(value, cap)


def test_a_streaming_parser_behind_the_guard_yields_the_neighbours_and_a_value_one_level_too_deep():
    doc = b'{"objects": [{"a": 1}, ' + nested(100_000) + b', {"b": "]]\\"[["}]}'
    items = list(ijson.items(bodies.DepthGuard(io.BytesIO(doc), 4), "objects.item"))
    assert items[0] == {"a": 1} and items[2] == {"b": ']]"[['}
    assert not bodies.nests_deeper(items[1], 3) and bodies.nests_deeper(items[1], 2)


def test_megabytes_of_brackets_pass_the_guard_in_bounded_memory():
    doc = b'{"objects": [' + nested(2_000_000) + b"]}"
    tracemalloc.start()
    try:
        out = through_guard(doc, 66, read_size=65536)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert orjson.loads(out) == cut({"objects": [json.loads(nested(80))]}, 66)
    assert peak < 16 * 1024 * 1024, f"peak {peak:,} bytes for {len(doc):,} bytes of brackets"
