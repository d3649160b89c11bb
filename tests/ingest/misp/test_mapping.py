"""MISP events to IncidentRecords: fixtures in MISP's own JSON shape."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pymisp import MISPEvent

from ingest.misp import (
    MispEventError,
    event_record,
    event_version,
    indicator_values,
    is_deleted,
    load_event,
    sighting_counts,
)
from ncert.records import Category
from ncert.taxonomy import TLP

DATA = Path(__file__).parent / "data"


def fixture(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def pairs(record) -> list[tuple[str, str]]:
    return [(i.type, i.value) for i in record.indicators]


def test_ransomware_event():
    record = event_record(load_event(fixture("ransomware_event.json")))
    assert record.title == "LockBit 3.0 ransomware at a regional grid operator"
    assert record.tlp is TLP.AMBER
    assert record.category == Category.model_validate("malicious-code/infected-system")
    assert record.severity == 3  # threat_level_id 1 High
    assert record.external_ids == {"misp": "6f6f3a52-4a4e-4b8e-9c1f-2d5b0f1c7a01"}
    assert record.occurred_at == utc("2025-11-18T00:00:00")
    assert pairs(record) == [
        ("ipv4-addr", "185.220.101.47"),
        ("domain-name", "update-grid-portal.com"),
        ("url", "https://update-grid-portal.com/payload/stage2.bin"),
        ("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("ipv6-addr", "2001:db8::7"),
        ("domain-name", "exfil.example.net"),
        ("ipv4-addr", "203.0.113.9"),
        ("email-addr", "billing@grid-invoices.example"),
    ]
    assert "10.20.30.40" not in record.model_dump_json()  # the deleted attribute


def test_sightings_count_only_true_sightings():
    record = event_record(load_event(fixture("ransomware_event.json")))
    by_value = {i.value: i for i in record.indicators}
    assert by_value["185.220.101.47"].count == 2  # the false-positive sighting (type 1) is not one
    assert by_value["update-grid-portal.com"].count == 1


def test_first_and_last_seen_come_from_the_attribute_in_utc():
    record = event_record(load_event(fixture("ransomware_event.json")))
    url = next(i for i in record.indicators if i.type == "url")
    assert (url.first_seen, url.last_seen) == (utc("2025-11-10T07:00:00"), utc("2025-11-17T18:30:00"))


def test_context_lists_what_is_not_an_indicator():
    description = event_record(load_event(fixture("ransomware_event.json"))).description
    assert "- vulnerability: CVE-2023-4966" in description  # to_ids false
    assert "- text: Ransom note demands 40 BTC" in description
    assert "- md5: d41d8cd98f00b204e9800998ecf8" in description  # to_ids, but not a valid hash
    assert "10.20.30.40" not in description and "185.220.101.47" not in description


def test_context_is_bounded():
    event = MISPEvent()
    event.info = "many comments"
    for n in range(120):
        event.add_attribute("comment", f"note {n} " + "x" * 500)
    description = event_record(event).description
    assert description.count("\n- comment: ") == 50
    assert description.endswith("- and 70 more")
    assert len(description) < 50 * 220 + 200


def test_object_event_bare_dict():
    event = load_event(fixture("object_event.json"))
    record = event_record(event)
    assert record.tlp is TLP.AMBER  # its distribution 0 ("your organisation only") is stricter than tlp:green
    assert record.category == Category.model_validate("malicious-code/infected-system")  # ecsirt ransomware
    assert record.severity == 2
    assert pairs(record) == [
        ("md5", "44d88612fea8a8f36de82e1278abb02f"),
        ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"),
        ("ipv4-addr", "198.51.100.23"),
    ]
    assert "withdrawn.example.org" not in record.model_dump_json()  # in a deleted object
    assert "- filename: invoice_0923.pdf.exe" in record.description
    assert "- port: 4444" in record.description


def test_legacy_tlp_white_and_low_threat():
    record = event_record(load_event(fixture("tlp_white_event.json")))
    assert record.tlp is TLP.CLEAR
    assert record.severity == 1
    assert record.category == Category.model_validate("fraud/phishing")
    assert pairs(record) == [("url", "http://login-secure-bank.example/kit/index.php")]


def test_chatham_house_rule_is_red_and_undefined_threat_gives_no_severity():
    record = event_record(load_event(fixture("chr_event.json")))
    assert record.tlp is TLP.RED
    assert record.severity is None


def test_untagged_event_is_amber_and_uncategorised():
    event = MISPEvent()
    event.info = "  "
    record = event_record(event)
    assert record.tlp is TLP.AMBER and record.category is None
    assert record.title == f"MISP event {event.uuid}"


def test_sighting_counts():
    assert sighting_counts(load_event(fixture("ransomware_event.json"))) == [
        ("ipv4-addr", "185.220.101.47", 2, datetime.fromtimestamp(1763450000, timezone.utc)),
    ]
    assert sighting_counts(load_event(fixture("object_event.json"))) == [
        ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", 1,
         datetime.fromtimestamp(1759300000, timezone.utc)),
    ]


def test_duplicate_values_merge_their_sightings():
    event = MISPEvent()
    event.info = "twice"
    for _ in range(2):
        attribute = event.add_attribute("ip-dst", "192.0.2.8", to_ids=True)
        attribute.add_sighting({"type": "0", "date_sighting": "1700000000"})
    event.add_attribute("domain|ip", "a.example|192.0.2.8", to_ids=True)
    assert [(kind, value, count) for kind, value, count, *_ in indicator_values(event)] == [
        ("ipv4-addr", "192.0.2.8", 2), ("domain-name", "a.example", 1),
    ]
    assert sighting_counts(event) == [("ipv4-addr", "192.0.2.8", 2, datetime.fromtimestamp(1700000000, timezone.utc))]


def test_more_than_ten_thousand_indicators_are_capped_and_said():
    event = MISPEvent()
    event.info = "big"
    for n in range(10_005):
        event.add_attribute("ip-dst", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", to_ids=True)
    record = event_record(event)
    assert len(record.indicators) == 10_000
    assert len(indicator_values(event)) == 10_005
    assert record.description.startswith("5 more indicators are in the MISP event.")


def test_version_and_deletion():
    event = load_event(fixture("ransomware_event.json"))
    assert event_version(event) == 1763486400
    assert not is_deleted(event)
    assert event_version(load_event({"info": "new, unstamped"})) is None
    assert is_deleted(load_event({"info": "gone", "deleted": "1"}))
    assert not is_deleted(load_event({"info": "here", "deleted": False}))


def test_load_does_not_modify_the_callers_dict():
    document = fixture("ransomware_event.json")
    before = json.dumps(document, sort_keys=True)
    load_event(document)
    assert json.dumps(document, sort_keys=True) == before


@pytest.mark.parametrize("document", [
    [],
    "not json",
    {"Event": {"uuid": "no info"}},
    {"info": "x", "threat_level_id": "9"},
    {"info": "x", "Object": "file"},
])
def test_unloadable_events_raise_misp_event_error(document):
    with pytest.raises(MispEventError):
        load_event(document)


GOOD = {"type": "ip-dst", "value": "192.0.2.1", "to_ids": True}


@pytest.mark.parametrize("part", [
    {"Attribute": [{"type": "no-such-type", "value": "v"}]},
    {"Attribute": [{"type": "ip-dst"}]},
    {"Attribute": [{"type": "ip-dst", "value": "192.0.2.9", "uuid": "not-a-uuid"}]},
    {"Attribute": [{"type": "ip-dst", "value": "192.0.2.9", "timestamp": "99999999999999999"}]},
    {"Object": [{"name": "../../etc/passwd", "Attribute": [{"type": "ip-dst", "value": "192.0.2.9"}]}]},
    {"Object": [{"name": "a" * 300, "Attribute": []}]},
    {"Object": [{"name": "domain-ip", "uuid": "not-a-uuid", "Attribute": [{"type": "ip-dst", "value": "192.0.2.9"}]}]},
])
def test_invalid_parts_are_left_out_and_the_rest_loads(part):
    """As MISP saves an event's valid attributes and objects (Event::_add), a bad part drops alone."""
    document = {"info": "x", "Attribute": [GOOD, *part.get("Attribute", [])], "Object": part.get("Object", [])}
    event = load_event(document)
    assert [a.value for a in event.attributes] == ["192.0.2.1"] and not event.objects
    assert pairs(event_record(event)) == [("ipv4-addr", "192.0.2.1")]


def test_nul_in_context_is_replaced_but_nul_in_the_title_is_refused():
    event = load_event({"info": "ok", "Attribute": [{"type": "text", "value": "a\x00b"}]})
    assert "- text: a\ufffdb" in event_record(event).description
    with pytest.raises(ValueError, match="NUL"):
        event_record(load_event({"info": "bad\x00title"}))


@pytest.mark.parametrize("hostile", [
    {"info": "x", "Object": "file"},
    {"info": "x", "Attribute": {"type": "ip-dst"}},
    {"info": "x", "timestamp": "99999999999999999"},
])
def test_hostile_events_are_refused_cleanly(hostile):
    from ingest.misp.mapping import MispEventError, load_event

    with pytest.raises(MispEventError):
        load_event(hostile)
