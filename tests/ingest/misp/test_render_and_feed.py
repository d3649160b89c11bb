"""Rendering ncert data as MISP events and feeds, read back as MISP and PyMISP read them."""

import csv
import hashlib
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

from pymisp import MISPEvent
from pymisp.tools import feed_meta_generator

from ingest.misp import event_record, event_version, feed_event, feed_files, load_event, render_event
from ncert.records import Category
from ncert.taxonomy import TLP

DATA = Path(__file__).parent / "data"
EVENT_UUID = "3e0f9b8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
STAMP = datetime(2025, 11, 20, 9, 30, tzinfo=timezone.utc)
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
INDICATORS = [
    ("ipv4-addr", "192.0.2.10", True),
    ("ipv6-addr", "2001:db8::10", True),
    ("domain-name", "c2.example.net", True),
    ("url", "https://c2.example.net/gate.php", True),
    ("email-addr", "ceo@spoofed.example", True),
    ("sha256", SHA256, True),
    ("cve", "CVE-2024-3400", False),
]


def rendered(**overrides) -> dict:
    arguments = dict(title="Wiper at a water utility", uuid=EVENT_UUID, date=date(2025, 11, 19), tlp=TLP.AMBER_STRICT,
                     category=Category.model_validate("availability/sabotage"), severity=3,
                     indicators=INDICATORS, timestamp=STAMP, event_id=42)
    return render_event(**{**arguments, **overrides})


def test_render_has_the_shape_misp_returns():
    event = rendered()["Event"]
    assert event["id"] == "42" and event["uuid"] == EVENT_UUID
    assert event["info"] == "Wiper at a water utility" and event["date"] == "2025-11-19"
    assert (event["threat_level_id"], event["analysis"], event["distribution"]) == ("1", "1", "0")
    assert event["timestamp"] == str(int(STAMP.timestamp())) and event["published"] is False
    assert event["Orgc"]["name"] == "ncert"
    assert [tag["name"] for tag in event["Tag"]] == ["tlp:amber+strict", 'rsit:availability="sabotage"']
    assert [(a["type"], a["category"], a["to_ids"]) for a in event["Attribute"]][-2:] == [
        ("sha256", "Payload delivery", True), ("vulnerability", "External analysis", False),
    ]
    assert all(a["event_id"] == "42" and a["timestamp"] == event["timestamp"] for a in event["Attribute"])
    assert json.loads(json.dumps(rendered())) == rendered()  # plain JSON, and the same every time


def test_round_trip_render_load_record():
    document = json.dumps(rendered())
    event = MISPEvent()
    event.load(document)
    record = event_record(event)
    assert record.title == "Wiper at a water utility"
    assert record.tlp is TLP.AMBER_STRICT
    assert record.category == Category.model_validate("availability/sabotage")
    assert record.severity == 3
    assert record.external_ids == {"misp": EVENT_UUID}
    assert record.occurred_at == datetime(2025, 11, 19, tzinfo=timezone.utc)
    assert [(i.type, i.value) for i in record.indicators] == [(t, v) for t, v, to_ids in INDICATORS if to_ids]
    assert "- vulnerability: CVE-2024-3400" in record.description
    assert event_version(event) == int(STAMP.timestamp())


def test_round_trip_of_every_tlp_and_severity():
    for tlp in TLP:
        for severity, expected in ((None, None), (0, 1), (1, 1), (2, 2), (3, 3), (4, 3), (5, 3)):
            record = event_record(load_event(rendered(tlp=tlp, severity=severity, category=None)))
            assert (record.tlp, record.severity, record.category) == (tlp, expected, None)


def feed_events() -> list[MISPEvent]:
    names = ["ransomware_event.json", "object_event.json", "tlp_white_event.json", "chr_event.json"]
    return [load_event((DATA / name).read_text()) for name in names] + [load_event(rendered())]


def write_feed(directory: Path, events: list[MISPEvent]) -> None:
    manifest, hashes = feed_files(events)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    (directory / "hashes.csv").write_text(hashes)
    for event in events:
        (directory / f"{event.uuid}.json").write_text(json.dumps(feed_event(event)))


def test_feed_reads_back_as_misp_pulls_it(tmp_path):
    events = feed_events()
    write_feed(tmp_path, events)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == {event.uuid for event in events}
    for event_uuid, meta in manifest.items():
        pulled = MISPEvent()
        pulled.load_file(str(tmp_path / f"{event_uuid}.json"))
        assert pulled.uuid == event_uuid and pulled.info == meta["info"]
        assert event_version(pulled) == meta["timestamp"]
        original = next(e for e in events if e.uuid == event_uuid)
        # Feed attributes carry no sightings (PyMISP MISPAttribute._fields_for_feed): counts fall back to 1.
        assert event_record(pulled) == event_record(original).model_copy(update={"indicators": [
            indicator.model_copy(update={"count": 1}) for indicator in event_record(original).indicators]})
    assert manifest["6f6f3a52-4a4e-4b8e-9c1f-2d5b0f1c7a01"]["Tag"][0]["name"] == "tlp:amber"


def test_feed_hashes_cover_each_value_part(tmp_path):
    _, hashes = feed_files(feed_events())
    rows = {tuple(row) for row in csv.reader(io.StringIO(hashes))}
    md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
    ransomware = "6f6f3a52-4a4e-4b8e-9c1f-2d5b0f1c7a01"
    assert (md5("185.220.101.47"), ransomware) in rows
    assert {(md5("exfil.example.net"), ransomware), (md5("203.0.113.9"), ransomware)} <= rows  # domain|ip
    assert (md5("198.51.100.23"), "7a7a3a52-4a4e-4b8e-9c1f-2d5b0f1c7a02") in rows  # an object attribute


def test_feed_metadata_matches_pymisp_feed_generator(tmp_path):
    events = feed_events()
    write_feed(tmp_path, events)
    ours_manifest = json.loads((tmp_path / "manifest.json").read_text())
    ours_hashes = sorted((tmp_path / "hashes.csv").read_text().splitlines())
    feed_meta_generator(tmp_path)  # rebuilds both files from the event files, as PyMISP does
    assert json.loads((tmp_path / "manifest.json").read_text()) == ours_manifest
    assert sorted((tmp_path / "hashes.csv").read_text().splitlines()) == ours_hashes
