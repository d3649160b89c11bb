"""check(): every STIX 2.1 rule it enforces, with its message, against stix2 and stix2-validator."""

import copy
import json
from pathlib import Path

import pytest
import stix2
from stix2validator import ValidationError, ValidationOptions, validate_instance

from ingest.stix import StixObject, StixObjectError, check, iter_objects, upgrade_20
from ingest.stix.timestamps import parse_timestamp

DATA = Path(__file__).parent / "data"
VALIDATOR = ValidationOptions(version="2.1", strict=False, enforce_refs=False)

INDICATOR = {
    "type": "indicator", "spec_version": "2.1", "id": "indicator--8170d9a6-34c1-4044-8c7d-42d632f733bd",
    "created": "2024-03-01T09:15:27.412Z", "modified": "2024-03-01T09:15:27.412Z",
    "created_by_ref": "identity--ad4d50e6-76a6-4ad9-9c79-dc1f06dce2cf", "name": "C2 address",
    "pattern": "[ipv4-addr:value = '203.0.113.45']", "pattern_type": "stix", "valid_from": "2024-03-01T09:15:27Z",
    "confidence": 80, "labels": ["c2"], "x_example_source": {"feed": "sector", "rank": 2.5},
    "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
}
SIGHTING = {
    "type": "sighting", "spec_version": "2.1", "id": "sighting--f191b2f8-c7e9-48d7-b781-51fa4a4c2212",
    "created": "2024-03-04T09:05:00.000Z", "modified": "2024-03-04T09:05:00.000Z",
    "sighting_of_ref": "indicator--8170d9a6-34c1-4044-8c7d-42d632f733bd", "count": 7,
    "first_seen": "2024-03-03T21:00:00Z", "last_seen": "2024-03-04T06:00:00Z",
    "observed_data_refs": ["observed-data--38e50b8d-0a2c-45d0-9fdd-5db9e4c654a7"],
}
OBSERVED = {
    "type": "observed-data", "spec_version": "2.1", "id": "observed-data--38e50b8d-0a2c-45d0-9fdd-5db9e4c654a7",
    "created": "2024-03-04T09:00:00.000Z", "modified": "2024-03-04T09:00:00.000Z",
    "first_observed": "2024-03-03T21:00:00Z", "last_observed": "2024-03-04T06:00:00Z", "number_observed": 42,
    "object_refs": ["ipv4-addr--cb9d70c5-d244-531c-9efb-bcae57adc793"],
}
RELATIONSHIP = {
    "type": "relationship", "spec_version": "2.1", "id": "relationship--b61409b2-2c91-4b8a-ba15-762d9c9cdae3",
    "created": "2021-04-27T01:56:35.810Z", "modified": "2021-04-27T01:56:35.810Z", "relationship_type": "uses",
    "source_ref": "malware--88a7b026-4760-4a40-9f14-4177baddb8f9",
    "target_ref": "attack-pattern--824a3d30-8f1b-45dc-af14-7d97fcfdef0f",
}
REPORT = {
    "type": "report", "spec_version": "2.1", "id": "report--3934dd24-9f18-41d8-b128-e4224ead6fa5",
    "created": "2024-05-10T14:02:11.000Z", "modified": "2024-05-10T14:02:11.000Z", "name": "Phishing wave",
    "published": "2024-05-10T14:02:11Z", "report_types": ["incident"],
    "object_refs": ["indicator--8170d9a6-34c1-4044-8c7d-42d632f733bd"],
}
MALWARE = {
    "type": "malware", "spec_version": "2.1", "id": "malware--88a7b026-4760-4a40-9f14-4177baddb8f9",
    "created": "2017-05-31T21:32:40.801Z", "modified": "2023-04-04T20:20:59.961Z", "name": "ExampleDoor",
    "is_family": True,
}
INCIDENT = json.loads((DATA / "incident_core.json").read_text())["objects"][0]
MARKING = {
    "type": "marking-definition", "spec_version": "2.1",
    "id": "marking-definition--04e3caeb-5677-45f0-ac30-374e2a23a73b", "created": "2017-06-01T00:00:00Z",
    "definition_type": "statement", "definition": {"statement": "Copyright Example"},
}
IPV4 = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--cb9d70c5-d244-531c-9efb-bcae57adc793",
        "value": "203.0.113.45"}
CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"


def changed(base: dict, **changes) -> dict:
    """A deep copy of base with properties set; a value of ... deletes the property."""
    obj = copy.deepcopy(base)
    for prop, value in changes.items():
        if value is ...:
            obj.pop(prop, None)
        else:
            obj[prop] = value
    return obj


def core(**changes) -> dict:
    obj = copy.deepcopy(INCIDENT)
    obj["extensions"][CORE] = changed(obj["extensions"][CORE], **changes)
    return obj


def validator_rejects(obj) -> bool:
    try:
        return not validate_instance(obj, VALIDATOR).is_valid
    except ValidationError:  # its way of refusing an object without type or id
        return True


# (object, the message check() gives, whether stix2-validator also refuses it).
# False where the validator accepts (a rule it does not implement) or crashes
# (TypeError, KeyError... on some malformed input: no opinion).
REJECTED = {
    "type missing": (changed(INDICATOR, type=...), "'type' is missing", True),
    "type not a string": (changed(INDICATOR, type=7), "'type' must be a string, not an integer", False),
    "type upper case": (changed(INDICATOR, type="Indicator"), "'type' 'Indicator' is not a STIX type name", True),
    "type too short": (changed(INDICATOR, type="xy", id="xy--8170d9a6-34c1-4044-8c7d-42d632f733bd"),
                       "'type' 'xy' is not a STIX type name: 3-250 characters", True),
    "type double hyphen": (changed(INDICATOR, type="x--y", id="x--y--8170d9a6-34c1-4044-8c7d-42d632f733bd"),
                           "'type' 'x--y' is not a STIX type name", True),
    "type trailing hyphen": (changed(INDICATOR, type="x-y-", id="x-y---8170d9a6-34c1-4044-8c7d-42d632f733bd"),
                             "'type' 'x-y-' is not a STIX type name", True),
    "type leading digit": (changed(INDICATOR, type="1xy", id="1xy--8170d9a6-34c1-4044-8c7d-42d632f733bd"),
                           "'type' '1xy' is not a STIX type name", True),
    "nested bundle": ({"type": "bundle", "id": "bundle--8170d9a6-34c1-4044-8c7d-42d632f733bd", "objects": []},
                      "a bundle cannot be an object inside a bundle or envelope", False),
    "id missing": (changed(INDICATOR, id=...), "'id' is missing", True),
    "id not a string": (changed(INDICATOR, id=["indicator--8170d9a6-34c1-4044-8c7d-42d632f733bd"]),
                        "'id' must be a string, not an array", False),
    "id of another type": (changed(INDICATOR, id="malware--8170d9a6-34c1-4044-8c7d-42d632f733bd"),
                           "must start with the object's type: 'indicator--'", True),
    "id with one hyphen": (changed(INDICATOR, id="indicator-8170d9a6-34c1-4044-8c7d-42d632f733bd"),
                           "must start with the object's type", True),
    "id not a UUID": (changed(INDICATOR, id="indicator--8170d9a6-34c1-4044-8c7d-42d632f733bz"),
                      "must end in an RFC 4122 UUID", True),
    "id UUID version 0": (changed(INDICATOR, id="indicator--8170d9a6-34c1-0044-8c7d-42d632f733bd"),
                          "must end in an RFC 4122 UUID", True),
    "id UUID wrong variant": (changed(INDICATOR, id="indicator--8170d9a6-34c1-4044-cc7d-42d632f733bd"),
                              "must end in an RFC 4122 UUID", True),
    "STIX 2.0 object": (changed(INDICATOR, spec_version=...),
                        "'spec_version' is missing: objects without it are STIX 2.0", True),
    "spec_version 2.0": (changed(INDICATOR, spec_version="2.0"), "'spec_version' is '2.0'; only '2.1'", False),
    "spec_version 3.0": (changed(INDICATOR, spec_version="3.0"), "'spec_version' is '3.0'; only '2.1'", True),
    "created missing": (changed(INDICATOR, created=...), "'created' is missing; STIX 2.1 requires it on indicator", True),
    "created without milliseconds": (changed(INDICATOR, created="2024-03-01T09:15:27Z"),
                                     "'created': '2024-03-01T09:15:27Z' is not precise to the millisecond", True),
    "created with an offset": (changed(INDICATOR, created="2024-03-01T09:15:27.412+00:00"),
                               "is not an RFC 3339 UTC timestamp", True),
    "created not a date": (changed(INDICATOR, created="2024-02-30T09:15:27.412Z"),
                           "'created': '2024-02-30T09:15:27.412Z' is not a calendar date", True),
    "created with a three-digit month": (changed(INDICATOR, created="2022-101-27T13:49:54.326Z"),
                                         "is not an RFC 3339 UTC timestamp", True),
    "created not a string": (changed(INDICATOR, created=1709284527), "'created': 1709284527 is not a timestamp", False),
    "modified missing": (changed(INDICATOR, modified=...), "'modified' is missing", True),
    "modified before created": (changed(INDICATOR, modified="2024-03-01T09:15:27.411Z"),
                                "'modified' (2024-03-01T09:15:27.411Z) is earlier than 'created'", True),
    "revoked not boolean": (changed(INDICATOR, revoked="false"), "'revoked' must be true or false", True),
    "confidence over 100": (changed(INDICATOR, confidence=101), "'confidence' must be an integer from 0 to 100", True),
    "confidence a word": (changed(INDICATOR, confidence="high"), "'confidence' must be an integer", True),
    "confidence a boolean": (changed(INDICATOR, confidence=True), "'confidence' must be an integer", True),
    "empty list": (changed(INDICATOR, labels=[]), "'labels' is an empty array; STIX 2.1 forbids empty lists", True),
    "empty marking list": (changed(INDICATOR, object_marking_refs=[]), "'object_marking_refs' is an empty array", True),
    "marking ref to an identity": (changed(INDICATOR, object_marking_refs=["identity--ad4d50e6-76a6-4ad9-9c79-dc1f06dce2cf"]),
                                   "'object_marking_refs[0]' must be a marking-definition identifier", False),
    "created_by_ref not an identifier": (changed(INDICATOR, created_by_ref="ACME"),
                                         "'created_by_ref' must be an identifier <type>--<UUID>, not 'ACME'", True),
    "custom reference not an identifier": (changed(INDICATOR, x_example_owner_ref="ACME"),
                                           "'x_example_owner_ref' must be an identifier", False),
    "pattern missing": (changed(INDICATOR, pattern=...), "'pattern' is missing; STIX 2.1 requires it on indicator", True),
    "pattern_type missing": (changed(INDICATOR, pattern_type=...), "'pattern_type' is missing", True),
    "pattern not a string": (changed(INDICATOR, pattern={"ip": "203.0.113.45"}), "'pattern' must be a string", True),
    "valid_from missing": (changed(INDICATOR, valid_from=...), "'valid_from' is missing", True),
    "valid_until not after valid_from": (changed(INDICATOR, valid_until="2024-03-01T09:15:27Z"),
                                         "'valid_until' (2024-03-01T09:15:27Z) must be later than 'valid_from'", True),
    "pattern syntax": (changed(INDICATOR, pattern="[ipv4-addr:value = '203.0.113.45'"),
                       "'pattern' is not a valid STIX pattern: Error found at line 1:33. missing ']' at '<EOF>'", True),
    "pattern with a bad hash": (changed(INDICATOR, pattern="[file:hashes.'SHA-256' = 'abc']"),
                                "'pattern' is not a valid STIX pattern: 'abc' is not a valid SHA-256 hash", True),
    "malware without is_family": (changed(MALWARE, is_family=...), "'is_family' is missing", True),
    "malware is_family a string": (changed(MALWARE, is_family="true"), "'is_family' must be true or false", True),
    "malware family without name": (changed(MALWARE, name=...), "'name' is missing; STIX 2.1 requires it on malware",
                                    True),
    "malware last_seen first": (changed(MALWARE, first_seen="2024-01-02T00:00:00Z", last_seen="2024-01-01T00:00:00Z"),
                                "'last_seen' (2024-01-01T00:00:00Z) must be later than or equal to 'first_seen'", True),
    "observed-data count 0": (changed(OBSERVED, number_observed=0),
                              "'number_observed' must be an integer from 1 to 999,999,999, not 0", True),
    "observed-data count too large": (changed(OBSERVED, number_observed=1_000_000_000),
                                      "'number_observed' must be an integer from 1", True),
    "observed-data count a fraction": (changed(OBSERVED, number_observed=2.5), "'number_observed' must be an integer",
                                       True),
    "observed-data without observables": (changed(OBSERVED, object_refs=...),
                                          "exactly one of 'object_refs' and the deprecated 'objects'", True),
    "observed-data with both": (changed(OBSERVED, objects={"0": {"type": "ipv4-addr", "value": "203.0.113.45"}}),
                                "exactly one of 'object_refs' and the deprecated 'objects'", False),
    "observed-data backwards": (changed(OBSERVED, last_observed="2024-03-03T20:00:00Z"),
                                "'last_observed' (2024-03-03T20:00:00Z) must be later than or equal", True),
    "observed-data first_observed missing": (changed(OBSERVED, first_observed=...), "'first_observed' is missing", True),
    "relationship without source": (changed(RELATIONSHIP, source_ref=...), "'source_ref' is missing", True),
    "relationship target not an identifier": (changed(RELATIONSHIP, target_ref="attack-pattern--T1110"),
                                              "'target_ref' must be an identifier", True),
    "relationship without type": (changed(RELATIONSHIP, relationship_type=...), "'relationship_type' is missing", True),
    "relationship stops when it starts": (changed(RELATIONSHIP, start_time="2024-01-01T00:00:00Z",
                                                  stop_time="2024-01-01T00:00:00Z"),
                                          "'stop_time' (2024-01-01T00:00:00Z) must be later than 'start_time'", True),
    "sighting of nothing": (changed(SIGHTING, sighting_of_ref=...), "'sighting_of_ref' is missing", True),
    "sighting count negative": (changed(SIGHTING, count=-1), "'count' must be an integer from 0 to 999,999,999", True),
    "sighting observed data of another type": (
        changed(SIGHTING, observed_data_refs=["indicator--8170d9a6-34c1-4044-8c7d-42d632f733bd"]),
        "'observed_data_refs[0]' must be a observed-data identifier", True),
    "sighting last_seen not a timestamp": (changed(SIGHTING, last_seen="yesterday"),
                                           "'last_seen': 'yesterday' is not an RFC 3339", True),
    "report unpublished": (changed(REPORT, published=...), "'published' is missing; STIX 2.1 requires it on report", True),
    "report without objects": (changed(REPORT, object_refs=[]), "'object_refs' is an empty array", True),
    "report without name": (changed(REPORT, name=...), "'name' is missing", True),
    "incident without name": (changed(INCIDENT, name=...), "'name' is missing; STIX 2.1 requires it on incident", True),
    "incident-core determination": (core(determination="probably"),
                                    "incident-core extension: 'determination' must be one of blocked", False),
    "incident-core criticality": (core(criticality=150),
                                  "incident-core extension: 'criticality' must be an integer from 0 to 100", False),
    "incident-core without status": (core(investigation_status=...),
                                     "incident-core extension: 'investigation_status' is required", False),
    "incident-core recoverability": (core(recoverability="soon"), "'recoverability' must be one of extended", False),
    "marking definition without definition": (changed(MARKING, definition=...),
                                              "needs 'definition_type' with 'definition', or 'extensions'", True),
    "marking definition created missing": (changed(MARKING, created=...), "'created' is missing", True),
    "ipv4-addr without value": (changed(IPV4, value=...), "'value' is missing; STIX 2.1 requires it on ipv4-addr", True),
    "ipv4-addr of spec 2.0": (changed(IPV4, spec_version="2.0"), "only '2.1' is accepted", False),
    "identity without name": (changed(MALWARE, type="identity", id="identity--ad4d50e6-76a6-4ad9-9c79-dc1f06dce2cf",
                                      name=..., is_family=...), "'name' is missing; STIX 2.1 requires it on identity", True),
    "location nowhere": ({"type": "location", "spec_version": "2.1", "id": "location--d869ff2c-9213-4e22-beb3-099eb926f10f",
                          "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"},
                         "location needs 'region', 'country', or 'latitude' and 'longitude'", True),
}


@pytest.mark.parametrize("obj,message,validator_agrees", REJECTED.values(), ids=REJECTED.keys())
def test_invalid_objects_are_refused_with_a_precise_message(obj, message, validator_agrees):
    with pytest.raises(StixObjectError) as refused:
        check(obj)
    assert message in str(refused.value)
    if validator_agrees:
        assert validator_rejects(obj), "stix2-validator accepts what check() refuses"


@pytest.mark.parametrize("value", [None, [], "indicator", 42, [INDICATOR]])
def test_only_json_objects_are_stix_objects(value):
    with pytest.raises(StixObjectError, match="a STIX object must be a JSON object"):
        check(value)


@pytest.mark.parametrize("obj,message", [
    (changed(INDICATOR, created=...), "'created' is missing; STIX 2.1 requires it on indicator"),
    (changed(INDICATOR, valid_from="2024-03-01"),
     "'valid_from': '2024-03-01' is not an RFC 3339 UTC timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z"),
    (changed(OBSERVED, number_observed=0), "'number_observed' must be an integer from 1 to 999,999,999, not 0"),
])
def test_whole_messages(obj, message):
    with pytest.raises(StixObjectError) as refused:
        check(obj)
    assert str(refused.value) == message


def test_the_error_names_the_object_it_refused():
    with pytest.raises(StixObjectError) as refused:
        check(changed(INDICATOR, pattern="[nonsense"))
    assert refused.value.id == INDICATOR["id"]
    assert refused.value.version == INDICATOR["modified"]


def test_a_checked_object_keeps_everything_it_arrived_with():
    obj = copy.deepcopy(INDICATOR)
    checked = check(obj)
    assert checked == StixObject(
        id=INDICATOR["id"], type="indicator", spec_version="2.1",
        version=parse_timestamp("2024-03-01T09:15:27.412Z"), created=parse_timestamp("2024-03-01T09:15:27.412Z"),
        modified=parse_timestamp("2024-03-01T09:15:27.412Z"), revoked=False,
        object_marking_refs=("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",), raw=INDICATOR,
    )
    assert checked.raw is obj
    assert checked.raw["x_example_source"] == {"feed": "sector", "rank": 2.5}


def test_versions_of_versioned_immutable_and_observable_objects():
    assert check(changed(INDICATOR, modified="2024-04-01T00:00:00.000Z", revoked=True)).version == \
        parse_timestamp("2024-04-01T00:00:00.000Z")
    assert check(changed(INDICATOR, revoked=True)).revoked is True
    marking = check(MARKING)
    assert (marking.version, marking.created, marking.modified) == (parse_timestamp("2017-06-01T00:00:00Z"),) * 2 + (None,)
    observable = check(IPV4)
    assert (observable.version, observable.created, observable.modified) == (None, None, None)


def test_integers_may_be_written_with_a_zero_fraction():
    assert check(changed(OBSERVED, number_observed=2.0)).raw["number_observed"] == 2


def test_observables_without_spec_version_are_2_1():
    assert check(changed(IPV4, spec_version=...)).spec_version == "2.1"


def test_a_custom_observable_declared_by_a_new_sco_extension_needs_no_timestamps():
    obj = {"type": "x-example-beacon", "id": "x-example-beacon--8170d9a6-34c1-4044-8c7d-42d632f733bd",
           "interval": 60, "extensions": {"extension-definition--8170d9a6-34c1-4044-8c7d-42d632f733bd":
                                          {"extension_type": "new-sco"}}}
    assert check(obj).version is None


def test_custom_objects_are_held_to_the_rules_of_domain_objects():
    obj = {"type": "x-mitre-tactic", "spec_version": "2.1", "id": "x-mitre-tactic--9fd5c47b-c070-4a39-b11a-2b1ba9906b19",
           "name": "Credential Access", "x_mitre_shortname": "credential-access"}
    with pytest.raises(StixObjectError, match="'created' is missing; STIX 2.1 requires it on x-mitre-tactic"):
        check(obj)


def test_timestamps_keep_their_precision_and_leap_seconds():
    assert check(changed(INDICATOR, created="2024-03-01T09:15:27.4129Z", modified="2024-03-01T09:15:27.41291Z")).modified \
        == parse_timestamp("2024-03-01T09:15:27.412910Z")
    leap = check(changed(INDICATOR, created="2016-12-31T23:59:60.000Z", modified="2016-12-31T23:59:60.500Z"))
    assert leap.created.isoformat() == "2016-12-31T23:59:59.999999+00:00"


@pytest.mark.parametrize("pattern_type", ["yara", "sigma", "snort", "suricata", "pcre", "spl", "x-vendor-query"])
def test_patterns_in_other_languages_are_kept_unvalidated(pattern_type):
    assert check(changed(INDICATOR, pattern="rule x { condition: (", pattern_type=pattern_type)).raw["pattern"] \
        == "rule x { condition: ("


@pytest.mark.parametrize("name", ["attack_sample.json", "tlp2_indicators.json", "incident_core.json",
                                  "incident_report.json"])
def test_real_world_shaped_bundles_are_accepted_by_check_and_by_stix2_validator(name):
    with (DATA / name).open("rb") as source:
        for obj in iter_objects(source):
            assert check(obj).id == obj["id"]
            assert validate_instance(obj, VALIDATOR).is_valid


def test_attack_style_custom_objects_and_properties_survive_verbatim():
    with (DATA / "attack_sample.json").open("rb") as source:
        checked = {obj.id: obj for obj in map(check, iter_objects(source))}
    tactic = checked["x-mitre-tactic--9fd5c47b-c070-4a39-b11a-2b1ba9906b19"]
    assert tactic.type == "x-mitre-tactic"
    assert tactic.raw["x_mitre_shortname"] == "credential-access"
    pattern = checked["attack-pattern--824a3d30-8f1b-45dc-af14-7d97fcfdef0f"].raw
    assert pattern["kill_chain_phases"] == [{"kill_chain_name": "mitre-attack", "phase_name": "credential-access"}]
    assert pattern["x_mitre_detection"] == ""


def stix2_objects():
    """One object of each kind the stix2 library builds, as it serialises them."""
    identity = stix2.Identity(name="Energy Sector CERT", identity_class="organization", sectors=["energy"])
    ip = stix2.IPv4Address(value="203.0.113.45")
    indicator = stix2.Indicator(
        name="C2", pattern="[ipv4-addr:value = '203.0.113.45'] OR [domain-name:value = 'c2.example.net']",
        pattern_type="stix", created_by_ref=identity.id, object_marking_refs=[stix2.TLP_GREEN], confidence=70,
    )
    malware = stix2.Malware(name="ExampleDoor", is_family=True, malware_types=["backdoor"])
    observed = stix2.ObservedData(first_observed="2024-03-03T21:00:00Z", last_observed="2024-03-04T06:00:00Z",
                                  number_observed=3, object_refs=[ip.id])
    objects = [
        identity, ip, indicator, malware, observed,
        stix2.DomainName(value="c2.example.net"), stix2.URL(value="http://c2.example.net/x"),
        stix2.EmailAddress(value="ceo@example.org"), stix2.File(hashes={"SHA-256": "ab" * 32}, name="a.exe"),
        stix2.Indicator(pattern="[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", pattern_type="stix",
                        valid_until="2030-01-01T00:00:00Z"),
        stix2.Indicator(pattern="rule a { condition: true }", pattern_type="yara"),
        stix2.Relationship(indicator, "indicates", malware),
        stix2.Sighting(sighting_of_ref=indicator.id, count=4, where_sighted_refs=[identity.id],
                       observed_data_refs=[observed.id]),
        stix2.Report(name="Incident report", published="2024-03-05T00:00:00Z", report_types=["incident"],
                     object_refs=[indicator.id, malware.id]),
        stix2.Incident(name="Historian encrypted", object_marking_refs=[stix2.TLP_RED]),
        stix2.AttackPattern(name="Password Spraying",
                            kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "credential-access"}]),
        stix2.ThreatActor(name="Example Spider", threat_actor_types=["crime-syndicate"]),
        stix2.Campaign(name="Winter wave", first_seen="2024-01-01T00:00:00Z", last_seen="2024-02-01T00:00:00Z"),
        stix2.Vulnerability(name="CVE-2024-3400"), stix2.Tool(name="Net"), stix2.CourseOfAction(name="Patch"),
        stix2.Location(country="NO"), stix2.Note(content="triaged", object_refs=[indicator.id]),
        stix2.Grouping(context="suspicious-activity", object_refs=[indicator.id]),
        stix2.Infrastructure(name="C2 cluster"), stix2.IntrusionSet(name="Example Group"),
        stix2.Opinion(opinion="agree", object_refs=[indicator.id]),
        stix2.TLP_WHITE, stix2.TLP_GREEN, stix2.TLP_AMBER, stix2.TLP_RED,
        stix2.Malware(name="x", is_family=False, allow_custom=True, x_example_score=3),
    ]
    objects += [indicator.new_version(confidence=90), malware.revoke()]
    return [json.loads(obj.serialize()) for obj in objects]


@pytest.mark.parametrize("obj", stix2_objects(), ids=lambda obj: obj["type"])
def test_check_accepts_everything_the_stix2_library_produces(obj):
    checked = check(obj)
    assert (checked.id, checked.type, checked.raw) == (obj["id"], obj["type"], obj)
    if "modified" in obj:
        assert checked.version == parse_timestamp(obj["modified"])


def test_stix2_0_is_refused_until_upgraded():
    attack_2_0 = {k: v for k, v in MALWARE.items() if k not in ("spec_version", "is_family")}
    attack_2_0["labels"] = ["malware"]
    with pytest.raises(StixObjectError, match="STIX 2.0"):
        check(attack_2_0)
    upgraded = upgrade_20(attack_2_0)
    assert "spec_version" not in attack_2_0
    assert (upgraded["spec_version"], upgraded["is_family"]) == ("2.1", True)
    assert check(upgraded).raw["labels"] == ["malware"]
    indicator_2_0 = {k: v for k, v in INDICATOR.items() if k not in ("spec_version", "pattern_type")}
    assert check(upgrade_20(indicator_2_0)).raw["pattern_type"] == "stix"


def test_upgrade_leaves_2_1_objects_and_non_objects_alone():
    assert upgrade_20(INDICATOR) is INDICATOR
    assert upgrade_20(["not", "an", "object"]) == ["not", "an", "object"]
    assert upgrade_20(changed(MALWARE, spec_version=..., is_family=False))["is_family"] is False
