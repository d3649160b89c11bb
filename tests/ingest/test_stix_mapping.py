"""Mapping checked STIX objects to ncert records: indicators, observations, sightings, incidents."""

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import stix2

from ingest.stix import (
    category_for,
    check,
    incident_record,
    indicator_records,
    is_incident,
    observable_pairs,
    observed_indicators,
    sighting_counts,
)
from ingest.stix.categories import severity_for
from ncert.records import Category, IndicatorRecord
from ncert.taxonomy import TLP

DATA = Path(__file__).parent / "data"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def bundle(name: str) -> dict[str, dict]:
    """The objects of a fixture bundle by id."""
    return {obj["id"]: obj for obj in json.loads((DATA / name).read_text())["objects"]}


TLP_BUNDLE = bundle("tlp2_indicators.json")
CORE_BUNDLE = bundle("incident_core.json")
REPORT_BUNDLE = bundle("incident_report.json")


def test_a_simple_indicator_gives_normalised_indicators_with_its_confidence_and_validity():
    obj = check(TLP_BUNDLE["indicator--3d759d4d-aa2e-4380-ab17-5028de7285f1"])
    seen = {"confidence": 85, "count": 1, "first_seen": utc("2024-03-01T09:15:27"),
            "last_seen": utc("2024-03-02T11:00:00")}
    assert indicator_records(obj) == [
        IndicatorRecord(type="ipv4-addr", value="203.0.113.45", **seen),
        IndicatorRecord(type="domain-name", value="update-check.example.net", **seen),
    ]


def test_valid_until_is_the_last_sighting_and_confidence_defaults_to_50():
    obj = check(TLP_BUNDLE["indicator--6de5acdf-e7a8-46b6-a371-cd7d5dcdba5a"])
    records = indicator_records(obj)
    assert [(r.type, r.value) for r in records] == [
        ("sha256", "4bf3e7a1c2d6f9085b7e3a1d2c4f6e8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e"),
        ("md5", "9e107d9d372bb6826bd81d3542a419d6"),
    ]
    assert {(r.confidence, r.first_seen, r.last_seen) for r in records} == {
        (50, utc("2024-03-01T09:20:00"), utc("2024-06-01T00:00:00"))}


def test_last_seen_is_never_before_first_seen():
    future = {**TLP_BUNDLE["indicator--3d759d4d-aa2e-4380-ab17-5028de7285f1"], "valid_from": "2025-01-01T00:00:00Z"}
    assert {(r.first_seen, r.last_seen) for r in indicator_records(check(future))} == {
        (utc("2025-01-01T00:00:00"), utc("2025-01-01T00:00:00"))}


@pytest.mark.parametrize("indicator_id", ["indicator--45ca6c53-fc4d-4720-bb1d-b1220fe4a6ba",  # file:name and size
                                          "indicator--bf862eb7-780e-456d-a977-ece170742104"])  # YARA
def test_other_indicators_are_pattern_indicators_with_no_records(indicator_id):
    assert indicator_records(check(TLP_BUNDLE[indicator_id])) == []


def test_a_value_that_does_not_normalise_makes_the_pattern_not_simple():
    obj = {**TLP_BUNDLE["indicator--3d759d4d-aa2e-4380-ab17-5028de7285f1"],
           "pattern": "[ipv4-addr:value = '203.0.113.45'] OR [domain-name:value = 'localhost']"}
    assert indicator_records(check(obj)) == []


def test_revoked_and_non_indicator_objects_map_to_nothing():
    revoked = {**TLP_BUNDLE["indicator--3d759d4d-aa2e-4380-ab17-5028de7285f1"], "revoked": True}
    assert indicator_records(check(revoked)) == []
    assert indicator_records(check(TLP_BUNDLE["identity--77693f4b-d085-4b78-9817-baa9e42465de"])) == []


def test_observed_data_gives_its_observables_seen_number_observed_times():
    obj = check(CORE_BUNDLE["observed-data--38e50b8d-0a2c-45d0-9fdd-5db9e4c654a7"])
    seen = {"confidence": 50, "count": 42, "first_seen": utc("2024-03-03T21:00:00"),
            "last_seen": utc("2024-03-04T06:00:00")}
    assert observed_indicators(obj, CORE_BUNDLE) == [
        IndicatorRecord(type="ipv4-addr", value="203.0.113.45", **seen),
        IndicatorRecord(type="domain-name", value="update-check.example.net", **seen),
    ]
    assert observed_indicators(obj, {}) == []  # nothing resolvable


def test_observed_data_with_deprecated_embedded_objects():
    obj = copy.deepcopy(CORE_BUNDLE["observed-data--38e50b8d-0a2c-45d0-9fdd-5db9e4c654a7"])
    del obj["object_refs"]
    obj["objects"] = {
        "0": {"type": "file", "hashes": {"SHA-256": "AB" * 32, "SHA3-256": "cd" * 32}, "name": "agent.bin"},
        "1": {"type": "url", "value": "http://update-check.example.net/dl/agent.bin"},
        "2": {"type": "ipv4-addr", "value": "not-an-address"},
        "3": {"type": "process", "pid": 4242},
    }
    assert [(r.type, r.value, r.count) for r in observed_indicators(check(obj), {})] == [
        ("sha256", "ab" * 32, 42), ("url", "http://update-check.example.net/dl/agent.bin", 42)]


def test_observable_pairs_of_single_cyber_observables():
    assert observable_pairs({"type": "email-addr", "value": "Payroll@Corp-Mail.example"}) == [
        ("email-addr", "payroll@corp-mail.example")]
    assert observable_pairs({"type": "file", "hashes": {"MD5": "9E107D9D372BB6826BD81D3542A419D6", "SHA-1": "bad"}}) \
        == [("md5", "9e107d9d372bb6826bd81d3542a419d6")]
    assert observable_pairs({"type": "mac-addr", "value": "00:00:5e:00:53:01"}) == []


def test_sighting_counts():
    obj = check(CORE_BUNDLE["sighting--f191b2f8-c7e9-48d7-b781-51fa4a4c2212"])
    assert sighting_counts(obj) == ("indicator--82397767-fc3c-4295-afb2-8fe07e574e01", 7,
                                    utc("2024-03-03T21:00:00"), utc("2024-03-04T06:00:00"))
    bare = json.loads(stix2.Sighting(sighting_of_ref="indicator--82397767-fc3c-4295-afb2-8fe07e574e01").serialize())
    assert sighting_counts(check(bare)) == ("indicator--82397767-fc3c-4295-afb2-8fe07e574e01", 1, None, None)
    with pytest.raises(ValueError, match="is not a sighting"):
        sighting_counts(check(CORE_BUNDLE["observed-data--38e50b8d-0a2c-45d0-9fdd-5db9e4c654a7"]))


def test_an_incident_with_the_incident_core_extension():
    obj = check(CORE_BUNDLE["incident--7bb1ae5e-daed-4b88-bfcb-f55c5a73bbaa"])
    assert is_incident(obj)
    record = incident_record(obj, CORE_BUNDLE)
    assert record.title == "Ransomware on SCADA historian"
    assert record.description == (
        "The historian server of a transmission operator was encrypted; operations continue on manual procedures."
        "\n\nSTIX incident-core: determination successful-attempt; investigation status open; "
        "recoverability supplemented.")
    assert record.category == Category.model_validate({"class": "intrusions", "type": "system-compromise"})
    assert record.severity == 3  # criticality 70: "High"
    assert record.tlp is TLP.AMBER
    assert record.occurred_at == utc("2024-03-03T22:10:00")
    assert record.aware_at == utc("2024-03-04T07:30:00")
    assert record.external_ids == {"stix": "incident--7bb1ae5e-daed-4b88-bfcb-f55c5a73bbaa"}
    assert record.indicators == []  # linked by a relationship, which is not followed here
    assert record.affected_sectors == []


def test_an_incident_without_the_extension_uses_name_labels_and_markings():
    obj = json.loads(stix2.Incident(name="Website defaced", labels=["defacement"],
                                    object_marking_refs=[stix2.TLP_GREEN]).serialize())
    record = incident_record(check(obj), {})
    assert (record.title, record.description, record.severity, record.tlp) == ("Website defaced", "", None, TLP.GREEN)
    assert record.category == Category.model_validate({"class": "intrusions", "type": "application-compromise"})
    assert record.occurred_at is None
    assert record.aware_at == datetime.fromisoformat(obj["created"])


def test_unmarked_incidents_default_to_amber_and_first_seen_after_created_drops_aware_at():
    obj = {**CORE_BUNDLE["incident--7bb1ae5e-daed-4b88-bfcb-f55c5a73bbaa"], "first_seen": "2024-03-05T00:00:00Z"}
    del obj["object_marking_refs"]
    record = incident_record(check(obj), {})
    assert record.tlp is TLP.AMBER
    assert (record.occurred_at, record.aware_at) == (utc("2024-03-05T00:00:00"), None)


def test_an_incident_report_with_its_referenced_indicators_and_sectors():
    obj = check(REPORT_BUNDLE["report--3934dd24-9f18-41d8-b128-e4224ead6fa5"])
    assert is_incident(obj)
    record = incident_record(obj, REPORT_BUNDLE)
    assert record.title == "Payroll phishing against hospital staff"
    assert record.category == Category.model_validate({"class": "fraud", "type": "phishing"})  # explicit RSIT tag
    assert record.tlp is TLP.RED  # TLP 1.0 red
    assert record.affected_sectors == ["health", "education"]
    assert [(r.type, r.value, r.confidence) for r in record.indicators] == [
        ("url", "https://payroll-login.example.org/sso", 90),
        ("domain-name", "payroll-login.example.org", 90),
        ("email-addr", "payroll@corp-mail.example", 50),
    ]
    assert incident_record(obj, REPORT_BUNDLE, known_sectors={"health", "energy"}).affected_sectors == ["health"]


def test_the_category_of_a_report_can_come_from_the_malware_it_references():
    report = {**REPORT_BUNDLE["report--3934dd24-9f18-41d8-b128-e4224ead6fa5"]}
    del report["labels"]
    record = incident_record(check(report), REPORT_BUNDLE)
    assert record.category == Category.model_validate({"class": "malicious-code", "type": "infected-system"})


def test_invalid_referenced_objects_are_skipped():
    refs = dict(REPORT_BUNDLE)
    refs["indicator--0e5a3c0f-6c35-4b2e-9d3e-6b9a2b7c1d11"] = {**refs["indicator--0e5a3c0f-6c35-4b2e-9d3e-6b9a2b7c1d11"],
                                                               "pattern": "[url:value = "}
    record = incident_record(check(REPORT_BUNDLE["report--3934dd24-9f18-41d8-b128-e4224ead6fa5"]), refs)
    assert [r.type for r in record.indicators] == ["email-addr"]


def test_only_incidents_and_incident_reports_are_incidents():
    threat_report = {**REPORT_BUNDLE["report--3934dd24-9f18-41d8-b128-e4224ead6fa5"], "report_types": ["threat-report"]}
    assert not is_incident(check(threat_report))
    with pytest.raises(ValueError, match="is not an incident or an incident report"):
        incident_record(check(threat_report), REPORT_BUNDLE)


def test_long_names_and_descriptions_are_cut_to_what_the_record_takes():
    obj = {**CORE_BUNDLE["incident--7bb1ae5e-daed-4b88-bfcb-f55c5a73bbaa"], "name": "n" * 500,
           "description": "d" * 200_000}
    record = incident_record(check(obj), {})
    assert len(record.title) == 300
    assert len(record.description) == 100_000
    assert record.description.endswith("recoverability supplemented.")


@pytest.mark.parametrize("terms,category", [
    (["major", "compromised-system"], ("intrusions", "system-compromise")),
    (["denial-of-service"], ("availability", "dos")),
    (["unauthorized-release"], ("information-content-security", "data-leak")),
    (["Ransomware"], ("malicious-code", "infected-system")),
    (["wiper"], ("availability", "sabotage")),
    (["phishing", 'rsit:intrusions="system-compromise"'], ("intrusions", "system-compromise")),
    (['rsit:intrusions="no-such-type"', "spam"], ("abusive-content", "spam")),
    (["supply-chain-vendor", "threat-report"], None),
    ([], None),
])
def test_category_for(terms, category):
    expected = Category.model_validate({"class": category[0], "type": category[1]}) if category else None
    assert category_for(terms) == expected


@pytest.mark.parametrize("criticality,severity", [(0, 0), (1, 1), (29, 1), (30, 2), (49, 2), (50, 3), (89, 3),
                                                  (90, 4), (100, 4)])
def test_severity_follows_the_incident_core_criticality_scale(criticality, severity):
    assert severity_for(criticality) == severity
