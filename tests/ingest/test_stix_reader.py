"""Reading bundles and TAXII envelopes: streamed, one object at a time, with clear refusals."""

import io
import json
import tracemalloc
from pathlib import Path

import orjson
import pytest

from ingest.stix import StixDocumentError, iter_objects, objects_of

DATA = Path(__file__).parent / "data"


def read(data: bytes) -> list:
    return list(iter_objects(io.BytesIO(data)))


def test_bundle_and_envelope_carry_the_same_objects():
    bundle = json.loads((DATA / "tlp2_indicators.json").read_text())
    envelope = {"more": False, "objects": bundle["objects"]}
    from_bundle = read(orjson.dumps(bundle))
    assert from_bundle == read(orjson.dumps(envelope)) == bundle["objects"]
    assert objects_of(bundle) == objects_of(envelope) == bundle["objects"]


def test_objects_come_out_as_plain_json_values_that_reserialise():
    data = b'{"objects": [{"type": "x-example", "ratio": 0.25, "big": 9007199254740993, "nested": {"a": [1, 2.5]}}]}'
    (obj,) = read(data)
    assert obj == {"type": "x-example", "ratio": 0.25, "big": 9007199254740993, "nested": {"a": [1, 2.5]}}
    assert type(obj["ratio"]) is float
    assert orjson.loads(orjson.dumps(obj)) == obj


def test_an_empty_objects_array_is_an_empty_document():
    assert read(b'{"type": "bundle", "id": "bundle--8170d9a6-34c1-4044-8c7d-42d632f733bd", "objects": []}') == []
    assert objects_of({"objects": []}) == []


def test_items_that_are_not_objects_are_passed_on_for_validation_to_refuse():
    assert read(b'{"objects": [1, "two", null]}') == [1, "two", None]


@pytest.mark.parametrize("data,message", [
    (b'{"objects": [{"type": "indicator"},', "malformed JSON: parse error: premature EOF"),
    (b'{"objects": []} trailing', "malformed JSON: parse error: trailing garbage"),
    (b'{"objects": ["\xff"]}', "malformed JSON: lexical error: invalid bytes in UTF8 string."),
    (b'{"objects": [NaN]}', "malformed JSON: lexical error: invalid char in json text."),
    (b"", "malformed JSON: parse error: premature EOF"),
    (b"{}", "the document has no 'objects' array: expected a STIX bundle or a TAXII envelope"),
    (b'{"type": "indicator", "id": "indicator--8170d9a6-34c1-4044-8c7d-42d632f733bd"}',
     "the document has no 'objects' array (it looks like a single indicator object)"),
    (b'{"objects": {"type": "indicator"}}', "'objects' is not an array"),
    (b'[{"type": "indicator"}]', "the document is not a JSON object"),
])
def test_unusable_documents_are_refused_with_the_reason(data, message):
    with pytest.raises(StixDocumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(data)


@pytest.mark.parametrize("document", [{}, {"objects": None}, {"objects": "x"}, [], "objects"])
def test_objects_of_refuses_parsed_documents_without_an_objects_array(document):
    with pytest.raises(StixDocumentError):
        objects_of(document)


def test_a_document_that_breaks_off_yields_what_came_before_then_raises():
    stream = iter_objects(io.BytesIO(b'{"objects": [{"n": 1}, {"n": 2}, {"n": '))
    assert next(stream) == {"n": 1}
    assert next(stream) == {"n": 2}
    with pytest.raises(StixDocumentError, match="malformed JSON"):
        next(stream)


def test_a_large_bundle_is_read_in_bounded_memory(tmp_path):
    template = json.loads((DATA / "tlp2_indicators.json").read_text())["objects"][3]
    path = tmp_path / "large.json"
    count = 40_000
    with path.open("wb") as out:
        out.write(b'{"type": "bundle", "id": "bundle--041527b5-9cf3-4dae-8d7b-4cd70ff807eb", "objects": [')
        for i in range(count):
            obj = {**template, "id": f"indicator--{i:08x}-9cf3-4dae-8d7b-4cd70ff807eb",
                   "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']"}
            out.write((b"," if i else b"") + orjson.dumps(obj))
        out.write(b"]}")
    size = path.stat().st_size
    assert size > 20_000_000

    seen = 0
    tracemalloc.start()
    try:
        with path.open("rb") as source:
            for obj in iter_objects(source):
                seen += obj["type"] == "indicator"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < size / 10, f"peak {peak:,} bytes for a {size:,}-byte file"
