"""TLP markings: TLP 1.0 and 2.0 marking definitions read as TLP 2.0 labels, and written as TLP 2.0."""

import json

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from ingest.stix import check, marking_definition, tlp_of
from ncert.taxonomy import TLP

TLP2 = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def marked(*refs: str) -> dict:
    obj = {"type": "indicator", "spec_version": "2.1", "id": "indicator--3d759d4d-aa2e-4380-ab17-5028de7285f1",
           "created": "2024-03-01T09:15:27.412Z", "modified": "2024-03-01T09:15:27.412Z",
           "pattern": "[ipv4-addr:value = '203.0.113.45']", "pattern_type": "stix",
           "valid_from": "2024-03-01T09:15:27Z"}
    return {**obj, "object_marking_refs": list(refs)} if refs else obj


@pytest.mark.parametrize("tlp,ref", TLP2.items())
def test_tlp_2_0_markings(tlp, ref):
    assert tlp_of(check(marked(ref))) is tlp


@pytest.mark.parametrize("marking,tlp", [
    (stix2.TLP_WHITE, TLP.CLEAR), (stix2.TLP_GREEN, TLP.GREEN), (stix2.TLP_AMBER, TLP.AMBER), (stix2.TLP_RED, TLP.RED),
])
def test_tlp_1_0_markings_of_the_stix2_library_read_as_tlp_2_0(marking, tlp):
    assert tlp_of(check(marked(marking.id))) is tlp


def test_the_most_restrictive_marking_wins_whatever_the_order_and_generation():
    assert tlp_of(check(marked(TLP2[TLP.GREEN], stix2.TLP_AMBER.id, TLP2[TLP.AMBER_STRICT]))) is TLP.AMBER_STRICT
    assert tlp_of(check(marked(stix2.TLP_RED.id, TLP2[TLP.CLEAR]))) is TLP.RED


def test_no_tlp_marking_means_none():
    assert tlp_of(check(marked())) is None
    assert tlp_of(check(marked("marking-definition--04e3caeb-5677-45f0-ac30-374e2a23a73b"))) is None


def test_raw_objects_are_read_too():
    assert tlp_of(marked(TLP2[TLP.AMBER])) is TLP.AMBER
    assert tlp_of({"type": "ipv4-addr", "value": "203.0.113.45"}) is None


@pytest.mark.parametrize("tlp", list(TLP))
def test_exported_marking_definitions_are_the_canonical_tlp_2_0_objects(tlp):
    marking = marking_definition(tlp)
    assert marking == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2[tlp],
        "created": "2022-10-01T00:00:00.000Z",
        "name": tlp.value,
        "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
            "extension_type": "property-extension", "tlp_2_0": tlp.value.removeprefix("TLP:").lower()}},
    }
    assert validate_instance(marking, ValidationOptions(version="2.1")).is_valid
    assert json.loads(stix2.parse(marking).serialize()) == marking
    assert check(marking).version is not None
    assert tlp_of(marked(marking["id"])) is tlp
