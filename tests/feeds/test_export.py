"""The national audiences as MISP feeds, read back as MISP reads a feed: the
manifest first, then each event file, loaded with pymisp.MISPEvent; and
rebuilt with PyMISP's own feed tooling (tools.feed.feed_meta_generator)."""

import base64
import csv
import hashlib
import io
import json
import uuid

from pymisp import MISPEvent
from pymisp.tools.feed import feed_meta_generator

from ncert.db import transaction
from ncert.models import TaxiiCollection
from ncert.services import taxii
from ncert.taxonomy import TLP, Role

GREEN_IP = "198.51.100.23"
CLEAR_DOMAIN = "bad.example.net"


def _get(client, path, key):
    return client.get(path, headers={"Authorization": key})


def read_feed(client, audience: str, key: str) -> tuple[dict, dict[str, MISPEvent]]:
    """Manifest, then every event it lists, as MISP's Feed::getNewEventUuids/downloadEvent does."""
    response = _get(client, f"/misp-feeds/{audience}/manifest.json", key)
    assert response.status_code == 200, response.get_data(as_text=True)
    manifest = response.get_json()
    events = {}
    for event_uuid in manifest:
        r = _get(client, f"/misp-feeds/{audience}/{event_uuid}.json", key)
        assert r.status_code == 200
        event = MISPEvent()
        event.load(r.get_data(as_text=True))
        events[event_uuid] = event
    return manifest, events


def _world_with_publications(world, publish):
    gridco = world.actor("analyst@gridco.test")
    green = world.submit(gridco, title="Grid SCADA phishing", tlp="TLP:AMBER", category="fraud/phishing",
                         indicators=[{"type": "ipv4-addr", "value": GREEN_IP}])
    clear = world.submit(gridco, title="Public defacement wave", tlp="TLP:CLEAR",
                         indicators=[{"type": "domain-name", "value": CLEAR_DOMAIN}])
    world.submit(gridco, title="Never published", tlp="TLP:GREEN")
    publish(green, "national-sector-certs", TLP.GREEN)
    publish(clear, "national-sector-certs", TLP.CLEAR)
    publish(clear, "national-partners", TLP.CLEAR)
    return green, clear


def test_sector_cert_reads_the_feed_as_misp_does(world, client, publish, tmp_path):
    _world_with_publications(world, publish)
    key = world.key("energy-cert")
    manifest, events = read_feed(client, "sector-certs", key)

    assert sorted(e.info for e in events.values()) == ["Grid SCADA phishing", "Public defacement wave"]
    by_title = {e.info: e for e in events.values()}
    green = by_title["Grid SCADA phishing"]
    assert [t.name for t in green.tags] == ["tlp:green", 'rsit:fraud="phishing"']
    assert [(a.type, a.value, a.to_ids) for a in green.attributes] == [("ip-dst", GREEN_IP, True)]
    assert green.Orgc.name == "National CERT"
    assert [t.name for t in by_title["Public defacement wave"].tags] == ["tlp:clear", 'rsit:other="undetermined"']
    for event_uuid, meta in manifest.items():
        assert meta["info"] == events[event_uuid].info
        assert int(meta["timestamp"]) == int(events[event_uuid].timestamp.timestamp())

    # PyMISP's own tooling rebuilds the same manifest and hashes from the event files.
    for event_uuid in manifest:
        (tmp_path / f"{event_uuid}.json").write_bytes(
            _get(client, f"/misp-feeds/sector-certs/{event_uuid}.json", key).data)
    feed_meta_generator(tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    served = _get(client, "/misp-feeds/sector-certs/hashes.csv", key).get_data(as_text=True)
    assert sorted(served.splitlines()) == sorted((tmp_path / "hashes.csv").read_text().splitlines())
    rows = list(csv.reader(io.StringIO(served)))
    assert [hashlib.md5(GREEN_IP.encode()).hexdigest(), green.uuid] in rows


def test_event_uuid_is_stable_and_follows_the_incident(world, client, publish):
    green, _ = _world_with_publications(world, publish)
    key = world.key("energy-cert")
    first, _ = read_feed(client, "sector-certs", key)
    publish(green, "national-sector-certs", TLP.GREEN)  # published again: the same incident, the same event
    again, _ = read_feed(client, "sector-certs", key)
    assert set(first) == set(again)


def test_partner_feed_has_only_what_was_shared_with_partners(world, client, publish):
    _world_with_publications(world, publish)
    _, events = read_feed(client, "international-partners", world.key("partner-cert"))
    assert [e.info for e in events.values()] == ["Public defacement wave"]


def test_amber_objects_in_a_national_collection_never_appear(world, client, collections):
    """Even if something stricter than GREEN sits in the national collection, the feed never serves it."""
    amber_id = f"incident--{uuid.uuid4()}"
    amber = {"type": "incident", "spec_version": "2.1", "id": amber_id, "name": "Amber only",
             "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
             "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}
    with transaction(world.runtime.sessions) as s:
        coll = s.get(TaxiiCollection, collections["national-sector-certs"])
        taxii.add_objects(s, world.admin, coll, [amber])
    key = world.key("energy-cert")
    manifest, _ = read_feed(client, "sector-certs", key)
    assert manifest == {}
    assert _get(client, f"/misp-feeds/sector-certs/{amber_id.split('--')[1]}.json", key).status_code == 404
    # national staff do not see it through the feed either: the feed is what the audience may receive
    assert read_feed(client, "sector-certs", world.key("national-cert", Role.SOC_OPERATOR))[0] == {}


def test_feeds_are_per_audience(world, client, publish):
    _world_with_publications(world, publish)
    partner, sector_cert = world.key("partner-cert"), world.key("energy-cert")
    assert _get(client, "/misp-feeds/sector-certs/manifest.json", partner).status_code == 403
    assert _get(client, "/misp-feeds/international-partners/manifest.json", sector_cert).status_code == 403
    # an operator that is not a sector CERT is in neither audience
    gridco = world.key("gridco")
    for audience in ("sector-certs", "international-partners"):
        assert _get(client, f"/misp-feeds/{audience}/manifest.json", gridco).status_code == 403
    manifest = _get(client, "/misp-feeds/sector-certs/manifest.json", sector_cert).get_json()
    hidden = next(iter(manifest))
    forbidden = _get(client, f"/misp-feeds/sector-certs/{hidden}.json", partner)
    assert forbidden.status_code == 403
    assert forbidden.get_json()["url"] == f"/misp-feeds/sector-certs/{hidden}.json"
    staff = world.key("national-cert", Role.LEADERSHIP)
    assert _get(client, "/misp-feeds/international-partners/manifest.json", staff).status_code == 200
    assert _get(client, "/misp-feeds/nobody/manifest.json", staff).status_code == 404


def test_credentials_bare_bearer_or_basic(world, client, publish):
    _world_with_publications(world, publish)
    key = world.key("energy-cert")
    basic = base64.b64encode(f"energy-cert:{key}".encode()).decode()
    for header in (key, f"Bearer {key}", f"Basic {basic}"):
        assert client.get("/misp-feeds/sector-certs/manifest.json",
                          headers={"Authorization": header}).status_code == 200
    missing = client.get("/misp-feeds/sector-certs/manifest.json")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    assert _get(client, "/misp-feeds/sector-certs/manifest.json", "ncert_wrong").status_code == 401
    assert _get(client, "/misp-feeds/sector-certs/nothing-here", key).status_code == 404
    assert _get(client, "/misp-feeds/sector-certs/not-a-uuid.json", key).status_code == 404


def test_a_stix_bundle_pushed_to_a_national_collection_appears_in_the_feed(world, client, collections):
    marking = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # TLP:GREEN (TLP 2.0)
    stamp = "2026-02-03T04:05:06.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "id": f"incident--{uuid.uuid4()}",
                "name": "Pushed over TAXII", "created": stamp, "modified": stamp, "object_marking_refs": [marking]}
    indicator = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
                 "pattern": "[domain-name:value = 'c2.example.org']", "pattern_type": "stix",
                 "valid_from": stamp, "created": stamp, "modified": stamp, "object_marking_refs": [marking]}
    relationship = {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
                    "relationship_type": "indicates", "source_ref": indicator["id"], "target_ref": incident["id"],
                    "created": stamp, "modified": stamp, "object_marking_refs": [marking]}
    with transaction(world.runtime.sessions) as s:
        coll = s.get(TaxiiCollection, collections["national-sector-certs"])
        taxii.add_objects(s, world.operator, coll, [incident, indicator, relationship])
    manifest, events = read_feed(client, "sector-certs", world.key("energy-cert"))
    event = events[incident["id"].split("--")[1]]
    assert event.info == "Pushed over TAXII"
    assert [(a.type, a.value) for a in event.attributes] == [("domain", "c2.example.org")]
    assert int(manifest[event.uuid]["timestamp"]) == int(event.timestamp.timestamp())
